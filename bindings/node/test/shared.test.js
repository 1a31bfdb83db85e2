'use strict';
// Limiter({ shared: path }): one bucket for every process that opens the file.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const weir = require('weir');

const S = 1_000_000_000n;

function tmp(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-node-shared-'));
  return { file: path.join(dir, name), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// A child spends from the shared bucket at one instant (nothing refills
// meanwhile) and prints how many tokens it got.
const CHILD = `
const weir = require(${JSON.stringify(require.resolve('weir'))});
const lim = new weir.Limiter({ rate: 1, per: 'second', burst: 500, shared: process.argv[1] });
let n = 0;
for (let i = 0; i < 300; i++) if (lim.tryAcquireAt(9n * ${S}n).reason === 'admitted') n++;
process.stdout.write(String(n));
`;

test('processes spend one bucket exactly', async () => {
  const { file, done } = tmp('api.limit');
  try {
    const runs = [0, 1, 2].map(
      () =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, ['-e', CHILD, file]);
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`child exited ${code}`))));
        }),
    );
    const admitted = await Promise.all(runs);
    assert.strictEqual(admitted.reduce((a, b) => a + b, 0), 500);
  } finally {
    done();
  }
});

test('openers in one process share state and the file keeps its config', () => {
  const { file, done } = tmp('one');
  try {
    const a = new weir.Limiter({ rate: 10, burst: 3, shared: file });
    const b = new weir.Limiter({ rate: 10, burst: 3, shared: file });
    assert.strictEqual(a.shared, file);
    assert.strictEqual(new weir.Limiter({ rate: 10 }).shared, undefined);
    assert.strictEqual(a.tryAcquireAt(5n * S, 2).reason, 'admitted');
    assert.strictEqual(b.tryAcquireAt(5n * S, 1).reason, 'admitted');
    const refused = a.tryAcquireAt(5n * S, 1);
    assert.strictEqual(refused.reason, 'rate_limited');
    assert.strictEqual(refused.retryAfter, S / 10n);
    assert.throws(
      () => new weir.Limiter({ rate: 10, burst: 4, shared: file }),
      (e) => e instanceof RangeError && e.field === 'burst' && /shared limiter's 3/.test(e.message),
    );
    assert.throws(() => new weir.Limiter({ rate: 20, burst: 3, shared: file }), (e) => e instanceof RangeError && e.field === 'rate');
  } finally {
    done();
  }
});

test('bad files and paths are refused', () => {
  const { file, done } = tmp('foreign');
  try {
    fs.writeFileSync(file, 'not a limiter');
    assert.throws(() => new weir.Limiter({ rate: 10, shared: file }), /is not a weir shared limiter/);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'not a limiter');
    assert.throws(() => new weir.Limiter({ rate: 10, shared: path.join(file, 'x', 'y') }), /open of /);
    for (const bad of [42, '', 'a\0b', null]) {
      assert.throws(() => new weir.Limiter({ rate: 10, shared: bad }), (e) => e instanceof TypeError && e.field === 'shared');
    }
    assert.throws(() => new weir.Limiter({ rate: 10, burst: 0, shared: file + '-never' }), (e) => e instanceof RangeError && e.field === 'burst');
    assert.ok(!fs.existsSync(file + '-never'));
    assert.throws(() => new weir.KeyedLimiter({ rate: 10, shared: file }), (e) => e instanceof TypeError && e.field === 'shared');
  } finally {
    done();
  }
});
