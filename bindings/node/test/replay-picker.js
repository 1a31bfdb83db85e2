'use strict';
// Replays of the picker vectors through the public API's explicit variants.
const weir = require('weir');
const { big, opt } = require('./vectors');

const primitives = {
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
};

module.exports = { primitives };
