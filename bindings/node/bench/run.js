'use strict';
// weir against the Node libraries people use for the same jobs, in one run
// of one process: `<case> ns_per_op=<float>` per case (the median of several
// rounds), then the ratios the issue sets bars on.
const { RateLimiterMemory } = require('rate-limiter-flexible');
const pLimit = require('p-limit');
const Bottleneck = require('bottleneck');
const cockatiel = require('cockatiel');
const weir = require('..');

const ROUNDS = Number(process.env.WEIR_BENCH_ROUNDS || 7);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function sync(n, fn) {
  for (let i = 0; i < Math.min(n, 100000); i++) fn(i);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(rounds);
}

async function serial(n, fn) {
  for (let i = 0; i < Math.min(n, 20000); i++) await fn(i);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn(i);
    rounds.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(rounds);
}

/** A token bucket as people write it in plain JS. */
class JsBucket {
  constructor(rate, burst) {
    this.rate = rate / 1000;
    this.burst = burst;
    this.tokens = burst;
    this.last = performance.now();
  }

  take() {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const results = {};
function report(name, ns) {
  results[name] = ns;
  console.log(`${name} ns_per_op=${ns.toFixed(1)}`);
}

const keys = Array.from({ length: 1000 }, (_, i) => `client-${i}`);
const HUGE = 1e9;

async function main() {
  let sink = 0;
  // Rate limits: limits so high nothing is refused, so every case does the same work.
  const limiter = new weir.Limiter({ rate: HUGE, per: 'second', burst: HUGE });
  report('weir_limiter_tryAcquire', sync(2e6, () => (sink += limiter.tryAcquire().remaining)));
  // The policy engine with one limit rule, called as a middleware calls it.
  const policy = new weir.Policy({ rules: [{ name: 'api', limit: { rate: HUGE, per: '1s' } }] });
  const request = { method: 'GET', path: '/api/items' };
  report('weir_policy_check_one_limit', sync(2e6, () => (sink += policy.check(request).status)));
  const routed = new weir.Policy({ rules: [{ name: 'api', match: { path_prefix: '/api' }, limit: { rate: HUGE, per: '1s' } }] });
  report('weir_policy_check_one_limit_path_match', sync(3e5, () => (sink += routed.check(request).status)));
  const bucket = new JsBucket(HUGE, HUGE);
  report('plain_js_token_bucket', sync(2e6, () => (sink += bucket.take() ? 1 : 0)));
  const rlf = new RateLimiterMemory({ points: HUGE, duration: 1 });
  report('rate_limiter_flexible_consume', await serial(300000, () => rlf.consume('k', 1)));
  const keyed = new weir.KeyedLimiter({ rate: HUGE, per: 'second', burst: HUGE, capacity: 4096 });
  report('weir_keyed_tryAcquire_1000_keys', sync(1e6, (i) => (sink += keyed.tryAcquire(keys[i % 1000]).remaining)));
  report('rate_limiter_flexible_consume_1000_keys', await serial(300000, (i) => rlf.consume(keys[i % 1000], 1)));
  report('weir_limiter_acquire', await serial(300000, () => limiter.acquire()));
  const bottleneck = new Bottleneck({ maxConcurrent: null, minTime: 0 });
  // Bottleneck runs each job from a timer: milliseconds per call, so few calls.
  report('bottleneck_schedule', await serial(200, () => bottleneck.schedule(async () => 1)));

  // Concurrency caps around an async function.
  const permits = new weir.ConcurrencyLimiter({ max: 100 });
  report('weir_concurrency_run', await serial(300000, () => permits.run(async () => 1)));
  const limit = pLimit(100);
  report('p_limit_run', await serial(300000, () => limit(async () => 1)));

  // Retry overhead on a first-time success.
  const plain = async () => 1;
  report('async_call_baseline', await serial(500000, () => plain()));
  const budget = new weir.RetryBudget({ ratio: 0.1 });
  const withBudget = new weir.Retry({ budget });
  report('weir_retry_first_success', await serial(500000, () => withBudget.execute(plain)));
  const noBudget = new weir.Retry();
  report('weir_retry_first_success_no_budget', await serial(500000, () => noBudget.execute(plain)));
  const cockatielRetry = cockatiel.retry(cockatiel.handleAll, { maxAttempts: 3, backoff: new cockatiel.ExponentialBackoff() });
  report('cockatiel_retry_first_success', await serial(500000, () => cockatielRetry.execute(plain)));

  // Load shedding and singleflight.
  const shedder = new weir.Shedder();
  report('weir_shedder_run', await serial(300000, () => shedder.run(plain)));
  const flights = new weir.SingleFlight();
  const hundred = async () => {
    let starts = 0;
    const work = async () => {
      starts++;
      await null;
      return starts;
    };
    const all = [];
    for (let i = 0; i < 100; i++) all.push(flights.do('hot', work));
    await Promise.all(all);
    if (starts !== 1) throw new Error(`singleflight started ${starts} times`);
  };
  report('weir_singleflight_do_100_callers_per_caller', (await serial(3000, hundred)) / 100);

  const ratio = (a, b) => results[a] / results[b];
  console.log(`# tryAcquire / rate-limiter-flexible consume: ${ratio('weir_limiter_tryAcquire', 'rate_limiter_flexible_consume').toFixed(3)} (bar <= 0.5)`);
  console.log(`# Policy.check, one limit rule / Limiter.tryAcquire: ${ratio('weir_policy_check_one_limit', 'weir_limiter_tryAcquire').toFixed(3)} (bar <= 3)`);
  console.log(`# Policy.check, one limit rule on /api / Limiter.tryAcquire: ${ratio('weir_policy_check_one_limit_path_match', 'weir_limiter_tryAcquire').toFixed(3)} (bar <= 3)`);
  console.log(`# retry first success / cockatiel execute: ${ratio('weir_retry_first_success', 'cockatiel_retry_first_success').toFixed(3)} (bar <= 1.0)`);
  console.log(`# ConcurrencyLimiter.run / p-limit: ${ratio('weir_concurrency_run', 'p_limit_run').toFixed(3)}`);
  console.log(`# Limiter.acquire / bottleneck schedule: ${ratio('weir_limiter_acquire', 'bottleneck_schedule').toFixed(3)}`);
  if (sink === -1) console.log(sink);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
