'use strict';
const test = require('node:test');
const assert = require('node:assert');
const Koa = require('koa');
const { Policy } = require('weir');
const { weir } = require('weir/koa');
const { RULES, exercise } = require('./adapters-common');

test('weir/koa on a real Koa app', async (t) => {
  const policy = new Policy({ rules: RULES });
  let hangStarted;
  const hang = new Promise((r) => (hangStarted = r));
  const app = new Koa();
  app.use(weir({ policy, keyGenerator: (ctx) => ctx.get('x-api-key') || undefined }));
  app.use(async (ctx) => {
    if (ctx.path === '/api/item') ctx.body = 'ok';
    else if (ctx.path === '/keyed') ctx.body = ctx.state.weir.admitted ? 'admitted' : 'no';
    else if (ctx.path === '/fail') {
      ctx.status = 503;
      ctx.body = 'down';
    } else if (ctx.path === '/hang') {
      hangStarted();
      await new Promise(() => {});
    }
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    await exercise(t, assert, server.address().port, policy, hang);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('weir/koa loads as ESM', async () => {
  const esm = await import('weir/koa');
  assert.strictEqual(typeof esm.weir, 'function');
});
