import test from 'node:test';
import assert from 'node:assert/strict';
import weir, { Limiter, SingleFlight, retry } from 'weir';

test('the ESM entry point exports the same classes as CommonJS', async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('weir');
  assert.equal(Limiter, cjs.Limiter);
  assert.equal(weir.Limiter, Limiter);
  assert.equal(typeof SingleFlight, 'function');
  assert.equal(await retry(async () => 5), 5);
});

test('the ESM entry point names every export of the CommonJS one', async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('weir');
  const esm = await import('weir');
  const missing = Object.keys(cjs).filter((name) => !(name in esm) || esm[name] !== cjs[name]);
  assert.deepEqual(missing, []);
});
