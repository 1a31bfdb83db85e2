'use strict';
// Replays of the picker, backoff, retry_budget, singleflight and deadline
// vectors through the public API's explicit variants.
const weir = require('weir');
const { big, opt } = require('./vectors');

const U64_MAX = 0xffffffffffffffffn;
const arg = (s, name, fallback) => opt(s.args, name, fallback);

/** `{ ns }` or `{ error }`, as the header vectors expect. */
function header(run) {
  try {
    return { ns: run() };
  } catch (e) {
    if (!e.reason) throw e;
    return { error: e.reason };
  }
}

function formatted(run) {
  try {
    return { value: run() };
  } catch (e) {
    if (!e.reason) throw e;
    return { error: e.reason };
  }
}

const backoffOptions = (c) => ({
  baseMs: opt(c, 'base_ns', undefined),
  capMs: opt(c, 'cap_ns', undefined),
  multiplier: c.multiplier,
  jitter: c.jitter,
  maxAttempts: opt(c, 'max_attempts', undefined),
  advisedCapMs: opt(c, 'advised_cap_ns', undefined),
});

const budgetOptions = (c) => ({
  ratio: c.ratio,
  minPerSecond: opt(c, 'min_per_second', undefined),
  windowMs: opt(c, 'window_ns', undefined),
  buckets: opt(c, 'buckets', undefined),
});

