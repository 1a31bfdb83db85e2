'use strict';
// Replays of the singleflight vectors through the public API's explicit variants.
const weir = require('weir');
const { big } = require('./vectors');

const primitives = {
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
};

module.exports = { primitives };
