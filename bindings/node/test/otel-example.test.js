'use strict';
// examples/node/otel.js as a user runs it: the export rule's counts after
// eight requests, under the filter's metric names.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = process.env.WEIR_ROOT || path.resolve(__dirname, '..', '..', '..');
// The example resolves weir and the SDK from this package's modules.
const MODULES = process.env.NODE_PATH || path.resolve(__dirname, '..', 'node_modules');

test('examples/node/otel.js counts 5 admitted and 3 limited by the export rule', () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'node', 'otel.js')], {
    env: { ...process.env, NODE_PATH: MODULES },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.strictEqual(out.split('-> 200 admitted').length - 1, 5, out);
  assert.strictEqual(out.split('-> 429 rate_limited').length - 1, 3, out);
  for (const line of ['weir_admitted{weir_rule="export"} 5', 'weir_limited{weir_rule="export"} 3', 'weir_admitted{weir_rule="per_client"} 8']) {
    assert.ok(out.split('\n').includes(line), `no ${line} in\n${out}`);
  }
});
