'use strict';
// weir's counters through OpenTelemetry: examples/policy.json decides eight
// requests to /api/export from one client (its `export` rule allows 5 a
// minute), and the SDK's collection shows them under the filter's names.
//
//   npm install weir @opentelemetry/api @opentelemetry/sdk-metrics
//   node examples/node/otel.js
//
// An application gives the MeterProvider its exporter (OTLP, Prometheus); the
// in-memory one here prints what any exporter would be handed.
// WEIR_POLICY names another policy file.
const path = require('node:path');
const {
  MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality,
} = require('@opentelemetry/sdk-metrics');
const { Policy } = require('weir');
const otel = require('weir/otel');

async function main() {
  const policy = Policy.fromFile(process.env.WEIR_POLICY || path.join(__dirname, '..', 'policy.json'));
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  otel.observe(policy, provider.getMeter('weir'));
  for (let i = 0; i < 8; i++) {
    const verdict = policy.check({ method: 'GET', path: '/api/export', clientAddress: '10.0.0.1:5000' });
    console.log(`GET /api/export -> ${verdict.status} ${verdict.reason}`);
    if (verdict.admitted) verdict.report({ status: 200 });
  }
  await reader.forceFlush();
  const lines = [];
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          const labels = Object.entries(point.attributes).map(([k, v]) => `${k}="${v}"`).join(',');
          lines.push(`${metric.descriptor.name}{${labels}} ${point.value}`);
        }
      }
    }
  }
  console.log(lines.sort().join('\n'));
  await provider.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
