'use strict';
// Koa behind weir: examples/policy.json on every request.
//
//   npm install weir koa
//   node examples/node/koa.js                # http://127.0.0.1:8000/api/items
//
// WEIR_POLICY names another policy file; PORT another port.
const path = require('node:path');
const Koa = require('koa');
const { Policy } = require('weir');
const { weir } = require('weir/koa');

const policy = Policy.fromFile(process.env.WEIR_POLICY || path.join(__dirname, '..', 'policy.json'));

const app = new Koa();
app.use(weir({ policy, keyGenerator: (ctx) => ctx.get('x-api-key') || undefined }));
app.use((ctx) => {
  if (ctx.path !== '/api/items') ctx.throw(404);
  ctx.body = { items: [], cluster: ctx.state.weir.upstream };
});

const server = app.listen(Number(process.env.PORT || 8000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close());