const primitives = {
  lease: {
    fields: { min_batch: 'minBatch', max_batch: 'maxBatch', batch_period_ns: 'batchPeriodMs', lead_ns: 'leadMs', ttl_ns: 'ttlMs' },
    build: (c) =>
      new weir.Lease({
        minBatch: opt(c, 'min_batch', undefined),
        maxBatch: opt(c, 'max_batch', undefined),
        batchPeriodMs: opt(c, 'batch_period_ns', undefined),
        leadMs: opt(c, 'lead_ns', undefined),
        ttlMs: opt(c, 'ttl_ns', undefined),
      }),
    step(l, s) {
      const now = big(s.at);
      switch (s.op) {
        case 'plan': {
          const p = l.planAt(now, {
            rateTokens: big(s.args.rate_tokens),
            rateOverNs: big(s.args.rate_over_ns),
            left: big(s.args.left),
            expiresAt: big(s.args.expires_at),
          });
          return { ask: p.ask, next_at: p.nextAt, low_water: p.lowWater };
        }
        case 'grant':
          return { left: l.grantAt(now, big(s.args.tokens), big(s.args.expires_at)) };
        case 'spend':
          return l.spendAt(now, big(s.args.cost));
        default:
          throw new Error(`unknown lease op ${s.op}`);
      }
    },
  },
  picker: {
    fields: {
      capacity: 'capacity',
      tau_ns: 'tauMs',
      force_pick_ns: 'forcePickMs',
      success_floor: 'successFloor',
      cpu_ceiling: 'cpuCeiling',
      latency_bias_ns: 'latencyBiasMs',
      initial_latency_ns: 'initialLatencyMs',
    },
    build: (c) =>
      new weir.Picker({
        capacity: c.capacity === undefined ? 0 : c.capacity,
        tauMs: opt(c, 'tau_ns', undefined),
        forcePickMs: opt(c, 'force_pick_ns', undefined),
        successFloor: c.success_floor,
        cpuCeiling: c.cpu_ceiling,
        latencyBiasMs: opt(c, 'latency_bias_ns', undefined),
        initialLatencyMs: opt(c, 'initial_latency_ns', undefined),
      }),
    step(p, s) {
      const now = big(s.at === undefined ? 0 : s.at);
      switch (s.op) {
        case 'add': {
          const index = p.addAt(big(s.args.id), now);
          return index < 0 ? { reason: 'table_full' } : { reason: 'admitted', index };
        }
        case 'remove':
          return { ok: p.removeIndex(Number(s.args.index)) };
        case 'set_up':
          return { ok: p.setUpIndex(Number(s.args.index), s.args.up) };
        case 'pick':
          return p.pickAt(now, big(s.args.draw));
        case 'done':
          return {
            ok: p.doneAt(Number(s.args.index), Number(s.args.gen), now, {
              latencyNs: big(s.args.latency_ns),
              success: s.args.success,
              cpu: s.args.cpu_permille === undefined ? undefined : Math.min(Number(s.args.cpu_permille), 65535),
            }),
          };
        case 'node': {
          const node = p.nodeAt(Number(s.args.index));
          return {
            state: node.state,
            in_flight: node.inFlight,
            latency_ns: BigInt(Math.floor(node.latencyNs)),
            success_ppm: BigInt(Math.floor(node.success * 1e6)),
            cpu_permille: node.cpu,
            id: node.id,
          };
        }
        default:
          throw new Error(`unknown picker op ${s.op}`);
      }
    },
  },
  backoff: {
    fields: { base_ns: 'baseMs', cap_ns: 'capMs', multiplier: 'multiplier', max_attempts: 'maxAttempts', advised_cap_ns: 'advisedCapMs' },
    build: (c) => new weir.Backoff(backoffOptions(c)),
    step(b, s) {
      switch (s.op) {
        case 'delay':
          return { delay_ns: b.delayAt(big(s.args.retry), big(s.args.draw), arg(s, 'previous_ns', 0n)) };
        case 'next': {
          const d = b.nextAt(big(s.args.attempt), arg(s, 'draw', 0n), arg(s, 'previous_ns', 0n), arg(s, 'advised_ns', undefined));
          return { reason: d.reason, delay_ns: d.delay };
        }
        case 'parse_retry_after':
          return header(() => weir.exactHeaders.parseRetryAfter(s.args.value, arg(s, 'now_unix_s', 0n)));
        default:
          throw new Error(`unknown backoff op ${s.op}`);
      }
    },
  },
  retry_budget: {
    fields: {
      ratio: 'ratio',
      min_per_second: 'minPerSecond',
      window_ns: 'windowMs',
      buckets: 'buckets',
      base_ns: 'baseMs',
      cap_ns: 'capMs',
      multiplier: 'multiplier',
      max_attempts: 'maxAttempts',
      advised_cap_ns: 'advisedCapMs',
    },
    build: (c) => ({ budget: new weir.RetryBudget(budgetOptions(c)), backoff: new weir.Backoff(backoffOptions(c)) }),
    step({ budget, backoff }, s) {
      const now = big(s.at);
      let got = {};
      switch (s.op) {
        case 'deposit':
          budget.depositAt(now, arg(s, 'count', 1n));
          break;
        case 'withdraw': {
          const d = budget.withdrawAt(now, arg(s, 'delay_ns', 0n), arg(s, 'deadline_left_ns', U64_MAX));
          got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter };
          break;
        }
        case 'retry': {
          const d = budget.retryAt(now, backoff, {
            attempt: big(s.args.attempt),
            draw: arg(s, 'draw', 0n),
            previousNs: arg(s, 'previous_ns', 0n),
            advisedNs: arg(s, 'advised_ns', undefined),
            deadlineLeftNs: arg(s, 'deadline_left_ns', U64_MAX),
            noRetry: arg(s, 'no_retry', 0n) !== 0n,
          });
          got = { reason: d.reason, retry_after: d.retryAfter, remaining: d.remaining, reset_after: d.resetAfter, delay_ns: d.delay };
          break;
        }
        default:
          throw new Error(`unknown retry_budget op ${s.op}`);
      }
      const st = budget.statsAt(now);
      return { ...got, requests: st.requests, retries: st.retries };
    },
  },
  singleflight: {
    fields: { capacity: 'capacity' },
    build: (c) => new weir.SingleFlight({ capacity: c.capacity === undefined ? 0 : c.capacity }),
    step(sf, s) {
      const ticket = () => ({ slot: Number(s.args.slot), gen: Number(s.args.gen) });
      switch (s.op) {
        case 'begin':
          return sf.begin(big(s.args.key));
        case 'finish':
          return sf.finish(ticket());
        case 'leave':
          return sf.leave(ticket());
        case 'is_done': {
          const r = sf.isDone(ticket());
          return { done: r.ok, occupied: r.occupied, waiters: r.waiters };
        }
        default:
          throw new Error(`unknown singleflight op ${s.op}`);
      }
    },
  },
  deadline: {
    fields: { timeout_ns: 'timeoutMs', margin_ns: 'marginMs' },
    build: (c) => new weir.Deadline({ timeoutMs: opt(c, 'timeout_ns', undefined), marginMs: opt(c, 'margin_ns', undefined) }),
    step(d, s) {
      const h = weir.exactHeaders;
      switch (s.op) {
        case 'budget': {
          const r = d.budgetAt(big(s.at), arg(s, 'deadline_ns', undefined));
          return { reason: r.reason, timeout_ns: r.timeout };
        }
        case 'parse_grpc_timeout':
          return header(() => h.parseGrpcTimeout(s.args.value));
        case 'parse_millis':
          return header(() => h.parseMillis(s.args.value));
        case 'format_grpc_timeout':
          return formatted(() => h.formatGrpcTimeout(big(s.args.ns), s.args.buf_len === undefined ? 32 : s.args.buf_len));
        case 'format_millis':
          return formatted(() => h.formatMillis(big(s.args.ns), s.args.buf_len === undefined ? 32 : s.args.buf_len));
        default:
          throw new Error(`unknown deadline op ${s.op}`);
      }
    },
  },
};

module.exports = { primitives };
