'use strict';
// Shared by the framework adapter tests: the policy they run, a node:http
// client, and a bounded wait.
const http = require('node:http');

const BURST = 10;
const RULES = [
  { name: 'api', match: { path_prefix: '/api' }, limit: { rate: 1, per: '1h', burst: BURST } },
  {
    name: 'per_caller',
    match: { path_prefix: '/keyed' },
    limit: { rate: 1, per: '1h', burst: 3, key: 'caller', headers_on_success: true },
  },
  { name: 'upstream', match: { path_prefix: '/fail' }, throttle: { k: 1000, failures: ['5xx'] } },
  { name: 'hang', match: { path_prefix: '/hang' }, throttle: { k: 1000, failures: ['5xx'] } },
];

function get(port, path, headers = {}, agent = undefined) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
}

/** `clients` concurrent clients, each with its own keep-alive connection,
 * sending `each` requests one after another. */
async function hammer(port, path, clients, each) {
  const all = await Promise.all(
    Array.from({ length: clients }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const out = [];
      for (let i = 0; i < each; i++) out.push(await get(port, path, {}, agent));
      agent.destroy();
      return out;
    }),
  );
  return all.flat();
}

/** Sends a request and aborts it once the server has it. */
function abortAfter(port, path, started) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path });
    req.on('error', () => resolve());
    started.then(() => req.destroy());
  });
}

async function until(check, what) {
  const stop = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function tally(responses) {
  const out = {};
  for (const r of responses) out[r.status] = (out[r.status] || 0) + 1;
  return out;
}

/** The shared assertions of every adapter, against a server on `port`
 * running `policy`; `hangStarted` resolves when /hang reached its handler. */
async function exercise(t, assert, port, policy, hangStarted) {
  await t.test('8 concurrent clients admit exactly the burst', async () => {
    const responses = await hammer(port, '/api/item', 8, 5);
    assert.deepStrictEqual(tally(responses), { 200: BURST, 429: 40 - BURST });
    const refused = responses.find((r) => r.status === 429);
    assert.strictEqual(refused.headers['retry-after'], '3600');
    assert.strictEqual(refused.headers['x-ratelimit-limit'], String(BURST));
    assert.strictEqual(refused.headers['x-ratelimit-remaining'], '0');
    assert.strictEqual(refused.headers['x-weir-rule'], 'api');
    assert.match(refused.headers['content-type'], /^text\/plain/);
    assert.strictEqual(refused.body, 'weir: rate_limited by rule "api"\n');
    assert.strictEqual(policy.counters()['weir.api.admitted'], BURST);
    assert.strictEqual(policy.counters()['weir.api.limited'], 40 - BURST);
  });
  await t.test('keyGenerator gives each caller its own limit', async () => {
    const alice = [];
    for (let i = 0; i < 5; i++) alice.push(await get(port, '/keyed', { 'x-api-key': 'alice' }));
    assert.deepStrictEqual(alice.map((r) => r.status), [200, 200, 200, 429, 429]);
    assert.strictEqual(alice[0].body, 'admitted');
    assert.strictEqual(alice[0].headers['x-ratelimit-remaining'], '2');
    assert.strictEqual(alice[3].headers['x-weir-rule'], 'per_caller');
    assert.strictEqual((await get(port, '/keyed', { 'x-api-key': 'bob' })).status, 200);
  });
  await t.test('the status is reported when the response starts', async () => {
    for (let i = 0; i < 3; i++) assert.strictEqual((await get(port, '/fail')).status, 503);
    await until(() => policy.counters()['weir.upstream.upstream_failures'] === 3, 'three reported 503s');
    assert.strictEqual(policy.counters()['weir.upstream.throttle_passed'], 3);
  });
  await t.test('a request aborted before its response is reported as a reset', async () => {
    await abortAfter(port, '/hang', hangStarted);
    await until(() => policy.counters()['weir.hang.upstream_failures'] === 1, 'the reset reported');
  });
}

module.exports = { BURST, RULES, get, hammer, exercise };
