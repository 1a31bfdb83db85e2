'use strict';
// SingleFlight: concurrent calls for one key share one execution. Core's
// table decides who leads and counts the followers; the shared Promise
// lives here. Each caller may leave on its own signal; the execution's own
// signal aborts only when no caller is left.
const { n, F, B } = require('./native');
const { CALL, FLIGHT_NEW, FLIGHT } = require('./layout');
const check = require('./check');
const { typeError, abortReason } = require('./errors');
const { KIND, create, own } = require('./handle');
const { keyOf } = require('./limiter');
const { seedBytes, SEED_FIELD } = require('./keys');

const ROLES = ['leader', 'follower', 'table_full'];
const TWO_32 = 4294967296;
const FIELDS = { capacity: { name: 'capacity' }, seed: SEED_FIELD };

class SingleFlight {
  #h;
  #flights = new Map();

  /**
   * `capacity`: slots in the table of in-flight keys. `seed`: a secret
   * (string or Uint8Array) string keys hash under, so no caller can pick
   * keys that occupy another key's slot and leave its callers unshared.
   * @param {{capacity?: number, seed?: string|Uint8Array}} options
   */
  constructor(options = {}) {
    const o = check.options(options);
    const seed = seedBytes(o.seed);
    B[FLIGHT_NEW.CAPACITY] = BigInt(o.capacity === undefined ? 1024 : check.integer(o.capacity, 'capacity', 0, 1 << 24));
    this.#h = own(this, create(KIND.SingleFlight, () => n.flightNew(seed), FIELDS));
  }

  /**
   * Runs `fn(signal)` for `key` unless a run for it is in flight, in which
   * case this call waits for that run's result. `signal` lets this caller
   * leave; the run's own signal aborts once every caller has left.
   */
  do(key, fn, options = undefined) {
    let signal;
    try {
      keyOf(key);
      check.fn(fn, 'fn');
      signal = check.signal(check.options(options).signal);
    } catch (e) {
      return Promise.reject(e);
    }
    if (signal !== undefined && signal.aborted) return Promise.reject(abortReason(signal));
    const t = this.#begin(key, 0);
    if (t.role === 'table_full') return new Promise((resolve) => resolve(fn(signal)));
    const id = t.slot * TWO_32 + t.gen;
    if (t.role === 'follower') {
      const flight = this.#flights.get(id);
      if (flight !== undefined) {
        // A caller that cannot leave needs no Promise of its own: it shares
        // the flight's, and leaves core's count when the flight ends.
        if (signal === undefined) {
          flight.stay++;
          return flight.promise;
        }
        return this.#wait(flight, signal, true);
      }
      // Not a flight of this thread's: run alone.
      this.#step(n.flightLeave, t, 0);
      return new Promise((resolve) => resolve(fn(signal)));
    }
    const ac = new AbortController();
    const flight = { slot: t.slot, gen: t.gen, id, ac, leaderIn: true, over: false, promise: null, stay: 0 };
    this.#flights.set(id, flight);
    flight.promise = new Promise((resolve) => resolve(fn(ac.signal)));
    const end = () => this.#end(flight);
    flight.promise.then(end, end);
    return signal === undefined ? flight.promise : this.#wait(flight, signal, false);
  }

  #end(flight) {
    if (flight.over) return;
    flight.over = true;
    this.#flights.delete(flight.id);
    this.#step(n.flightFinish, flight, 0);
    for (; flight.stay > 0; flight.stay--) this.#step(n.flightLeave, flight, 0);
  }

  #wait(flight, signal, follower) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const leave = () => {
        let waiters;
        if (follower) {
          waiters = this.#step(n.flightLeave, flight, 0).waiters;
        } else {
          flight.leaderIn = false;
          waiters = this.#step(n.flightIsDone, flight, 0).waiters;
        }
        return waiters;
      };
      const onAbort = () => {
        if (settled) return;
        settled = true;
        const reason = abortReason(signal);
        if (leave() === 0 && !flight.leaderIn && !flight.over) {
          // Nobody waits any more: stop the work and free the key.
          flight.ac.abort(reason);
          this.#end(flight);
        }
        reject(reason);
      };
      if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          if (signal !== undefined) signal.removeEventListener('abort', onAbort);
          if (follower) leave();
          resolve(value);
        },
        (err) => {
          if (settled) return;
          settled = true;
          if (signal !== undefined) signal.removeEventListener('abort', onAbort);
          if (follower) leave();
          reject(err);
        },
      );
    });
  }

  /** Keys in flight now. */
  get size() {
    return this.#flights.size;
  }

  // Core's table itself, for hosts that do their own waiting (and the vectors).
  begin(key) {
    return this.#begin(key, 1);
  }

  #begin(key, full) {
    const k = keyOf(key);
    F[CALL.HANDLE] = this.#h;
    F[FLIGHT.COUNT_OCCUPIED] = full;
    if (typeof k === 'string') {
      n.flightBeginStr(k);
    } else {
      B[FLIGHT.KEY] = k;
      n.flightBegin();
    }
    const role = ROLES[F[FLIGHT.ROLE]];
    return role === 'table_full' ? { role, occupied: F[FLIGHT.OCCUPIED] } : { role, slot: F[FLIGHT.SLOT], gen: F[FLIGHT.GEN], occupied: F[FLIGHT.OCCUPIED] };
  }

  finish(ticket) {
    return this.#step(n.flightFinish, ticket, 1);
  }

  leave(ticket) {
    return this.#step(n.flightLeave, ticket, 1);
  }

  isDone(ticket) {
    return this.#step(n.flightIsDone, ticket, 1);
  }

  #step(native, ticket, full) {
    if (ticket === null || typeof ticket !== 'object') throw typeError('ticket', 'a { slot, gen } from begin()', ticket);
    F[CALL.HANDLE] = this.#h;
    F[FLIGHT.COUNT_OCCUPIED] = full;
    F[FLIGHT.SLOT] = check.integer(ticket.slot, 'ticket.slot', 0, TWO_32 - 1);
    F[FLIGHT.GEN] = check.integer(ticket.gen, 'ticket.gen', 0, TWO_32 - 1);
    native();
    return { ok: F[FLIGHT.OK] === 1, occupied: F[FLIGHT.OCCUPIED], waiters: F[FLIGHT.WAITERS] };
  }
}

module.exports = { SingleFlight };
