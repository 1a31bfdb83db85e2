'use strict';
// Replays of the shedder and throttle vectors through the public API's
// explicit-time methods.
const weir = require('weir');
const { big, opt } = require('./vectors');

const primitives = {
  shedder: {
    fields: {
      window_ns: 'windowMs',
      buckets: 'buckets',
      cpu_threshold: 'cpuThreshold',
      cpu_decay: 'cpuDecay',
      cool_off_ns: 'coolOffMs',
      max_queue: 'maxQueue',
    },
    build: (c) =>
      new weir.Shedder({
        windowMs: opt(c, 'window_ns', undefined),
        buckets: c.buckets,
        cpuThreshold: c.cpu_threshold,
        cpuDecay: c.cpu_decay,
        coolOffMs: opt(c, 'cool_off_ns', undefined),
        maxQueue: c.max_queue,
      }),
    step(sh, s) {
      const now = big(s.at);
      let got = {};
      if (s.op === 'acquire') {
        const d = sh.acquireAt(now);
        got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
      } else if (s.op === 'done') {
        sh.doneAt(big(s.args.started_at), now);
      } else if (s.op === 'cpu') {
        got = { cpu: Math.floor(sh.recordCpu(Number(s.args.permille))) };
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      const st = sh.statsAt(now);
      return { ...got, in_flight: st.inFlight, max_in_flight: st.maxInFlight };
    },
  },
  throttle: {
    fields: {
      k: 'k',
      window_ns: 'windowMs',
      buckets: 'buckets',
      min_requests: 'minRequests',
      max_reject_probability: 'maxRejectProbability',
    },
    build: (c) =>
      new weir.Throttle({
        k: c.k,
        windowMs: opt(c, 'window_ns', undefined),
        buckets: c.buckets,
        minRequests: c.min_requests,
        maxRejectProbability: c.max_reject_probability,
      }),
    step(t, s) {
      const now = big(s.at);
      const ppm = BigInt(Math.floor(t.statsAt(now).rejectProbability * 1e6));
      let got = {};
      if (s.op === 'acquire') {
        const d = t.acquireAt(now, big(s.args.draw));
        got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
      } else if (s.op === 'record') {
        t.recordAt(now, s.args.success);
      } else if (s.op === 'forget') {
        t.forgetAt(big(s.args.acquired_at));
      } else {
        throw new Error(`unknown op ${s.op}`);
      }
      return { ...got, reject_probability_ppm: ppm };
    },
  },
};

module.exports = { primitives };
