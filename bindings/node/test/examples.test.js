'use strict';
// The runnable examples under examples/node, as a user runs them: started on
// a loopback port the system picks, one request admitted by
// examples/policy.json, stopped by SIGTERM.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { get } = require('./adapters-common');

// The repository: WEIR_ROOT where the tests run from a copy.
const ROOT = process.env.WEIR_ROOT || path.resolve(__dirname, '..', '..', '..');
// The examples resolve weir and the frameworks from this package's modules.
const MODULES = path.resolve(__dirname, '..', 'node_modules');

async function serve(example) {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'node', example)], {
    env: { ...process.env, PORT: '0', NODE_PATH: MODULES },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const port = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`${example} did not start: ${stderr}`)), 15000);
    child.stdout.on('data', (c) => {
      stdout += c;
      const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${example} exited with ${code}: ${stderr}`));
    });
  });
  const stop = () =>
    new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.kill('SIGTERM');
    });
  return { port, stop };
}

for (const example of ['express.js', 'fastify.js', 'koa.js']) {
  test(`examples/node/${example} admits a request by examples/policy.json`, async () => {
    const { port, stop } = await serve(example);
    try {
      const res = await get(port, '/api/items', {}, false);
      assert.strictEqual(res.status, 200, res.body);
      // per_client answers admitted requests with its limit: burst 40.
      assert.strictEqual(res.headers['x-ratelimit-limit'], '40');
      assert.strictEqual(res.headers['x-ratelimit-remaining'], '39');
      assert.match(JSON.parse(res.body).cluster, /^service_[ab]$/);
    } finally {
      const exit = await stop();
      assert.strictEqual(exit.code, 0, `${example} stopped with ${JSON.stringify(exit)}`);
    }
  });
}

test('examples/node/express.js serves the counters on /metrics', async () => {
  const { port, stop } = await serve('express.js');
  try {
    assert.strictEqual((await get(port, '/api/items', {}, false)).status, 200);
    const scrape = await get(port, '/metrics', {}, false);
    assert.strictEqual(scrape.status, 200);
    assert.match(scrape.body, /^weir_admitted\{weir_rule="per_client"\} 1$/m);
    // The scrape itself passed the catch-all rule "service" before it read the counters.
    assert.match(scrape.body, /^weir_admitted\{weir_rule="service"\} 2$/m);
  } finally {
    await stop();
  }
});
