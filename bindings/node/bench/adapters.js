'use strict';
// Per admitted request, weir/express against express-rate-limit and
// weir/fastify against @fastify/rate-limit, in one run, in-memory stores,
// one key, limits far above the load. Express: the middleware called in
// process on a node:http request and response, against a middleware that
// only calls next. Fastify: a request through the app by its test client
// (inject), with the plugin against without. Prints
// `<case> ns_per_op=<float>` per case (the fastest of interleaved rounds),
// then the ratios the issue sets bars on.
const express = require('express');
const { rateLimit } = require('express-rate-limit');
const Fastify = require('fastify');
const fastifyRateLimit = require('@fastify/rate-limit');
const { IncomingMessage, ServerResponse } = require('node:http');
const { Socket } = require('node:net');
const { weir } = require('../lib/adapters/express');
const weirPlugin = require('../lib/adapters/fastify');

const HUGE = 1e9;
const RULES = [{ name: 'api', limit: { rate: HUGE, per: '1s', burst: HUGE } }];
const ROUNDS = Number(process.env.WEIR_BENCH_ROUNDS || 5);
const SECONDS = Number(process.env.WEIR_BENCH_SECONDS || 0.4);

function expressMiddleware(kind) {
  const middleware =
    kind === 'weir'
      ? weir({ policy: RULES })
      : kind === 'theirs'
        ? rateLimit({ windowMs: 60 * 60 * 1000, limit: HUGE, validate: false })
        : (req, res, next) => next();
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = req.originalUrl = '/item';
  req.headers = { host: 'bench' };
  // What Express's request gives the limiters (express-rate-limit keys on req.ip).
  Object.defineProperty(req, 'ip', { value: '127.0.0.1' });
  const res = new ServerResponse(req);
  let admitted = 0;
  const next = () => admitted++;
  // Every case is awaited, as express-rate-limit's middleware must be.
  return async () => {
    const before = admitted;
    await middleware(req, res, next);
    return { statusCode: admitted > before ? 200 : res.statusCode };
  };
}

async function fastifyApp(kind) {
  const app = Fastify();
  if (kind === 'weir') await app.register(weirPlugin, { policy: RULES });
  if (kind === 'theirs') await app.register(fastifyRateLimit, { max: HUGE, timeWindow: '1 hour' });
  app.get('/item', async () => ({}));
  await app.ready();
  return () => app.inject({ method: 'GET', url: '/item', remoteAddress: '127.0.0.1' });
}

/** ns per request over SECONDS of serial requests. */
async function rate(call) {
  let n = 0;
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < stop) {
    for (let i = 0; i < 50; i++) {
      const res = await call();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.body}`);
    }
    n += 50;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / n;
}

async function compare(framework, make, bar) {
  const anchor = 'rate_limit';
  const calls = { bare: await make('bare'), weir: await make('weir'), theirs: await make('theirs') };
  const best = { bare: Infinity, weir: Infinity, theirs: Infinity };
  for (const call of Object.values(calls)) await rate(call); // warm-up
  // Rounds interleaved and the fastest of each kept: a shared machine's noise only adds time.
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of Object.keys(calls)) best[kind] = Math.min(best[kind], await rate(calls[kind]));
  }
  console.log(`${framework}_bare ns_per_op=${best.bare.toFixed(1)}`);
  console.log(`${framework}_weir ns_per_op=${best.weir.toFixed(1)}`);
  console.log(`${framework}_${anchor} ns_per_op=${best.theirs.toFixed(1)}`);
  // Below the run's noise a cost can come out negative: it counts as none.
  const ours = Math.max(best.weir - best.bare, 0);
  const theirs = Math.max(best.theirs - best.bare, 1e-9);
  console.log(
    `# ${framework} per admitted request: weir ${ours.toFixed(0)} ns, ${framework}_${anchor} ${theirs.toFixed(0)} ns: ` +
      `${(ours / theirs).toFixed(3)} (bar <= ${bar})`,
  );
}

async function main() {
  await compare('express', expressMiddleware, 0.5);
  await compare('fastify', fastifyApp, 0.5);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
