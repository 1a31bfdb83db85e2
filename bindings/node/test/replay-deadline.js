'use strict';
// Replays of the deadline vectors (the budget and the grpc-timeout and
// milliseconds headers) through the public API's explicit variants.
const weir = require('weir');
const { big, opt, header } = require('./vectors');

const arg = (s, name, fallback) => opt(s.args, name, fallback);

function formatted(run) {
  try {
    return { value: run() };
  } catch (e) {
    if (!e.reason) throw e;
    return { error: e.reason };
  }
}

const primitives = {
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
