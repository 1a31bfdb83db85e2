'use strict';
// Replays of the breaker vectors through the explicit (bigint nanosecond)
// forms of CircuitBreaker.
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
};

module.exports = { primitives };
