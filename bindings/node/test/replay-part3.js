'use strict';
// Replays of the breaker and adaptive_limit vectors through the explicit
// (bigint nanosecond) forms of CircuitBreaker and AdaptiveLimiter.
const weir = require('weir');
const { big, opt } = require('./vectors');

const durations = { window_ns: 'windowMs', slow_call_ns: 'slowCallMs', open_ns: 'openMs', half_open_max_ns: 'halfOpenMaxWaitMs' };
const counts = {
  window_calls: 'windowCalls',
  buckets: 'buckets',
  minimum_calls: 'minimumCalls',
  consecutive_failures: 'consecutiveFailures',
  half_open_probes: 'halfOpenProbes',
};
const rates = { failure_rate_threshold: 'failureRateThreshold', slow_call_rate_threshold: 'slowCallRateThreshold' };

function breakerOptions(c) {
  const o = { window: c.window || 'count' };
  for (const [k, name] of Object.entries({ ...durations, ...counts })) if (c[k] !== undefined) o[name] = big(c[k]);
  for (const [k, name] of Object.entries(rates)) if (c[k] !== undefined) o[name] = c[k];
  return o;
}

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

const transitionsOf = (events) =>
  events.map((e) => ({
    from: e.from,
    to: e.to,
    cause: e.cause,
    calls: e.calls,
    failures: e.failures,
    slow: e.slow,
    consecutive_failures: e.consecutiveFailures,
  }));

const primitives = {
  breaker: {
    fields: { ...durations, ...counts, ...rates },
    build: (c) => ({ b: new weir.CircuitBreaker(breakerOptions(c)), permits: [] }),
    step(state, s) {
      const { b, permits } = state;
      const now = big(s.at);
      const args = s.args || {};
      let got = {};
      switch (s.op) {
        case 'acquire':
        case 'call': {
          const d = b.acquireAt(now);
          got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
          got.probe = d.permit !== undefined && d.permit.probe;
          if (d.permit && s.op === 'acquire') permits.push(d.permit);
          else if (d.permit) b.recordAt(now, d.permit, args.failed, opt(args, 'duration_ns', 0n));
          break;
        }
        case 'record':
          b.recordAt(now, permits[Number(args.permit)], args.failed, opt(args, 'duration_ns', 0n));
          break;
        case 'release':
          got.released = b.release(permits[Number(args.permit)]);
          break;
        case 'force_open':
        case 'disable':
        case 'reset':
          b.commandAt(now, s.op);
          break;
        default:
          throw new Error(`unknown breaker op ${s.op}`);
      }
      got.transitions = transitionsOf(b.drainEvents());
      const st = b.statsAt(now);
      return {
        ...got,
        state: st.state,
        calls: st.calls,
        failures: st.failures,
        slow: st.slow,
        consecutive_failures: st.consecutiveFailures,
        probes_issued: st.probesIssued,
        probes_returned: st.probesReturned,
        open_left: st.openLeft,
      };
    },
  },
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
