'use strict';
// Retries: Backoff (exponential with jitter, server advice honoured),
// RetryBudget (retries capped at a ratio of requests, shared by every
// caller and thread that holds it), and retry(fn, options) over both.
const { EventEmitter } = require('node:events');
const { n, F, B, U64_MAX } = require('./native');
const { CALL, CLOCK, DECISION, BACKOFF_NEW, RETRY_ASK, RETRY_DELAY, BUDGET_NEW, BUDGET_CALL } = require('./layout');
const { Events } = require('./events');
const check = require('./check');
const { typeError, rangeError, abortReason, RetryError } = require('./errors');
const { ATTACH, KIND, create, own, share, attach, exact } = require('./handle');
const { REASONS, ms, exactDecision } = require('./reason');
const { sleep } = require('./sleep');
const { parseRetryAfter } = require('./headers');

const JITTERS = ['none', 'full', 'equal', 'decorrelated'];

const BACKOFF_FIELDS = {
  base_ns: { name: 'baseMs' },
  cap_ns: { name: 'capMs' },
  multiplier: { name: 'multiplier' },
  jitter: { name: 'jitter' },
  max_attempts: { name: 'maxAttempts' },
  advised_cap_ns: { name: 'advisedCapMs' },
};

class Backoff {
  #h;
  #handle;

  /**
   * @param {{baseMs?: number, capMs?: number, multiplier?: number,
   *   jitter?: 'none'|'full'|'equal'|'decorrelated', maxAttempts?: number, advisedCapMs?: number}} options
   */
  constructor(options = {}, shared = undefined) {
    if (options === ATTACH) {
      this.#handle = shared;
    } else {
      const o = check.options(options);
      check.putU64(BACKOFF_NEW.BASE, check.durationNs(o.baseMs === undefined ? 25 : o.baseMs, 'baseMs'), 'baseMs');
      check.putU64(BACKOFF_NEW.CAP, check.durationNs(o.capMs === undefined ? 250 : o.capMs, 'capMs'), 'capMs');
      F[BACKOFF_NEW.MULTIPLIER] = o.multiplier === undefined ? 2 : check.number(o.multiplier, 'multiplier');
      const jitter = o.jitter === undefined ? 'full' : o.jitter;
      if (typeof jitter !== 'string') throw typeError('jitter', `one of ${JITTERS.join(', ')}`, jitter);
      if (!JITTERS.includes(jitter)) throw rangeError('jitter', `one of ${JITTERS.join(', ')}`, jitter);
      F[BACKOFF_NEW.JITTER] = JITTERS.indexOf(jitter);
      B[BACKOFF_NEW.MAX_ATTEMPTS] = o.maxAttempts === undefined ? 3n : check.u64(o.maxAttempts, 'maxAttempts');
      check.putU64(BACKOFF_NEW.ADVISED_CAP, check.durationNs(o.advisedCapMs === undefined ? 30000 : o.advisedCapMs, 'advisedCapMs', { allowInfinity: true }), 'advisedCapMs');
      this.#handle = create(KIND.Backoff, n.backoffNew, BACKOFF_FIELDS);
    }
    this.#h = own(this, this.#handle);
  }

  static attach(shared) {
    return new Backoff(ATTACH, attach(KIND.Backoff, shared, 'Backoff'));
  }

