'use strict';
// Every conformance vector of every primitive the package exposes, replayed
// through the public API: same inputs, same decisions as core.
const test = require('node:test');
const assert = require('node:assert/strict');
const { load, dir, expectFields } = require('./vectors');

const primitives = {};
for (const family of [
  'limiters',
  'shedder-throttle',
  'lease',
  'picker',
  'retry',
  'singleflight',
  'deadline',
  'breaker',
  'adaptive-limit',
  'tail',
]) {
  Object.assign(primitives, require(`./replay-${family}`).primitives);
}
// Primitives with vectors in core that the package does not offer yet: their
// files are skipped, not failed. Each names the issue wiring it.
const NOT_YET = {};


const vectors = load();

test('vectors are found', () => {
  assert.ok(vectors.length >= 100, `only ${vectors.length} vectors in ${dir}`);
});

for (const { file, vector } of vectors) {
  const later = NOT_YET[vector.primitive];
  test(`vector ${file}`, { skip: later && `${vector.primitive} is not in the package yet (${later})` }, () => {
    const p = primitives[vector.primitive];
    assert.ok(p, `no replay for primitive ${vector.primitive}`);
    const config = vector.config || {};
    if (vector.expect_config_error) {
      const field = vector.expect_config_error.field;
      assert.throws(
        () => p.build(config),
        (e) => (e instanceof RangeError || e instanceof TypeError) && e.field === (p.fields[field] || field),
        `building from ${JSON.stringify(config)} must fail naming ${p.fields[field] || field}`,
      );
      return;
    }
    const object = p.build(config);
    vector.steps.forEach((step, i) => expectFields(step, i, p.step(object, step)));
  });
}
