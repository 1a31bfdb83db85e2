'use strict';
// Fastify behind weir: examples/policy.json on every request of the
// instance the plugin is registered on.
//
//   npm install weir fastify
//   node examples/node/fastify.js            # http://127.0.0.1:8000/api/items
//
// WEIR_POLICY names another policy file; PORT another port.
const path = require('node:path');
const Fastify = require('fastify');
const { Policy } = require('weir');
const weirPlugin = require('weir/fastify');

const policy = Policy.fromFile(process.env.WEIR_POLICY || path.join(__dirname, '..', 'policy.json'));

const app = Fastify();
app.register(weirPlugin, { policy, keyGenerator: (request) => request.headers['x-api-key'] });
app.get('/api/items', async (request) => ({ items: [], cluster: request.weir.upstream }));

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT || 8000) }).then((address) => {
  console.log(`listening on ${address}`);
});
process.on('SIGTERM', () => app.close());
