'use strict';
// LatencyQuantiles, HotKeys and Hedger over weir-host, and the helpers that
// use them: hedged(fn, {signal}) sends a request's next copy when the first
// is slower than recent latency says it should be and aborts the losers;
// HotCache holds the hottest keys' values for a short TTL, misses shared
// through a SingleFlight.
const { n, F } = require('./native');
const { CLOCK } = require('./layout');
const check = require('./check');
const { rangeError, abortReason } = require('./errors');
const { seedBytes } = require('./keys');
const { RetryBudget } = require('./retry');

const U64_MAX = 0xffffffffffffffffn;
const USER_FIELDS = {
  window_ns: 'windowMs',
  sub_windows: 'subWindows',
  half_life_ns: 'halfLifeMs',
  floor_ns: 'floorMs',
  ceiling_ns: 'ceilingMs',
  max_hedges: 'maxHedges',
  min_samples: 'minSamples',
  ratio: 'budget.ratio',
  min_per_second: 'budget.minPerSecond',
  buckets: 'budget.buckets',
};

/** Runs a native constructor or call, turning its refusal into a RangeError naming the user's field. */
function native(make, fields = USER_FIELDS) {
  try {
    return make();
  } catch (e) {
    const last = n.lastError();
    if (!last) throw e;
    const [field, rule, got] = last;
    const err = rangeError(fields[field] || field, rule, got);
    err.coreField = field;
    throw err;
  }
}

function ns(v, field, allowInfinity = false) {
  return BigInt(check.durationNs(v, field, { allowInfinity }));
}

class LatencyQuantiles {
  #q;

  /** @param {{windowMs?: number|bigint, subWindows?: number}} options */
  constructor(options = {}) {
    const o = check.options(options);
    const window = ns(o.windowMs === undefined ? 10000 : o.windowMs, 'windowMs');
    const parts = check.u64(o.subWindows === undefined ? 4 : o.subWindows, 'subWindows');
    this.#q = native(() => new n.NativeQuantiles(window, parts));
  }

  /** @internal */
  get _native() {
    return this.#q;
  }

  /** Counts one latency, in milliseconds. */
  record(latencyMs) {
    this.#q.record(check.finite(latencyMs, 'latencyMs', 0, Number.MAX_SAFE_INTEGER) * 1e6);
  }

