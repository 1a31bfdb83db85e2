'use strict';
// Policy: the Envoy filter's policy document run in this process. Replays
// the policy vectors (policy/tests/vectors) and loads examples/policy.json.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const weir = require('weir');

// The tests run from a copy of this folder in a fresh project; the source
// checkout is found from the vectors' path (WEIR_VECTORS) or from here.
const ROOT = process.env.WEIR_VECTORS
  ? path.resolve(process.env.WEIR_VECTORS, '../../..')
  : path.resolve(__dirname, '../../..');
const VECTORS = path.join(ROOT, 'policy/tests/vectors');
const EXAMPLE = path.join(ROOT, 'examples/policy.json');

function policyVectors() {
  return fs
    .readdirSync(VECTORS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(path.join(VECTORS, f), 'utf8')) }));
}

function checkStep(policy, step, ctx) {
  const r = step.request;
  const headers = Object.fromEntries(Object.entries(r.headers || {}).map(([k, v]) => [k, String(v)]));
  const v = policy.check({
    method: r.method,
    path: r.path,
    headers,
    clientAddress: r.client_address,
    key: r.key,
    now: BigInt(step.at),
  });
  const e = step.expect;
  assert.equal(v.status, e.status, `${ctx}: ${JSON.stringify(v)}`);
  assert.equal(v.admitted, e.status === 200, ctx);
  if (!v.admitted) assert.equal(v.body, e.body ?? `weir: ${v.reason} by rule "${v.rule}"\n`, ctx);
  if (e.reason !== undefined) assert.equal(v.reason, e.reason, `${ctx}: reason`);
  if (e.rule !== undefined) assert.equal(v.rule, e.rule, `${ctx}: rule`);
  for (const [k, want] of Object.entries(e.headers || {})) assert.equal(v.headers[k], String(want), `${ctx}: header ${k}`);
  for (const [k, want] of Object.entries(e.request_headers || {})) {
    assert.equal(v.requestHeaders[k], String(want), `${ctx}: request header ${k}`);
  }
  if (e.upstream !== undefined) assert.equal(v.upstream, e.upstream, `${ctx}: upstream`);
  return v;
}

function report(v, r, at) {
  v.report({
    status: r.status,
    grpcStatus: r.grpc_status,
    cpu: r.cpu,
    latencyMs: r.latency === undefined ? undefined : r.latency / 1e6,
    now: BigInt(at),
  });
}

for (const vector of policyVectors()) {
  test(`policy vector ${vector.file}`, () => {
    assert.equal(vector.kind, 'policy');
    const policy = new weir.Policy(vector.policy, { now: 0n, seed: 1n });
    const held = new Map();
    vector.steps.forEach((step, i) => {
      const ctx = `${vector.file} step ${i}`;
      if (step.op === 'check') {
        const v = checkStep(policy, step, ctx);
        if (step.respond) report(v, step.respond, step.at);
        else if (step.id) held.set(step.id, v);
      } else if (step.op === 'respond') {
        report(held.get(step.id), step, step.at);
      } else if (step.op === 'reset') {
        held.get(step.id).report({ status: null, now: BigInt(step.at) });
      } else {
        assert.fail(`${ctx}: unknown op ${step.op}`);
      }
    });
    const counters = policy.counters();
    for (const [name, want] of Object.entries(vector.counters || {})) {
      assert.equal(counters[name], want, `${vector.file}: counter ${name}`);
    }
  });
}

test('the vectors include a refusal that teaches nothing', () => {
  assert.ok(policyVectors().some((v) => v.file === 'refusal-teaches-nothing.json'));
});

test('the example policy loads unchanged', () => {
  const policy = weir.Policy.fromFile(EXAMPLE);
  assert.deepEqual(policy.rules, ['per_client', 'export', 'per_user', 'service']);
  const req = { method: 'GET', path: '/api/items', headers: { 'x-tenant': 'acme' }, clientAddress: '10.0.0.1:5000', key: 'alice', now: 0n };
  const verdicts = Array.from({ length: 11 }, () => policy.check(req));
  assert.deepEqual(verdicts.map((v) => v.admitted), [...Array(10).fill(true), false]);
  const refused = verdicts[10];
  assert.deepEqual([refused.status, refused.reason, refused.rule, refused.retryAfterMs], [429, 'rate_limited', 'per_user', 1000]);
  const first = verdicts[0];
  assert.equal(first.headers['x-ratelimit-remaining'], '39');
  assert.ok(['service_a', 'service_b'].includes(first.upstream));
  assert.equal(first.requestHeaders['x-weir-cluster'], first.upstream);
  assert.equal(first.deadlineMs, 1950);
  first.report({ status: 200, latencyMs: 3 });
});