  share() {
    return share(this.#handle);
  }

  /** @internal the native handle, for retry decisions */
  get _h() {
    return this.#h;
  }

  /** The delay before retry number `retry` (1 for the first), jittered, in ms. */
  delay(retry, previousMs = 0) {
    F[CALL.HANDLE] = this.#h;
    F[RETRY_ASK.ATTEMPT] = check.integer(retry, 'retry', 0, 0xffffffff);
    F[RETRY_ASK.PREVIOUS] = check.finite(previousMs, 'previousMs', 0, Number.MAX_SAFE_INTEGER) * 1e6;
    n.backoffDelay();
    return F[RETRY_DELAY.BACKOFF_DELAY] / 1e6;
  }

  // Explicit variants: every input and answer exact, the draw given.
  delayAt(retry, draw, previousNs = 0n) {
    check.putU64(RETRY_ASK.ATTEMPT, retry, 'retry');
    check.putU64(RETRY_ASK.DRAW, draw, 'draw');
    check.putU64(RETRY_ASK.PREVIOUS, previousNs, 'previousNs');
    return exact.at(0n, () => {
      F[CALL.HANDLE] = this.#h;
      n.backoffDelay();
      return B[RETRY_DELAY.BACKOFF_DELAY];
    });
  }

  nextAt(attempt, draw, previousNs = 0n, advisedNs = undefined) {
    check.putU64(RETRY_ASK.ATTEMPT, attempt, 'attempt');
    check.putU64(RETRY_ASK.DRAW, draw, 'draw');
    check.putU64(RETRY_ASK.PREVIOUS, previousNs, 'previousNs');
    F[RETRY_ASK.HAS_ADVICE] = advisedNs === undefined ? 0 : 1;
    if (advisedNs !== undefined) check.putU64(RETRY_ASK.ADVICE, advisedNs, 'advisedNs');
    return exact.at(0n, () => {
      F[CALL.HANDLE] = this.#h;
      n.backoffNext();
      return { reason: REASONS[F[RETRY_DELAY.NEXT_REASON]], delay: B[RETRY_DELAY.NEXT_DELAY] };
    });
  }
}

const BUDGET_FIELDS = {
  ratio: { name: 'ratio' },
  min_per_second: { name: 'minPerSecond' },
  window_ns: { name: 'windowMs' },
  buckets: { name: 'buckets' },
};

// Original requests are counted here and flushed to the shared budget once
// per event-loop turn (or every FLUSH_AT requests): one native call and one
// clock read for a burst instead of one per request. A deposit lands at most
// one turn late, far inside a bucket (1 s by default); every decision and
// snapshot of this thread flushes first, so its own counts are exact.
const FLUSH_AT = 256;

class RetryBudget extends EventEmitter {
  #h;
  #handle;
  #events = new Events(this, n.budgetNextEvent, () => this.#h);
  #pending = 0;
  #scheduled = false;
  #flushSoon = () => {
    this.#scheduled = false;
    this._flush();
  };

  /** @param {{ratio?: number, minPerSecond?: number, windowMs?: number, buckets?: number}} options */
  constructor(options = {}, shared = undefined) {
    super();
    if (options === ATTACH) {
      this.#handle = shared;
    } else {
      const o = check.options(options);
      F[BUDGET_NEW.RATIO] = o.ratio === undefined ? 0.1 : check.number(o.ratio, 'ratio');
      B[BUDGET_NEW.MIN_PER_SECOND] = o.minPerSecond === undefined ? 10n : check.u64(o.minPerSecond, 'minPerSecond');
      check.putU64(BUDGET_NEW.WINDOW, check.durationNs(o.windowMs === undefined ? 10000 : o.windowMs, 'windowMs'), 'windowMs');
      B[BUDGET_NEW.BUCKETS] = o.buckets === undefined ? 10n : check.u64(o.buckets, 'buckets');
      this.#handle = create(KIND.RetryBudget, n.budgetNew, BUDGET_FIELDS);
    }
    this.#h = own(this, this.#handle);
  }

  static attach(shared) {
    return new RetryBudget(ATTACH, attach(KIND.RetryBudget, shared, 'RetryBudget'));
  }

