'use strict';
// examples/policy.json, loaded unchanged, on the recorded trace that real
// Envoy replays too (policy/tests/traces/example-trace.json): every verdict
// the same as the proxy's.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const weir = require('weir');

// The tests run from a copy of this folder in a fresh project; WEIR_ROOT
// names the source checkout there.
const ROOT = process.env.WEIR_ROOT || path.resolve(__dirname, '../../..');
const TRACE = JSON.parse(fs.readFileSync(path.join(ROOT, 'policy/tests/traces/example-trace.json'), 'utf8'));

function assertVerdict(v, expect, ctx) {
  assert.equal(v.status, expect.status, `${ctx}: ${JSON.stringify(v)}`);
  assert.equal(v.admitted, expect.status === 200, ctx);
  if (!v.admitted) {
    assert.deepEqual([v.reason, v.rule], [expect.reason, expect.rule], ctx);
    assert.equal(v.body, `weir: ${expect.reason} by rule "${expect.rule}"\n`, ctx);
  }
  for (const [name, want] of Object.entries(expect.headers)) {
    assert.equal(v.headers[name] ?? null, want, `${ctx}: header ${name}: ${JSON.stringify(v.headers)}`);
  }
}

test('the example policy reaches the trace\'s verdicts', () => {
  const policy = weir.Policy.fromFile(path.join(ROOT, TRACE.policy));
  TRACE.requests.forEach((step, i) => {
    const r = step.request;
    const v = policy.check({ method: r.method, path: r.path, headers: r.headers, clientAddress: r.client_address });
    assertVerdict(v, step.expect, `request ${i} ${r.path}`);
    // What the upstream behind Envoy answers, so the learners agree.
    if (v.admitted) v.report({ status: TRACE.outcome.status });
  });
});
