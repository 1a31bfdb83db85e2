'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const {
  MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality, DataPointType,
} = require('@opentelemetry/sdk-metrics');
const { Policy } = require('weir');
const otel = require('weir/otel');

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

/** An SDK with an in-memory exporter; collect() is name -> rule -> value. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    const out = {};
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          assert.strictEqual(metric.dataPointType, DataPointType.SUM, metric.descriptor.name);
          assert.strictEqual(metric.isMonotonic, true, metric.descriptor.name);
          out[metric.descriptor.name] = {};
          for (const point of metric.dataPoints) out[metric.descriptor.name][point.attributes.weir_rule ?? ''] = point.value;
        }
      }
    }
    return out;
  };
  return { meter: provider.getMeter('weir'), collect, provider };
}

test('the filter\'s names and rules after a known number of decisions', async (t) => {
  const policy = Policy.fromFile(path.join(ROOT, 'examples', 'policy.json'));
  const { meter, collect, provider } = sdk();
  t.after(() => provider.shutdown());
  const bridge = otel.observe(policy, meter);
  for (let i = 0; i < 3; i++) policy.check({ path: '/api/items', clientAddress: '10.0.0.1' }).report({ status: 200 });
  const points = await collect();
  assert.deepStrictEqual(Object.keys(points).sort(), [...filterMetricNames(['service_a', 'service_b'])].sort());
  assert.strictEqual(points.weir_admitted.per_client, 3);
  assert.strictEqual(points.weir_limited.per_client, 0);
  assert.strictEqual(points.weir_picked_service_a.service + points.weir_picked_service_b.service, 3);

  // A replaced policy: its new counters are observed after refresh().
  policy.replace({ rules: [{ name: 'guard', shed: { max_in_flight: 10 } }] });
  assert.ok(bridge.refresh().includes('weir_shed_passed'));
  policy.check({ path: '/' }).report({ status: 200 });
  assert.strictEqual((await collect()).weir_shed_passed.guard, 1);
  // Closed: later decisions are not observed.
  bridge.close();
  policy.check({ path: '/' }).report({ status: 200 });
  assert.notStrictEqual((await collect()).weir_shed_passed?.guard, 2);
});

test('a limit of N under concurrent callers counts N admitted', async (t) => {
  const policy = new Policy({ rules: [{ name: 'api', limit: { rate: 5, per: '1h', burst: 5 } }] });
  const { meter, collect, provider } = sdk();
  t.after(() => provider.shutdown());
  otel.observe(policy, meter);
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 4; i++) {
      await new Promise(setImmediate);
      policy.check({ path: '/' }).report({ status: 200 });
    }
  }));
  const points = await collect();
  assert.deepStrictEqual([points.weir_admitted.api, points.weir_limited.api], [5, 27]);
});

test('bad arguments name what was expected', () => {
  const policy = new Policy({ rules: [{ name: 'api', limit: { rate: 5 } }] });
  assert.throws(() => otel.observe({}, sdk().meter), /policy.*a weir Policy/);
  assert.throws(() => otel.observe(policy, { createObservableCounter() {} }), /meter.*an OpenTelemetry Meter/);
});
