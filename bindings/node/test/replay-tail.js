'use strict';
// Replays of the quantile, hot_keys and hedge vectors through the exact
// (bigint nanosecond) native forms under LatencyQuantiles, HotKeys and
// Hedger.
const weir = require('weir');
const { big, opt } = require('./vectors');

const U64_MAX = 0xffffffffffffffffn;
const ms = (c, k) => (c[k] === undefined ? undefined : big(c[k]) === U64_MAX ? Infinity : big(c[k]));

const primitives = {
  quantile: {
    fields: { window_ns: 'windowMs', sub_windows: 'subWindows' },
    build: (c) => {
      const o = {};
      if (c.window_ns !== undefined) o.windowMs = big(c.window_ns);
      if (c.sub_windows !== undefined) o.subWindows = big(c.sub_windows);
      return { q: new weir.LatencyQuantiles(o), other: new weir.LatencyQuantiles(o) };
    },
    step({ q, other }, s) {
      const at = big(s.at);
      const a = s.args || {};
      const got = {};
      if (s.op === 'record') {
        (a.into === 'other' ? other : q)._native.recordExact(big(a.value), opt(a, 'count', 1n), at);
      } else if (s.op === 'quantile') {
        const v = q._native.quantile(a.q, at);
        got.value = v === null ? null : v;
      } else if (s.op === 'merge') {
        q.merge(other, at);
      } else if (s.op === 'bucket') {
        [got.lower, got.upper] = weir.LatencyQuantiles.bucketBoundsNs(big(a.value));
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      got.count = q._native.count(at);
      return got;
    },
  },
  hot_keys: {
    fields: { half_life_ns: 'halfLifeMs' },
    build: (c) => new weir.HotKeys({ capacity: c.capacity === undefined ? 0 : big(c.capacity), halfLifeMs: ms(c, 'half_life_ns') }),
    step(hot, s) {
      const at = big(s.at);
      const a = s.args || {};
      const got = {};
      const k = hot._native;
      if (s.op === 'record') {
        for (let i = 0n; i < opt(a, 'count', 1n); i++) k.recordHashed(big(a.key), at);
      } else if (s.op === 'top') {
        got.keys = k.top(Number(a.k), at).map((e) => ({ key: e.hash, count: e.count, error: e.error, name: e.key }));
        for (const e of got.keys) if (e.name !== null && e.name !== undefined) throw new Error('a hashed key came back with a name');
      } else if (s.op === 'estimate') {
        [got.count, got.error] = k.estimate(big(a.key), at);
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      got.total = k.total(at);
      return got;
    },
  },
  hedge: {
    fields: { ceiling_ns: 'ceilingMs', floor_ns: 'floorMs', max_hedges: 'maxHedges', ratio: 'budget.ratio' },
    build: (c) => {
      const o = { budget: {} };
      if (c.quantile !== undefined) o.quantile = c.quantile;
      if (c.floor_ns !== undefined) o.floorMs = big(c.floor_ns);
      if (c.ceiling_ns !== undefined) o.ceilingMs = ms(c, 'ceiling_ns');
      if (c.max_hedges !== undefined) o.maxHedges = big(c.max_hedges);
      if (c.min_samples !== undefined) o.minSamples = big(c.min_samples);
      if (c.ratio !== undefined) o.budget.ratio = c.ratio;
      if (c.min_per_second !== undefined) o.budget.minPerSecond = big(c.min_per_second);
      if (c.window_ns !== undefined) o.budget.windowMs = big(c.window_ns);
      if (c.buckets !== undefined) o.budget.buckets = big(c.buckets);
      return new weir.Hedger(o);
    },
    step(hedger, s) {
      const at = big(s.at);
      const a = s.args || {};
      const h = hedger._native;
      let got = {};
      if (s.op === 'deposit') {
        for (let i = 0n; i < opt(a, 'count', 1n); i++) h.deposit(at);
      } else if (s.op === 'next' || s.op === 'plan') {
        const d = h.ask(at, big(a.started_at), big(a.hedges_sent), opt(a, 'quantile_ns', null), opt(a, 'samples', 0n), opt(a, 'deadline_left_ns', null), s.op === 'next');
        got = { action: d.action, reason: d.reason, due: d.due, delay: d.delay };
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      [got.requests, got.retries] = h.budget(at);
      return got;
    },
  },
};

module.exports = { primitives };