  /** The q-quantile (0..1; 0.99 for p99) in milliseconds; null when the window is empty. */
  quantile(q) {
    check.number(q, 'q');
    const v = native(() => this.#q.quantile(q), { q: 'q' });
    return v === null ? null : Number(v) / 1e6;
  }

  /** Samples in the window. */
  count() {
    return Number(this.#q.count());
  }

  /** The window for metrics: `{count, buckets: [{lowerNs, upperNs, count}]}` (bigints), ascending. */
  snapshot(at = undefined) {
    const flat = this.#q.buckets(at);
    const buckets = [];
    let count = 0n;
    for (let i = 0; i < flat.length; i += 3) {
      buckets.push({ lowerNs: flat[i], upperNs: flat[i + 1], count: flat[i + 2] });
      count += flat[i + 2];
    }
    return { count, buckets };
  }

  /** `[lowerNs, upperNs]` of the bucket `valueNs` is counted in (bigints). */
  static bucketBoundsNs(valueNs) {
    return n.quantileBucketBounds(check.u64(valueNs, 'valueNs'));
  }

  /** Adds other's window into this one (the same window settings). */
  merge(other, at = undefined) {
    native(() => this.#q.merge(other._native, at));
  }
}

class HotKeys {
  #k;

  /** @param {{capacity?: number, halfLifeMs?: number|bigint, seed?: string|Uint8Array}} options */
  constructor(options = {}) {
    const o = check.options(options);
    const seed = seedBytes(o.seed);
    const capacity = check.u64(o.capacity === undefined ? 1024 : o.capacity, 'capacity');
    const halfLife = o.halfLifeMs === undefined ? 10_000_000_000n : ns(o.halfLifeMs, 'halfLifeMs', true);
    this.#k = native(() => new n.NativeHotKeys(capacity, halfLife === BigInt(check.MAX_NS) ? U64_MAX : halfLife, seed));
  }

  /** @internal */
  get _native() {
    return this.#k;
  }

  /** Counts one request for key (a string or a Uint8Array). */
  record(key) {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
      const e = new TypeError(`key must be a string or a Uint8Array, got ${typeof key}`);
      e.field = 'key';
      throw e;
    }
    this.#k.record(key);
  }

  /** The k keys that surely had the most requests: `[{key, count, error}]`, largest count - error first. */
  top(k = 10) {
    return this.#k.top(check.integer(k, 'k', 0, 1 << 20)).map((e) => ({ key: e.key, count: Number(e.count), error: Number(e.error) }));
  }

  /** `{count, error}`: key had at most count requests, at least count - error. */
  estimate(key) {
    const [count, error] = this.#k.estimate(key);
    return { count: Number(count), error: Number(error) };
  }

  /** The sum of every count (the requests recorded, decayed). */
  total() {
    return Number(this.#k.total());
  }
}

class Hedger {
  #h;
  #maxHedges;
  #budget;

  /**
   * `budget`: a RetryBudget the same dependency's retries spend (hedges and
   * retries then share one allowance), or the settings of one of its own.
   * @param {{quantile?: number, floorMs?: number, ceilingMs?: number, maxHedges?: number, minSamples?: number,
   *   windowMs?: number, subWindows?: number,
   *   budget?: RetryBudget | {ratio?: number, minPerSecond?: number, windowMs?: number, buckets?: number}}} options
   */
  constructor(options = {}) {
    const o = check.options(options);
    const shared = o.budget instanceof RetryBudget ? o.budget : undefined;
    const quantile = o.quantile === undefined ? 0.95 : check.number(o.quantile, 'quantile');
    const ceiling = ns(o.ceilingMs === undefined ? 1000 : o.ceilingMs, 'ceilingMs', true);
    const hedge = [
      ns(o.floorMs === undefined ? 1 : o.floorMs, 'floorMs'),
      ceiling === BigInt(check.MAX_NS) ? U64_MAX : ceiling,
      check.u64(o.maxHedges === undefined ? 1 : o.maxHedges, 'maxHedges'),
      check.u64(o.minSamples === undefined ? 20 : o.minSamples, 'minSamples'),
      ns(o.windowMs === undefined ? 10000 : o.windowMs, 'windowMs'),
      check.u64(o.subWindows === undefined ? 4 : o.subWindows, 'subWindows'),
    ];
    if (shared !== undefined) {
      this.#h = native(() => n.NativeHedger.withBudget(quantile, hedge, shared._h));
      this.#budget = shared;
    } else {
      const b = check.options(o.budget === undefined ? {} : o.budget, 'budget');
      const ratio = b.ratio === undefined ? 0.1 : check.number(b.ratio, 'budget.ratio');
      const budget = [
        check.u64(b.minPerSecond === undefined ? 10 : b.minPerSecond, 'budget.minPerSecond'),
        ns(b.windowMs === undefined ? 10000 : b.windowMs, 'budget.windowMs'),
        check.u64(b.buckets === undefined ? 10 : b.buckets, 'budget.buckets'),
      ];
      // The budget's window and the latency window share a core field name.
      const fields = { ...USER_FIELDS, window_ns: 'windowMs or budget.windowMs' };
      this.#h = native(() => new n.NativeHedger(quantile, hedge, ratio, budget), fields);
    }
    this.#maxHedges = Number(hedge[2]);
  }

  /** @internal the native hedger, with the shared budget's batched deposits counted first */
  get _begun() {
    if (this.#budget !== undefined) this.#budget._flush();
    return this.#h;
  }

  /** @internal */
  get _native() {
    return this.#h;
  }

  get maxHedges() {
    return this.#maxHedges;
  }

  /** `{requests, hedges, refusedBudget, refusedDeadline, budgetRequests, budgetRetries}`. */
  stats() {
    const [requests, hedges, refusedBudget, refusedDeadline, budgetRequests, budgetRetries] = this.#h.stats();
    return { requests, hedges, refusedBudget, refusedDeadline, budgetRequests, budgetRetries };
  }
}

/**
 * Calls `fn({number, node, signal})` and, when no answer came within the
 * hedger's delay, another copy beside it (up to maxHedges, each spending the
 * hedger's retry budget, each on a node of `picker` the request has not used
 * when one is up); resolves with the first success and aborts the other
 * copies' signals. When every copy sent failed, rejects with the last error;
 * when `signal` aborts first, with its reason. `timeoutMs` is the caller's
 * deadline: no hedge starts that could not begin before it.
 */
async function hedged(hedger, fn, options = {}) {
  if (!(hedger instanceof Hedger)) throw new TypeError('hedger must be a weir Hedger');
  check.fn(fn, 'fn');
  const o = check.options(options);
  const signal = o.signal === undefined ? undefined : check.signal(o.signal);
  if (signal?.aborted) throw abortReason(signal);
  const h = hedger._begun;
  const started = h.begin();
  const deadline = o.timeoutMs === undefined ? -1 : started + check.finite(o.timeoutMs, 'timeoutMs', 0, Number.MAX_SAFE_INTEGER) * 1e6;
  const copies = [];
  const riders = new Map();
  let settled = null;
  let wake = null;
  const notify = () => {
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  };

  const finish = (pick, ok) => {
    if (!pick) return;
    o.picker.report(pick, { success: ok });
    for (const rider of riders.get(pick.index) || []) o.picker.report(rider, { success: ok });
    riders.delete(pick.index);
  };
  const pickNode = () => {
    for (let i = 0; i < 4; i++) {
      const p = o.picker.pick();
      if (p === null) return null;
      if (!riders.has(p.index)) {
        riders.set(p.index, []);
        return p;
      }
      riders.get(p.index).push(p);
    }
    return o.picker.pick();
  };
  const launch = (number) => {
    const pick = o.picker ? pickNode() : null;
    const controller = new AbortController();
    const copy = { controller, pick, done: false, ok: false, value: undefined, error: undefined };
    copies.push(copy);
    Promise.resolve()
      .then(() => fn({ number, node: pick ? pick.node : undefined, signal: controller.signal }))
      .then(
        (value) => Object.assign(copy, { done: true, ok: true, value }),
        (error) => Object.assign(copy, { done: true, ok: false, error }),
      )
      .then(notify);
  };
  const onAbort = () => notify();
  signal?.addEventListener('abort', onAbort, { once: true });

  launch(0);
  let sent = 0;
  let timer = null;
  try {
    for (;;) {
      // Answers first: a hedge is not sent (nor its retry spent) for a
      // request whose answer is already in.
      let lastError;
      let open = 0;
      for (const c of copies) {
        if (c.done && !c.reported) {
          c.reported = true;
          finish(c.pick, c.ok);
        }
        if (c.done && c.ok) {
          settled = c;
          break;
        }
        if (c.done) lastError = c.error;
        else open++;
      }
      if (settled) {
        h.record(nowNs() - started);
        return settled.value;
      }
      if (signal?.aborted) throw abortReason(signal);
      if (open === 0) throw lastError;
      let waitMs = null;
      if (sent < hedger.maxHedges) {
        const left = deadline < 0 ? -1 : Math.max(0, deadline - nowNs());
        const d = h.next(started, sent, left);
        if (d.action === 'send') {
          sent++;
          launch(sent);
          continue;
        }
        if (d.action === 'wait') waitMs = Math.max(0, (Number(d.due) - nowNs()) / 1e6);
        else sent = hedger.maxHedges;
      }
      await new Promise((resolve) => {
        wake = resolve;
        if (waitMs !== null) timer = setTimeout(notify, waitMs);
      });
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const c of copies) {
      if (!c.done) {
        c.controller.abort();
        if (!c.reported) {
          c.reported = true;
          finish(c.pick, false);
        }
      }
    }
  }
}

/** weir-host's clock in ns, as a double (the hedger's own clock). */
function nowNs() {
  n.clock();
  return F[CLOCK.NS_F64];
}

class HotCache {
  #hot;
  #flights;
  #top;
  #ttlMs;
  #entries = new Map();
  #hotSet = new Set();
  #readAt = -Infinity;

  /**
   * Holds the values of `hotKeys`' top `top` keys for `ttlMs` and loads
   * every miss through `flights` (a SingleFlight), so concurrent misses of
   * one key make one load. Keys outside the top are never stored.
   * @param {HotKeys} hotKeys @param {import('./singleflight').SingleFlight} flights
   * @param {{top?: number, ttlMs?: number}} options
   */
  constructor(hotKeys, flights, options = {}) {
    const o = check.options(options);
    this.#hot = hotKeys;
    this.#flights = flights;
    this.#top = o.top === undefined ? 16 : check.integer(o.top, 'top', 1);
    this.#ttlMs = o.ttlMs === undefined ? 1000 : check.finite(o.ttlMs, 'ttlMs', 0, Number.MAX_SAFE_INTEGER);
  }

  get size() {
    return this.#entries.size;
  }

  /** The value of key: cached when it is hot and fresh, else from `load(signal)`, shared with concurrent misses. */
  async get(key, load) {
    this.#hot.record(key);
    const now = performance.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && now < entry.until) return entry.value;
    if (now - this.#readAt >= this.#ttlMs) this._refresh(now);
    const hot = this.#hotSet.has(key);
    const value = await this.#flights.do(key, load);
    if (hot) this.#entries.set(key, { value, until: performance.now() + this.#ttlMs });
    return value;
  }

  /** @internal re-reads the top keys, drops values of keys that cooled or expired */
  _refresh(now = performance.now()) {
    this.#readAt = now;
    this.#hotSet = new Set(this.#hot.top(this.#top).map((e) => e.key));
    for (const [key, e] of this.#entries) if (!this.#hotSet.has(key) || now >= e.until) this.#entries.delete(key);
  }
}

module.exports = { LatencyQuantiles, HotKeys, Hedger, HotCache, hedged };
