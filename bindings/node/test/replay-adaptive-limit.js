'use strict';
// Replays of the adaptive_limit vectors through the explicit (bigint
// nanosecond) forms of AdaptiveLimiter.
const weir = require('weir');
const { big, opt } = require('./vectors');

const adaptiveNames = {
  initial_limit: 'initialLimit',
  min_limit: 'minLimit',
  max_limit: 'maxLimit',
  long_window: 'longWindow',
  queue_size: 'queueSize',
  alpha: 'alpha',
  beta: 'beta',
  probe_multiplier: 'probeMultiplier',
  timeout_ns: 'timeoutMs',
};
const adaptiveReals = { smoothing: 'smoothing', rtt_tolerance: 'rttTolerance', backoff_ratio: 'backoffRatio' };

function adaptiveOptions(c) {
  const o = {};
  if (c.algorithm !== undefined) o.algorithm = c.algorithm;
  for (const [k, name] of Object.entries(adaptiveNames)) if (c[k] !== undefined) o[name] = big(c[k]);
  for (const [k, name] of Object.entries(adaptiveReals)) if (c[k] !== undefined) o[name] = c[k];
  return o;
}

const primitives = {
  adaptive_limit: {
    fields: { ...adaptiveNames, ...adaptiveReals },
    build: (c) => ({ l: new weir.AdaptiveLimiter(adaptiveOptions(c)), permits: [] }),
    step(state, s) {
      const { l, permits } = state;
      const args = s.args || {};
      const outcome = args.outcome || 'success';
      let got = {};
      switch (s.op) {
        case 'acquire': {
          const d = l.acquireAt(0n);
          got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
          if (d.permit) permits.push(d.permit);
          break;
        }
        case 'release': {
          const n = Number(args.permit);
          if (!permits[n]) throw new Error(`permit ${n} not held`);
          l.releaseRtt(permits[n], big(args.rtt_ns), outcome);
          permits[n] = undefined;
          break;
        }
        case 'cycle': {
          const rounds = Number(opt(args, 'rounds', 1n));
          for (let r = 0; r < rounds; r++) {
            const held = [];
            for (let i = 0; i < Number(args.concurrent); i++) {
              const d = l.acquireAt(0n);
              if (!d.permit) break;
              held.push(d.permit);
            }
            for (const p of held) l.releaseRtt(p, big(args.rtt_ns), outcome);
          }
          break;
        }
        default:
          throw new Error(`unknown adaptive_limit op ${s.op}`);
      }
      const st = l.statsExact();
      return {
        ...got,
        limit: st.limit,
        in_flight: st.inFlight,
        estimate_milli: BigInt(Math.trunc(st.estimate * 1000)),
        baseline_rtt_ns: BigInt(Math.trunc(st.baselineRttNs)),
      };
    },
  },
};

module.exports = { primitives };
