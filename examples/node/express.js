'use strict';
// Express behind weir: examples/policy.json on every request, its counters
// on /metrics under the filter's Prometheus names.
//
//   npm install weir express prom-client
//   node examples/node/express.js            # http://127.0.0.1:8000/api/items
//
// WEIR_POLICY names another policy file; PORT another port.
const path = require('node:path');
const express = require('express');
const client = require('prom-client');
const { Policy } = require('weir');
const { weir } = require('weir/express');
const prometheus = require('weir/prometheus');

const policy = Policy.fromFile(process.env.WEIR_POLICY || path.join(__dirname, '..', 'policy.json'));
const registry = new client.Registry();
prometheus.register(policy, registry);

const app = express();
app.use(weir({ policy, keyGenerator: (req) => req.get('x-api-key') }));
app.get('/api/items', (req, res) => res.json({ items: [], cluster: req.weir.upstream }));
app.get('/metrics', async (req, res) => {
  res.type(registry.contentType).send(await registry.metrics());
});

const server = app.listen(Number(process.env.PORT || 8000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close());
