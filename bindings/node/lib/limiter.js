'use strict';
// Rate limits: Limiter (one GCRA bucket shared by every thread that holds
// it), KeyedLimiter (one bucket per key in a table of fixed capacity) and
// MultiLimiter (several rates decided together); rate and burst change live.
const { EventEmitter } = require('node:events');
const { n, F, B } = require('./native');
const { CALL, STATUS, DECISION, DECISION_COUNTS, ACQUIRE, KEYED_STATS, LIMITER_NEW, LIMITER_SET, MULTI_NEW, MULTI_RATE } = require('./layout');
const { Events } = require('./events');
const check = require('./check');
const { typeError, rangeError, RateLimitedError } = require('./errors');
const { ATTACH, KIND, create, own, share, attach, exact } = require('./handle');
const { REASONS, ms, exactDecision } = require('./reason');
const { sleep } = require('./sleep');
const { seedBytes, SEED_FIELD } = require('./keys');

/** Field names of refusals, each quoting the value its caller gave. */
function fields(o) {
  return {
    rate: { name: 'rate', got: () => o.rate },
    per: { name: 'per', got: () => (o.per === undefined ? 'second' : o.per) },
    burst: { name: 'burst', got: () => o.burst },
    capacity: { name: 'capacity' },
  };
}

/** A real number (a number or a bigint) as a double; its range is weir-host's to judge. */
function real(v, field) {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number') throw typeError(field, 'a number', v);
  return v;
}

/** Writes rate, per and burst as the native side converts them (weir-host's
 * one rule: 1/3 per second is one token every 3 s exactly). */
function writeConfig(options) {
  const o = check.options(options);
  F[LIMITER_NEW.RATE] = real(o.rate, 'rate');
  check.putU64(LIMITER_NEW.PER, check.durationNs(o.per === undefined ? 'second' : o.per, 'per'), 'per');
  F[LIMITER_NEW.BURST] = o.burst === undefined ? 0 : real(o.burst, 'burst');
  B[LIMITER_NEW.HAS_BURST] = o.burst === undefined ? 0n : 1n;
  return fields(o);
}

/** The answer of tryAcquire, in the shape of rate-limiter-flexible's. */
function answer() {
  const code = F[DECISION.REASON];
  const remaining = F[DECISION.REMAINING];
  const resetMs = ms(F[DECISION.RESET_AFTER]);
  if (code === 0) return { ok: true, reason: 'admitted', msBeforeNext: 0, remaining, resetMs };
  return { ok: false, reason: REASONS[code], msBeforeNext: ms(F[DECISION.RETRY_AFTER]), remaining, resetMs };
}

/**
 * The decisions a `*Decisions` native call just wrote (the counts kept by the
 * native object, from every thread that holds it): `admitted`, `rejected`
 * (every refusal), and `decisions` by reason name, admitted always and each
 * refusal reason once seen (the shape of Python's `stats()["decisions"]`).
 */
function decisionCounts() {
  const decisions = { admitted: F[DECISION_COUNTS.FIRST] };
  let rejected = 0;
  for (let code = 1; code < REASONS.length; code++) {
    const count = F[DECISION_COUNTS.FIRST + code];
    if (count > 0) {
      decisions[REASONS[code]] = count;
      rejected += count;
    }
  }
  return { admitted: decisions.admitted, rejected, decisions };
}

const CHANGE = { rate: 1n, burst: 2n, core: 3n };

/** Writes a live change of rate (per `per`, the burst kept) for the native side. */
function writeRate(rate, per) {
  F[LIMITER_SET.RATE] = real(rate, 'rate');
  check.putU64(LIMITER_SET.PER, check.durationNs(per, 'per'), 'per');
  B[LIMITER_SET.CHANGE] = CHANGE.rate;
  return fields({ rate, per });
}

/** Writes a live change of burst (the rate kept). */
function writeBurst(burst) {
  F[LIMITER_SET.BURST] = real(burst, 'burst');
  B[LIMITER_SET.CHANGE] = CHANGE.burst;
  return fields({ burst });
}

