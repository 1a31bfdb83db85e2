'use strict';
const test = require('node:test');
const assert = require('node:assert');
const express = require('express');
const { Policy } = require('weir');
const { weir } = require('weir/express');
const { RULES, exercise, get } = require('./adapters-common');

function serve(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

test('weir/express on a real Express app', async (t) => {
  const policy = new Policy({ rules: RULES });
  let hangStarted;
  const hang = new Promise((r) => (hangStarted = r));
  const app = express();
  app.use(weir({ policy, keyGenerator: (req) => req.get('x-api-key') }));
  app.get('/api/item', (req, res) => res.send('ok'));
  app.get('/keyed', (req, res) => res.send(req.weir.admitted ? 'admitted' : 'no'));
  app.get('/fail', (req, res) => res.status(503).send('down'));
  app.get('/hang', () => hangStarted());
  const server = await serve(app);
  try {
    await exercise(t, assert, server.address().port, policy, hang);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('weir/express takes rules inline and refuses a bad policy by field', async () => {
  const app = express();
  app.use(weir({ policy: [{ name: 'one', limit: { rate: 1, per: '1h', burst: 1 } }] }));
  app.get('/', (req, res) => res.send('ok'));
  const server = await serve(app);
  try {
    const port = server.address().port;
    assert.deepStrictEqual([(await get(port, '/')).status, (await get(port, '/')).status], [200, 429]);
  } finally {
    server.close();
  }
  assert.throws(() => weir({ policy: [{ name: 'bad', limit: { rate: -1, per: '1s' } }] }), /rate/);
  assert.throws(() => weir({ policy: 42 }), TypeError);
  assert.throws(() => weir({ policy: RULES, keyGenerator: 'x-api-key' }), TypeError);
});

test('weir/express loads as ESM', async () => {
  const esm = await import('weir/express');
  assert.strictEqual(typeof esm.weir, 'function');
  assert.strictEqual(esm.default, esm.weir);
});