  share() {
    return share(this.#handle);
  }

  /** @internal the native handle; pending deposits are flushed first */
  get _h() {
    if (this.#pending > 0) this._flush();
    return this.#h;
  }

  /** @internal one original request, batched */
  _depositOne() {
    if (++this.#pending >= FLUSH_AT) {
      this._flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon).unref();
    }
  }

  /** @internal */
  _flush() {
    const count = this.#pending;
    if (count === 0) return;
    this.#pending = 0;
    F[CALL.HANDLE] = this.#h;
    F[BUDGET_CALL.COUNT] = count;
    n.budgetDeposit();
  }

  /** Counts original requests (not retries): they earn the retries. */
  deposit(count = 1) {
    check.integer(count, 'count', 0);
    this._flush();
    F[CALL.HANDLE] = this.#h;
    F[BUDGET_CALL.COUNT] = count;
    n.budgetDeposit();
  }

  /** Asks for one retry now: `{ ok, reason, retryAfterMs, remaining }`. */
  withdraw() {
    this._flush();
    F[CALL.HANDLE] = this.#h;
    F[BUDGET_CALL.DELAY] = 0;
    F[BUDGET_CALL.DEADLINE_LEFT] = 18446744073709551615;
    n.budgetWithdraw();
    this.#events.after();
    const code = F[DECISION.REASON];
    const retryAfterMs = code === 0 ? 0 : ms(F[DECISION.RETRY_AFTER]);
    return { ok: code === 0, reason: REASONS[code], retryAfterMs, remaining: F[DECISION.REMAINING] };
  }

  /** @internal after a decision made on this budget elsewhere (the retry loop) */
  _decided() {
    this.#events.after();
  }

  /** Requests and retries in the window now. */
  stats() {
    this._flush();
    F[CALL.HANDLE] = this.#h;
    n.budgetSnapshot();
    return { requests: F[BUDGET_CALL.REQUESTS], retries: F[BUDGET_CALL.RETRIES] };
  }

  // Explicit-time variants (bigint ns), answering in exact bigints.
  depositAt(now, count = 1) {
    this._flush();
    check.putU64(BUDGET_CALL.COUNT, count, 'count');
    exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.budgetDeposit();
    });
  }

  withdrawAt(now, delayNs = 0n, deadlineLeftNs = U64_MAX) {
    this._flush();
    check.putU64(BUDGET_CALL.DELAY, delayNs, 'delayNs');
    check.putU64(BUDGET_CALL.DEADLINE_LEFT, deadlineLeftNs, 'deadlineLeftNs');
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.budgetWithdraw();
      this.#events.after();
      return exactDecision();
    });
  }

  statsAt(now) {
    this._flush();
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.budgetSnapshot();
      return { requests: B[BUDGET_CALL.REQUESTS], retries: B[BUDGET_CALL.RETRIES] };
    });
  }

  /** Core's whole retry decision (a final answer, attempts, then deadline, then budget) at `now`. */
  retryAt(now, backoff, { attempt, draw = 0n, previousNs = 0n, advisedNs, deadlineLeftNs = U64_MAX, noRetry = false }) {
    if (!(backoff instanceof Backoff)) throw typeError('backoff', 'a Backoff', backoff);
    check.putU64(RETRY_ASK.ATTEMPT, attempt, 'attempt');
    check.putU64(RETRY_ASK.DRAW, draw, 'draw');
    check.putU64(RETRY_ASK.PREVIOUS, previousNs, 'previousNs');
    F[RETRY_ASK.HAS_ADVICE] = advisedNs === undefined ? 0 : 1;
    if (advisedNs !== undefined) check.putU64(RETRY_ASK.ADVICE, advisedNs, 'advisedNs');
    check.putU64(RETRY_ASK.DEADLINE_LEFT, deadlineLeftNs, 'deadlineLeftNs');
    F[RETRY_ASK.NO_RETRY] = noRetry ? 1 : 0;
    this._flush();
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      F[RETRY_ASK.BACKOFF] = backoff._h;
      n.retryDecide();
      this.#events.after();
      return { ...exactDecision(), delay: B[RETRY_DELAY.DECIDE_DELAY] };
    });
  }
}

let defaultBackoff;
const resolved = new WeakMap();

/** A policy's pieces, validated once per options object. */
function policyOf(options) {
  let p = resolved.get(options);
  if (p !== undefined) return p;
  const o = check.options(options);
  let backoff = o.backoff;
  if (backoff === undefined) backoff = defaultBackoff || (defaultBackoff = new Backoff());
  else if (!(backoff instanceof Backoff)) backoff = new Backoff(check.options(backoff, 'backoff'));
  const budget = o.budget;
  if (budget !== undefined && !(budget instanceof RetryBudget)) throw typeError('budget', 'a RetryBudget', budget);
  const retryAfter = o.retryAfter === undefined ? undefined : check.fn(o.retryAfter, 'retryAfter');
  const retryOn = o.retryOn === undefined ? undefined : check.fn(o.retryOn, 'retryOn');
  const timeoutMs = o.timeoutMs === undefined ? undefined : check.finite(o.timeoutMs, 'timeoutMs', 0, Number.MAX_SAFE_INTEGER);
  p = { backoff, budget, retryAfter, retryOn, timeoutMs };
  if (options !== undefined) resolved.set(options, p);
  return p;
}

/** The server's advice as ns, or -1: `retryAfter(err)` (ms or a Retry-After value), else `err.retryAfterMs`. */
function adviceNs(p, err) {
  let advice = p.retryAfter !== undefined ? p.retryAfter(err) : err !== null && typeof err === 'object' ? err.retryAfterMs : undefined;
  if (advice === undefined || advice === null) return -1;
  if (typeof advice === 'string') advice = parseRetryAfter(advice);
  if (typeof advice !== 'number' || !(advice >= 0)) return -1;
  return advice === Infinity ? 18446744073709551615 : advice * 1e6;
}