/** Writes core's config as is, at an explicit `now` (bigint ns). */
function writeCore(now, config) {
  const c = check.options(config);
  check.putU64(LIMITER_SET.RATE, c.rate, 'rate');
  check.putU64(LIMITER_SET.PER, c.periodNs === undefined ? 1000000000n : c.periodNs, 'periodNs');
  check.putU64(LIMITER_SET.BURST, c.burst, 'burst');
  check.putU64(LIMITER_SET.AT, now, 'now');
  B[LIMITER_SET.CHANGE] = CHANGE.core;
  return { rate: { name: 'rate' }, burst: { name: 'burst' }, period_ns: { name: 'periodNs' } };
}

/** Applies the change just written to handle `h` through `set` (the
 * limiter's or the keyed table's native setter), then throws its refusal. */
function change(h, named, set) {
  F[CALL.HANDLE] = h;
  set();
  settled(named);
}

/** Throws the refusal of a live change the native side just made, if any. */
function settled(named) {
  const status = F[CALL.STATUS];
  if (status === STATUS.OK) return;
  if (status === STATUS.BAD_HANDLE) throw new Error('weir: the limiter was closed');
  const [field, rule, got] = n.lastError() || ['options', 'valid', '?'];
  if (status === STATUS.SYSTEM) throw new Error(`weir: ${rule}`);
  const name = named[field] || { name: field };
  throw rangeError(name.name, rule, name.got ? name.got(got) : got);
}

function waitOptions(o) {
  return check.signal(check.options(o).signal);
}

/** Waits until `tryOnce` admits, sleeping as long as each refusal says. */
async function waitFor(tryOnce, signal) {
  for (;;) {
    if (signal !== undefined && signal.aborted) await sleep(0, signal);
    const d = tryOnce();
    if (d.ok) return d;
    if (d.msBeforeNext === Infinity) throw new RateLimitedError(d.reason, Infinity);
    await sleep(Math.max(d.msBeforeNext, 1), signal);
  }
}

class Limiter {
  #h;
  #handle;

  #file;

  /** @param {{rate: number|bigint, per?: number|string|bigint, burst?: number|bigint, shared?: string}} options */
  constructor(options, shared = undefined) {
    if (options === ATTACH) {
      this.#handle = shared;
    } else {
      const file = check.options(options).shared;
      if (file !== undefined && (typeof file !== 'string' || file.length === 0 || file.includes('\0'))) {
        throw typeError('shared', 'a file path (a non-empty string without NUL)', file);
      }
      const named = writeConfig(options);
      this.#handle =
        file === undefined ? create(KIND.Limiter, n.limiterNew, named) : create(KIND.Limiter, () => n.limiterOpenShared(file), named);
      this.#file = file;
    }
    this.#h = own(this, this.#handle);
  }

  /** The file a limiter opened with `shared` keeps its state in (undefined otherwise). */
  get shared() {
    return this.#file;
  }

  /** The Limiter that another thread shared with `share()`. */
  static attach(shared) {
    return new Limiter(ATTACH, attach(KIND.Limiter, shared, 'Limiter'));
  }

