import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { observe, PolicyMetrics, metricName } from 'weir/otel';

test('weir/otel\'s ESM entry point exports the CommonJS module\'s values', () => {
  const cjs = createRequire(import.meta.url)('weir/otel');
  assert.equal(observe, cjs.observe);
  assert.equal(PolicyMetrics, cjs.PolicyMetrics);
  assert.deepEqual(metricName('weir.api.shed'), ['weir_shed', 'api']);
});