/** Whether a lower layer already decided against a retry: `err.noRetry`, or
 * `x-weir-no-retry: 1` / a negative `grpc-retry-pushback-ms` in `err.headers`
 * or `err.response.headers` (a plain object, a `Headers` or a `Map`). */
function noRetry(err) {
  if (err === null || typeof err !== 'object') return false;
  if (err.noRetry === true) return true;
  return finalIn(err.headers) || (err.response !== null && typeof err.response === 'object' && finalIn(err.response.headers));
}

function finalIn(headers) {
  if (headers === null || typeof headers !== 'object') return false;
  const marker = header(headers, 'x-weir-no-retry');
  const pushback = header(headers, 'grpc-retry-pushback-ms');
  return (marker !== undefined && String(marker).trim() === '1') || (pushback !== undefined && String(pushback).trim().startsWith('-'));
}

function header(headers, name) {
  if (typeof headers.get === 'function') {
    const v = headers.get(name);
    return v === null ? undefined : v;
  }
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

/** Decides the retry after `attempt` failed: the delay in ns, or a refusal reason. */
function decide(p, attempt, previousNs, err, startedMs) {
  const advice = adviceNs(p, err);
  let leftNs = 18446744073709551615;
  if (p.timeoutMs !== undefined) {
    n.clock();
    leftNs = Math.max(0, (startedMs + p.timeoutMs) * 1e6 - F[CLOCK.NS_F64]);
  }
  const budget = p.budget === undefined ? -1 : p.budget._h;
  F[CALL.HANDLE] = budget;
  F[RETRY_ASK.ATTEMPT] = attempt;
  F[RETRY_ASK.PREVIOUS] = previousNs;
  F[RETRY_ASK.HAS_ADVICE] = advice < 0 ? 0 : 1;
  F[RETRY_ASK.ADVICE] = advice;
  F[RETRY_ASK.DEADLINE_LEFT] = leftNs;
  F[RETRY_ASK.BACKOFF] = p.backoff._h;
  F[RETRY_ASK.NO_RETRY] = noRetry(err) ? 1 : 0;
  n.retryDecide();
  if (p.budget !== undefined) p.budget._decided();
  const code = F[DECISION.REASON];
  return code === 0 ? F[RETRY_DELAY.DECIDE_DELAY] : REASONS[code];
}

/**
 * Calls `fn({ attempt, signal })` until it succeeds, retrying failures after
 * the backoff's delay (or the server's advice) while the attempts, the
 * deadline (`timeoutMs`) and the shared budget allow; then rejects with a
 * RetryError whose `reason` says which refused and whose `cause` is the
 * last failure.
 */
function retry(fn, options = undefined) {
  try {
    if (typeof fn !== 'function') throw typeError('fn', 'a function', fn);
    const p = policyOf(options);
    const signal = options === undefined ? undefined : check.signal(options.signal);
    return run(fn, p, signal);
  } catch (e) {
    return Promise.reject(e);
  }
}

async function run(fn, p, signal) {
  if (p.budget !== undefined) p.budget._depositOne();
  let startedMs = 0;
  if (p.timeoutMs !== undefined) {
    n.clock();
    startedMs = F[CLOCK.NS_F64] / 1e6;
  }
  let previousNs = 0;
  for (let attempt = 1; ; attempt++) {
    if (signal !== undefined && signal.aborted) throw abortReason(signal);
    try {
      return await fn({ attempt, signal });
    } catch (err) {
      if (signal !== undefined && signal.aborted) throw err;
      if (p.retryOn !== undefined && !p.retryOn(err)) throw err;
      const next = decide(p, attempt, previousNs, err, startedMs);
      if (typeof next === 'string') throw new RetryError(next, attempt, err);
      await sleep(next / 1e6, signal);
      previousNs = next;
    }
  }
}

/** A reusable retry policy (cockatiel's shape): `policy.execute(fn)`. */
class Retry {
  #p;

  constructor(options = {}) {
    const o = check.options(options);
    if (o.signal !== undefined) throw typeError('signal', 'passed to execute(fn, signal), not to the policy', o.signal);
    this.#p = policyOf({ ...o });
  }

  execute(fn, signal = undefined) {
    if (typeof fn !== 'function') return Promise.reject(typeError('fn', 'a function', fn));
    if (signal !== undefined) {
      try {
        check.signal(signal);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return run(fn, this.#p, signal);
  }
}

module.exports = { Backoff, RetryBudget, Retry, retry };