test('errors name the rule and the field', () => {
  assert.throws(
    () => new weir.Policy({ rules: [{ name: 'api', limit: [{ rate: 5 }, { rate: 5, key: 'tenant' }] }] }),
    (e) => e instanceof weir.PolicyError && e.rule === 'rule #1 "api"' && e.field === 'limit[1].key' && /"tenant"/.test(e.message),
  );
  assert.throws(() => new weir.Policy('{"rules": []}'), (e) => e instanceof weir.PolicyError && e.field === 'rules' && e.rule === '');
  assert.throws(() => new weir.Policy(42), TypeError);
  assert.throws(() => weir.Policy.fromFile('/nowhere.json'), /ENOENT/);
  const p = new weir.Policy({ rules: [{ name: 'a', limit: { rate: 1 } }] });
  assert.throws(() => p.check({ key: {} }), (e) => e instanceof TypeError && e.field === 'key');
});

test('a reload keeps unchanged limits and refuses a bad document', () => {
  const doc = { rules: [{ name: 'a', limit: { rate: 1, per: '1h' } }] };
  const p = new weir.Policy(doc, { now: 0n, seed: 1n });
  assert.equal(p.check({ now: 0n }).admitted, true);
  assert.equal(p.check({ now: 0n }).admitted, false);
  p.replace(JSON.stringify(doc), { now: 1000n });
  assert.equal(p.check({ now: 1000n }).admitted, false, 'a reload grants no burst');
  assert.throws(() => p.replace({ rules: [{ name: 'a', limit: { rate: 0 } }] }), (e) => e.field === 'limit.rate');
  assert.equal(p.check({ now: 2000n }).admitted, false, 'the old policy still serves');
  p.replace({ rules: [{ name: 'a', limit: { rate: 2, per: '1h' } }] }, { now: 3000n });
  assert.equal(p.check({ now: 3000n }).admitted, true, 'a changed limit starts fresh');
});

test('a grpc failure reaches the throttle', () => {
  const p = new weir.Policy({ rules: [{ name: 't', throttle: { max_reject_probability: 0, grpc_failures: ['UNAVAILABLE'] } }] });
  for (const grpcStatus of [14, 0, undefined]) p.check({ method: 'POST', path: '/svc/M' }).report({ status: 200, grpcStatus });
  assert.equal(p.counters()['weir.t.upstream_failures'], 1);
});

test('an answer marked no-retry does not open the breaker', () => {
  const p = new weir.Policy({ rules: [{ name: 'b', breaker: { consecutive_failures: 1 } }] });
  for (let i = 0; i < 3; i++) {
    const v = p.check({ now: BigInt(i) });
    assert.equal(v.admitted, true, `request ${i}`);
    v.report({ status: 503, noRetry: true, now: BigInt(i) });
  }
  assert.equal(p.counters()['weir.b.breaker_no_retry'], 3);
  p.check({ now: 10n }).report({ status: 503, now: 10n });
  const refused = p.check({ now: 11n });
  assert.deepEqual([refused.status, refused.reason, refused.headers['x-weir-no-retry']], [503, 'breaker_open', '1']);
});

test('policies loaded in worker threads decide apart, each exactly', async () => {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const weir = require(${JSON.stringify(require.resolve('weir'))});
    const p = new weir.Policy({ rules: [{ name: 'r', limit: { rate: 50, per: '1h' } }] });
    let n = 0;
    for (let i = 0; i < 100; i++) if (p.check().admitted) n++;
    parentPort.postMessage(n);`;
  const counts = await Promise.all(
    [0, 1, 2].map(
      () => new Promise((resolve, reject) => new Worker(code, { eval: true }).on('message', resolve).on('error', reject)),
    ),
  );
  assert.deepEqual(counts, [50, 50, 50]);
});
