'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const client = require('prom-client');
const { Policy } = require('weir');
const prometheus = require('weir/prometheus');

const ROOT = process.env.WEIR_ROOT || path.resolve(__dirname, '..', '..', '..');

/** The counters the filter defines per action, from wasm-filter/README.md's
 * Metrics table, as Prometheus names for a rule picking among `clusters`. */
function filterMetricNames(clusters) {
  const readme = fs.readFileSync(path.join(ROOT, 'wasm-filter', 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Metrics'));
  const names = new Set();
  for (const row of table.matchAll(/^\| (limit|shed|throttle|pick|deadline) \| (.+) \|$/gm)) {
    for (const [, counter] of row[2].matchAll(/`([^`]+)`/g)) {
      if (counter === 'picked.<cluster>') for (const c of clusters) names.add(`weir_picked_${c}`);
      else names.add(`weir_${counter}`);
    }
  }
  return names;
}

function families(text) {
  return new Set([...text.matchAll(/^# TYPE (\S+) untyped$/gm)].map((m) => m[1]));
}

test('a scrape of examples/policy.json shows the names the filter defines', async () => {
  const policy = Policy.fromFile(path.join(ROOT, 'examples', 'policy.json'));
  const registry = new client.Registry();
  prometheus.register(policy, registry);
  for (let i = 0; i < 3; i++) policy.check({ path: '/api/items', clientAddress: '10.0.0.1' }).report({ status: 200 });
  const text = await registry.metrics();
  const expected = filterMetricNames(['service_a', 'service_b']);
  assert.ok(expected.size >= 17, `the README's table gave ${[...expected]}`);
  assert.deepStrictEqual([...families(text)].sort(), [...expected].sort());
  assert.match(text, /^weir_admitted\{weir_rule="per_client"\} 3$/m);
  assert.match(text, /^weir_admitted\{weir_rule="service"\} 3$/m);
  assert.match(text, /^weir_limited\{weir_rule="per_client"\} 0$/m);
  const picked = [...text.matchAll(/^weir_picked_service_[ab]\{weir_rule="service"\} (\d+)$/gm)];
  assert.strictEqual(picked.reduce((sum, m) => sum + Number(m[1]), 0), 3);
});

test('counters are read on every scrape, and families a replaced policy adds appear', async () => {
  const policy = new Policy({ rules: [{ name: 'api', limit: { rate: 1, per: '1h', burst: 2 } }] });
  const registry = new client.Registry();
  assert.deepStrictEqual(prometheus.register(policy, registry).sort(), [
    'weir_admitted',
    'weir_limited',
    'weir_shadow_limited',
    'weir_state_error',
  ]);
  for (let i = 0; i < 3; i++) policy.check();
  let text = await registry.metrics();
  assert.match(text, /^weir_admitted\{weir_rule="api"\} 2$/m);
  assert.match(text, /^weir_limited\{weir_rule="api"\} 1$/m);
  policy.replace({ rules: [{ name: 'api', limit: { rate: 1, per: '1h', burst: 2 } }, { name: 'up', throttle: { k: 2 } }] });
  await registry.metrics();
  text = await registry.metrics();
  assert.match(text, /^weir_throttle_passed\{weir_rule="up"\} 0$/m);
  assert.match(text, /^weir_limited\{weir_rule="api"\} 1$/m);
});

test('names follow Envoy stats tag, and bad arguments are refused by name', () => {
  assert.deepStrictEqual(prometheus.metricName('weir.per_client.admitted'), ['weir_admitted', 'per_client']);
  assert.deepStrictEqual(prometheus.metricName('weir.v1.api.limited'), ['weir_limited', 'v1.api']);
  assert.deepStrictEqual(prometheus.metricName('weir.svc.picked.service-a'), ['weir_picked_service_a', 'svc']);
  assert.throws(() => prometheus.register({}, new client.Registry()), /policy/);
  assert.throws(() => prometheus.register(new Policy({ rules: [{ name: 'a', limit: { rate: 1, per: '1s' } }] }), {}), /registry/);
});

test('weir/prometheus loads as ESM', async () => {
  const esm = await import('weir/prometheus');
  assert.strictEqual(esm.register, prometheus.register);
});
