'use strict';
// A Hedger given `budget: retryBudget` spends the budget retry() spends:
// whichever spends first leaves nothing to the other.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const weir = require('weir');

// The repository: WEIR_ROOT where the tests run from a copy.
const ROOT = process.env.WEIR_ROOT || path.resolve(__dirname, '..', '..', '..');

/** Half a retry per call over an hour, nothing falling out of the window
 * during a test: after this one deposit, a hedged request or a retried call
 * (each depositing one more) leaves room for exactly one retry. */
function sharedBudget() {
  const budget = new weir.RetryBudget({ ratio: 0.5, minPerSecond: 0, windowMs: 3_600_000, buckets: 60 });
  budget.deposit();
  return budget;
}

/** A hedge answers at once; the first copy after 20 ms. */
async function slowFirstCopy({ number }) {
  if (number === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return number;
}

const backoff = { baseMs: 1, capMs: 1 };

test('a hedge spends the budget a retry needs', async () => {
  const budget = sharedBudget();
  const hedger = new weir.Hedger({ ceilingMs: 1, budget });
  assert.equal(await weir.hedged(hedger, slowFirstCopy), 1);
  assert.equal(hedger.stats().hedges, 1);
  let calls = 0;
  await assert.rejects(
    weir.retry(() => {
      calls++;
      throw new Error('boom');
    }, { budget, backoff }),
    (e) => e instanceof weir.RetryError && e.reason === 'budget_exhausted',
  );
  assert.equal(calls, 1);
  assert.deepEqual(budget.stats(), { requests: 3, retries: 1 });
  const s = hedger.stats();
  assert.deepEqual([s.budgetRequests, s.budgetRetries], [3, 1]);
});

test('a retry spends the budget a hedge needs', async () => {
  const budget = sharedBudget();
  const hedger = new weir.Hedger({ ceilingMs: 1, budget });
  let calls = 0;
  const answer = await weir.retry(() => {
    if (++calls === 1) throw new Error('boom');
    return 'ok';
  }, { budget, backoff });
  assert.deepEqual([answer, calls], ['ok', 2]);
  assert.equal(await weir.hedged(hedger, slowFirstCopy), 0);
  const s = hedger.stats();
  assert.deepEqual([s.hedges, s.refusedBudget], [0, 1]);
});

test('a retry\'s batched deposit counts before a hedge sent in the same tick', async () => {
  const budget = new weir.RetryBudget({ ratio: 1, minPerSecond: 0, windowMs: 3_600_000, buckets: 60 });
  // No delay: both hedges go out with the first copy.
  const hedger = new weir.Hedger({ floorMs: 0, ceilingMs: 0, maxHedges: 2, budget });
  assert.equal(await weir.retry(() => 'first try', { budget, backoff }), 'first try');
  // Two requests (the retried call's and the hedged one's) earn two hedges.
  const secondHedgeFirst = async ({ number }) => {
    if (number < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    return number;
  };
  assert.equal(await weir.hedged(hedger, secondHedgeFirst), 2);
  const s = hedger.stats();
  assert.deepEqual([s.hedges, s.budgetRequests, s.budgetRetries], [2, 2, 2]);
});

test('a hedger\'s budget argument is a RetryBudget or its settings', () => {
  assert.throws(() => new weir.Hedger({ budget: 'shared' }), (e) => e instanceof TypeError && e.field === 'budget');
  assert.throws(
    () => new weir.Hedger({ budget: { ratio: -1 } }),
    (e) => e instanceof RangeError && e.field === 'budget.ratio',
  );
  assert.throws(
    () => new weir.Hedger({ maxHedges: 0, budget: new weir.RetryBudget() }),
    (e) => e instanceof RangeError && e.field === 'maxHedges',
  );
});

test('the README\'s shared-budget example runs as printed', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'bindings', 'node', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes('new weir.Hedger({ ceilingMs: 20, budget })'));
  assert.ok(example, 'the README shows a hedger on a shared budget');
  const printed = /console\.log\(.*\); \/\/ (.*)$/m.exec(example)[1];
  const output = execFileSync(process.execPath, ['-e', example], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' });
  assert.equal(output.trim(), printed);
});