  /** What a worker thread needs to hold this same limiter (structured-cloneable). */
  share() {
    return share(this.#handle);
  }

  tryAcquire(cost = 1) {
    if (typeof cost !== 'number' || !(cost >= 0 && cost <= 9007199254740991) || cost !== Math.floor(cost)) check.cost(cost);
    F[CALL.HANDLE] = this.#h;
    F[ACQUIRE.COST] = cost;
    n.limiterAcquire();
    return answer();
  }

  /**
   * Decisions the limiter has made, counted natively across every thread
   * that holds it: `{ admitted, rejected, decisions }`, `decisions` by reason.
   */
  stats() {
    F[CALL.HANDLE] = this.#h;
    n.limiterDecisions();
    return decisionCounts();
  }

  acquire(cost = 1, options = undefined) {
    try {
      check.cost(cost);
      const signal = waitOptions(options);
      return waitFor(() => this.tryAcquire(cost), signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Changes the rate to `rate` tokens per `per` (milliseconds, a unit name
   * or bigint ns; default 'second') now, keeping the burst and what was
   * spent: tokens already taken stay taken under the new rate (their debt
   * rescaled, rounded up, capped at one full burst), so a change never
   * grants a burst. For a `shared` limiter the change is every process's.
   */
  setRate(rate, per = 'second') {
    change(this.#h, writeRate(rate, per), n.limiterSet);
  }

  /** Changes the burst now, keeping the rate and what was spent. */
  setBurst(burst) {
    change(this.#h, writeBurst(burst), n.limiterSet);
  }

  /** Changes to core's config `{ rate, periodNs, burst }` (bigints) at an explicit `now`. */
  setAt(now, config) {
    change(this.#h, writeCore(now, config), n.limiterSet);
  }

  /** As tryAcquire at an explicit `now` (bigint ns); answers in exact bigints. */
  tryAcquireAt(now, cost = 1) {
    const c = exactCost(cost);
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      B[ACQUIRE.COST] = c;
      n.limiterAcquire();
      return exactDecision();
    });
  }
}

function exactCost(cost) {
  return typeof cost === 'bigint' ? check.u64(cost, 'cost') : BigInt(check.cost(cost));
}

function keyOf(key) {
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint') {
    if (key < 0n || key > 0xffffffffffffffffn) throw rangeError('key', 'a bigint in [0, 2^64 - 1]', key);
    return key;
  }
  if (typeof key === 'number') {
    if (!Number.isSafeInteger(key) || key < 0) throw rangeError('key', 'a safe integer >= 0', key);
    return BigInt(key);
  }
  throw typeError('key', 'a string, a non-negative integer or a bigint', key);
}

class KeyedLimiter extends EventEmitter {
  #h;
  #handle;
  #events = new Events(this, n.keyedNextEvent, () => this.#h);

  /**
   * String keys hash under `seed` (a secret string or Uint8Array) when one
   * is given; without it the hash is public, and anyone who chooses keys
   * can compute keys that fill another key's place in the table.
   * @param {{rate: number|bigint, per?: number|string|bigint, burst?: number|bigint, capacity?: number, seed?: string|Uint8Array}} options
   */
  constructor(options, shared = undefined) {
    super();
    if (options === ATTACH) {
      this.#handle = shared;
    } else {
      const named = writeConfig(options);
      const o = check.options(options);
      if (o.shared !== undefined) throw typeError('shared', 'absent: only Limiter keeps its state in a shared file', o.shared);
      const capacity = o.capacity === undefined ? 4096 : check.integer(o.capacity, 'capacity', 1, 1 << 24);
      const seed = seedBytes(o.seed);
      B[LIMITER_NEW.CAPACITY] = BigInt(capacity);
      this.#handle = create(KIND.KeyedLimiter, () => n.keyedNew(seed), { ...named, seed: SEED_FIELD });
    }
    this.#h = own(this, this.#handle);
  }

  /** The KeyedLimiter that another thread shared with `share()`. */
  static attach(shared) {
    return new KeyedLimiter(ATTACH, attach(KIND.KeyedLimiter, shared, 'KeyedLimiter'));
  }

  share() {
    return share(this.#handle);
  }

  tryAcquire(key, cost = 1) {
    if (typeof cost !== 'number' || !(cost >= 0 && cost <= 9007199254740991) || cost !== Math.floor(cost)) check.cost(cost);
    F[CALL.HANDLE] = this.#h;
    F[ACQUIRE.COST] = cost;
    if (typeof key === 'string') {
      n.keyedAcquireStr(key);
    } else {
      B[ACQUIRE.KEY] = keyOf(key);
      n.keyedAcquire();
    }
    this.#events.after();
    return answer();
  }

  acquire(key, cost = 1, options = undefined) {
    try {
      keyOf(key);
      check.cost(cost);
      const signal = waitOptions(options);
      return waitFor(() => this.tryAcquire(key, cost), signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  tryAcquireAt(key, now, cost = 1) {
    const k = keyOf(key);
    const c = exactCost(cost);
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      B[ACQUIRE.COST] = c;
      if (typeof k === 'string') {
        n.keyedAcquireStr(k);
      } else {
        B[ACQUIRE.KEY] = k;
        n.keyedAcquire();
      }
      this.#events.after();
      return exactDecision();
    });
  }

  /**
   * Keys holding spent tokens now (entries that cannot be reused), the
   * capacity, and the decisions the table has made (counted natively
   * across every thread that holds it), as Limiter's stats() gives them.
   */
  stats() {
    F[CALL.HANDLE] = this.#h;
    n.keyedStats();
    const table = { live: F[KEYED_STATS.LIVE], capacity: F[KEYED_STATS.CAPACITY] };
    F[CALL.HANDLE] = this.#h;
    n.keyedDecisions();
    return { ...table, ...decisionCounts() };
  }

  statsAt(now) {
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.keyedStats();
      return { live: F[KEYED_STATS.LIVE], capacity: F[KEYED_STATS.CAPACITY] };
    });
  }

  /**
   * Changes every key's rate now, keeping the burst. No key gains tokens:
   * each keeps the later of its rescaled refill time (as Limiter.setRate)
   * and its old one.
   */
  setRate(rate, per = 'second') {
    change(this.#h, writeRate(rate, per), n.keyedSet);
  }

  /** Changes every key's burst now, keeping the rate (the rule of setRate). */
  setBurst(burst) {
    change(this.#h, writeBurst(burst), n.keyedSet);
  }

  /** Changes to core's config `{ rate, periodNs, burst }` (bigints) at an explicit `now`. */
  setAt(now, config) {
    change(this.#h, writeCore(now, config), n.keyedSet);
  }
}

/**
 * Several rates on one limiter, decided in one call:
 * `new MultiLimiter([{ rate: 10 }, { rate: 1000, per: 'hour' }])`. A request
 * is admitted only if every rate admits it; a refusal spends from none.
 * Each rate is `{ rate, per?, burst? }` as Limiter takes it (1 to 4 rates).
 */
class MultiLimiter {
  #h;
  #handle;

  constructor(rates, shared = undefined) {
    if (rates === ATTACH) {
      this.#handle = shared;
    } else {
      if (!Array.isArray(rates)) throw typeError('rates', 'an array of { rate, per?, burst? }', rates);
      const list = rates.slice(0, 5);
      list.forEach((r, i) => {
        const o = check.options(r);
        if (i >= 4) return;
        const at = MULTI_NEW.RATES + MULTI_NEW.WORDS * i;
        F[at + MULTI_RATE.RATE] = real(o.rate, `rates[${i}].rate`);
        const per = check.durationNs(o.per === undefined ? 'second' : o.per, `rates[${i}].per`);
        check.putU64(at + MULTI_RATE.PER, per, `rates[${i}].per`);
        F[at + MULTI_RATE.BURST] = o.burst === undefined ? NaN : real(o.burst, `rates[${i}].burst`);
      });
      B[MULTI_NEW.COUNT] = BigInt(rates.length);
      const named = {
        rates: { name: 'rates', got: () => rates.length },
        rate: { name: 'rate', got: (i) => list[i] && list[i].rate },
        per: { name: 'per', got: (i) => list[i] && (list[i].per === undefined ? 'second' : list[i].per) },
        burst: { name: 'burst', got: (i) => list[i] && list[i].burst },
      };
      this.#handle = create(KIND.MultiLimiter, n.multiNew, named);
    }
    this.#h = own(this, this.#handle);
  }

  static attach(shared) {
    return new MultiLimiter(ATTACH, attach(KIND.MultiLimiter, shared, 'MultiLimiter'));
  }

  share() {
    return share(this.#handle);
  }

  /** Takes `cost` tokens from every rate now, or none; never waits. */
  tryAcquire(cost = 1) {
    check.cost(cost);
    F[CALL.HANDLE] = this.#h;
    F[ACQUIRE.COST] = cost;
    n.multiAcquire();
    return answer();
  }

  acquire(cost = 1, options = undefined) {
    try {
      check.cost(cost);
      const signal = waitOptions(options);
      return waitFor(() => this.tryAcquire(cost), signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  tryAcquireAt(now, cost = 1) {
    const c = exactCost(cost);
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      B[ACQUIRE.COST] = c;
      n.multiAcquire();
      return exactDecision();
    });
  }

  /** Changes rate `index` now, keeping its burst and what it spent. */
  setRate(index, rate, per = 'second') {
    const named = writeRate(rate, per);
    this.#set(index, named);
  }

  /** Changes rate `index`'s burst now, keeping its rate and what it spent. */
  setBurst(index, burst) {
    const named = writeBurst(burst);
    this.#set(index, named);
  }

  /** Changes rate `index` to core's config at an explicit `now`. */
  setAt(index, now, config) {
    const named = writeCore(now, config);
    this.#set(index, named);
  }

  #set(index, named) {
    check.putU64(LIMITER_SET.INDEX, index, 'index');
    F[CALL.HANDLE] = this.#h;
    n.multiSet();
    settled({ ...named, index: { name: 'index', got: () => index } });
  }
}

module.exports = { Limiter, KeyedLimiter, MultiLimiter, keyOf, answer, waitFor, waitOptions, decisionCounts };
