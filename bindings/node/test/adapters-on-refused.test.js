'use strict';
// onRefused in every Node adapter: called once per refusal with the
// framework's request (Koa: the context) and the verdict, after the refusal
// is answered; a hook that throws becomes a warning and the client still
// gets its refusal.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const express = require('express');
const Fastify = require('fastify');
const Koa = require('koa');
const { Policy } = require('weir');
const { weir: weirExpress } = require('weir/express');
const weirFastify = require('weir/fastify');
const { weir: weirKoa } = require('weir/koa');
const { get } = require('./adapters-common');

const RULES = [{ name: 'tiny', match: { path_prefix: '/' }, limit: { rate: 1, per: '1h', burst: 1 } }];

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function hook(throws) {
  const seen = [];
  const fn = (request, verdict) => {
    seen.push({ request, verdict });
    if (throws) throw new Error("a hook's bug");
  };
  return { seen, fn };
}

async function statuses(port, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await get(port, '/x')).status);
  return out;
}

async function warningsDuring(fn) {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings.filter((w) => w.name === 'WeirOnRefusedError');
}

for (const throws of [false, true]) {
  test(`express calls onRefused with req and the verdict${throws ? ', a throwing hook warns' : ''}`, async () => {
    const h = hook(throws);
    const app = express();
    app.use(weirExpress({ policy: new Policy({ rules: RULES }), onRefused: h.fn }));
    app.get('/x', (req, res) => res.send('ok'));
    const server = http.createServer(app);
    const port = await listen(server);
    try {
      const warnings = await warningsDuring(async () => assert.deepEqual(await statuses(port, 3), [200, 429, 429]));
      assert.equal(warnings.length, throws ? 2 : 0);
    } finally {
      server.close();
    }
    assert.equal(h.seen.length, 2);
    assert.equal(h.seen[0].request.url, '/x');
    assert.deepEqual([h.seen[0].verdict.admitted, h.seen[0].verdict.status, h.seen[0].verdict.rule], [false, 429, 'tiny']);
  });

  test(`fastify calls onRefused with the request and the verdict${throws ? ', a throwing hook warns' : ''}`, async () => {
    const h = hook(throws);
    const app = Fastify();
    await app.register(weirFastify, { policy: RULES, onRefused: h.fn });
    app.get('/x', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const warnings = await warningsDuring(async () =>
        assert.deepEqual(await statuses(app.server.address().port, 3), [200, 429, 429]),
      );
      assert.equal(warnings.length, throws ? 2 : 0);
    } finally {
      await app.close();
    }
    assert.equal(h.seen.length, 2);
    assert.equal(h.seen[1].request.url, '/x');
    assert.equal(h.seen[1].verdict.rule, 'tiny');
  });

  test(`koa calls onRefused with the context and the verdict${throws ? ', a throwing hook warns' : ''}`, async () => {
    const h = hook(throws);
    const app = new Koa();
    app.use(weirKoa({ policy: RULES, onRefused: h.fn }));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = http.createServer(app.callback());
    const port = await listen(server);
    try {
      const warnings = await warningsDuring(async () => assert.deepEqual(await statuses(port, 3), [200, 429, 429]));
      assert.equal(warnings.length, throws ? 2 : 0);
    } finally {
      server.close();
    }
    assert.equal(h.seen.length, 2);
    assert.equal(h.seen[0].request.path, '/x');
    assert.equal(h.seen[0].verdict.status, 429);
  });
}

test('an async hook that rejects warns too, and a non-function is refused by name', async () => {
  const app = express();
  app.use(
    weirExpress({
      policy: RULES,
      onRefused: async () => {
        throw new Error('later');
      },
    }),
  );
  app.get('/x', (req, res) => res.send('ok'));
  const server = http.createServer(app);
  const port = await listen(server);
  try {
    const warnings = await warningsDuring(async () => assert.deepEqual(await statuses(port, 2), [200, 429]));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].message, /rule tiny: later/);
  } finally {
    server.close();
  }
  assert.throws(() => weirExpress({ policy: RULES, onRefused: 'log' }), /onRefused/);
});
