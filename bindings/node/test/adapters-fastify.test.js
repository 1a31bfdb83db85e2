'use strict';
const test = require('node:test');
const assert = require('node:assert');
const Fastify = require('fastify');
const { Policy } = require('weir');
const weirPlugin = require('weir/fastify');
const { RULES, exercise } = require('./adapters-common');

test('weir/fastify on a real Fastify app', async (t) => {
  const policy = new Policy({ rules: RULES });
  let hangStarted;
  const hang = new Promise((r) => (hangStarted = r));
  const app = Fastify();
  await app.register(weirPlugin, { policy, keyGenerator: (request) => request.headers['x-api-key'] });
  app.get('/api/item', async () => 'ok');
  app.get('/keyed', async (request) => (request.weir.admitted ? 'admitted' : 'no'));
  app.get('/fail', async (request, reply) => reply.code(503).send('down'));
  app.get('/hang', (request, reply) => {
    hangStarted();
    return reply;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await exercise(t, assert, app.server.address().port, policy, hang);
  } finally {
    app.server.closeAllConnections();
    await app.close();
  }
});

test('weir/fastify reaches routes registered in child plugins', async () => {
  const app = Fastify();
  await app.register(weirPlugin, { policy: [{ name: 'one', limit: { rate: 1, per: '1h', burst: 1 } }] });
  await app.register(async (child) => {
    child.get('/child', async () => 'ok');
  });
  const first = await app.inject({ method: 'GET', url: '/child' });
  const second = await app.inject({ method: 'GET', url: '/child' });
  assert.deepStrictEqual([first.statusCode, second.statusCode], [200, 429]);
  assert.strictEqual(second.headers['x-weir-rule'], 'one');
  assert.strictEqual(second.headers['retry-after'], '3600');
  await app.close();
});

test('weir/fastify loads as ESM', async () => {
  const esm = await import('weir/fastify');
  assert.strictEqual(typeof esm.default, 'function');
  assert.strictEqual(esm.weirPlugin, esm.default);
});
