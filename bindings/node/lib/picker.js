'use strict';
// Power-of-two-choices load balancing: core keeps each node's EWMA latency,
// success rate, in-flight count and reported CPU in a fixed table; this
// wrapper maps table slots to the caller's node values.
const { n, F, B } = require('./native');
const { CALL, PICKER_NEW, PICKER_CHANGE, PICKER_PICK, PICKER_DONE, PICKER_NODE } = require('./layout');
const check = require('./check');
const { typeError, rangeError } = require('./errors');
const { KIND, create, own, exact } = require('./handle');

const FIELDS = {
  capacity: { name: 'capacity' },
  tau_ns: { name: 'tauMs' },
  force_pick_ns: { name: 'forcePickMs' },
  success_floor: { name: 'successFloor' },
  cpu_ceiling: { name: 'cpuCeiling' },
  latency_bias_ns: { name: 'latencyBiasMs' },
  initial_latency_ns: { name: 'initialLatencyMs' },
};
const STATES = ['empty', 'up', 'down', 'adding'];

class NoNodeError extends Error {
  constructor() {
    super('no node is up');
    this.name = 'NoNodeError';
    this.reason = 'no_node';
  }
}

class Picker {
  #h;
  #nodes = [];
  #index = new Map();
  #nextId = 1n;

  /**
   * @param {{capacity?: number, tauMs?: number, forcePickMs?: number, successFloor?: number,
   *   cpuCeiling?: number, latencyBiasMs?: number, initialLatencyMs?: number}} options
   */
  constructor(options = {}) {
    const o = check.options(options);
    B[PICKER_NEW.CAPACITY] = BigInt(o.capacity === undefined ? 64 : check.integer(o.capacity, 'capacity', 0, 1 << 20));
    check.putU64(PICKER_NEW.TAU, check.durationNs(o.tauMs === undefined ? 600 : o.tauMs, 'tauMs'), 'tauMs');
    check.putU64(PICKER_NEW.FORCE_PICK, check.durationNs(o.forcePickMs === undefined ? 3000 : o.forcePickMs, 'forcePickMs'), 'forcePickMs');
    F[PICKER_NEW.SUCCESS_FLOOR] = o.successFloor === undefined ? 0.5 : check.number(o.successFloor, 'successFloor');
    B[PICKER_NEW.CPU_CEILING] = BigInt(o.cpuCeiling === undefined ? 900 : check.integer(o.cpuCeiling, 'cpuCeiling', 0));
    check.putU64(PICKER_NEW.LATENCY_BIAS, check.durationNs(o.latencyBiasMs === undefined ? 5 : o.latencyBiasMs, 'latencyBiasMs'), 'latencyBiasMs');
    check.putU64(PICKER_NEW.INITIAL_LATENCY, check.durationNs(o.initialLatencyMs === undefined ? 0 : o.initialLatencyMs, 'initialLatencyMs'), 'initialLatencyMs');
    this.#h = own(this, create(KIND.Picker, n.pickerNew, FIELDS));
  }

  /** Adds `node` (any value; added twice it keeps its slot). Returns false when the table is full. */
  add(node) {
    if (this.#index.has(node)) return true;
    F[CALL.HANDLE] = this.#h;
    B[PICKER_CHANGE.ID] = this.#nextId++;
    n.pickerAdd();
    const index = F[PICKER_CHANGE.ANSWER];
    if (index < 0) return false;
    this.#nodes[index] = node;
    this.#index.set(node, index);
    return true;
  }

  /** Removes `node`; picks already handed out are reported into the void. */
  remove(node) {
    const index = this.#index.get(node);
    if (index === undefined) return false;
    this.#index.delete(node);
    this.#nodes[index] = undefined;
    return this.removeIndex(index);
  }

  /** Marks `node` up or down (down nodes are never picked). */
  setUp(node, up) {
    check.bool(up, 'up');
    const index = this.#index.get(node);
    return index !== undefined && this.setUpIndex(index, up);
  }

  /** Two random up nodes, the less loaded one: `{ node, index, gen, forced, startedAt }`, or null. */
  pick() {
    F[CALL.HANDLE] = this.#h;
    n.pickerPick();
    if (F[PICKER_PICK.REASON] !== 0) return null;
    const index = F[PICKER_PICK.INDEX];
    return { node: this.#nodes[index], index, gen: F[PICKER_PICK.GEN], forced: F[PICKER_PICK.FORCED] === 1, startedAt: F[PICKER_PICK.AT] };
  }

  /**
   * Reports how a pick went. The latency is measured from the pick unless
   * given; `cpu` is the server's own CPU (permille) if it sent one.
   */
  report(pick, outcome = {}) {
    if (pick === null || typeof pick !== 'object') throw typeError('pick', 'the result of pick()', pick);
    const o = check.options(outcome, 'outcome');
    const success = o.success === undefined ? true : check.bool(o.success, 'outcome.success');
    F[CALL.HANDLE] = this.#h;
    F[PICKER_DONE.INDEX] = check.integer(pick.index, 'pick.index', 0);
    F[PICKER_DONE.GEN] = check.integer(pick.gen, 'pick.gen', 0);
    if (o.latencyMs === undefined) {
      F[PICKER_DONE.STARTED_AT] = check.number(pick.startedAt, 'pick.startedAt');
      F[PICKER_DONE.MEASURE] = 1;
    } else {
      F[PICKER_DONE.LATENCY] = check.finite(o.latencyMs, 'outcome.latencyMs', 0, Number.MAX_SAFE_INTEGER) * 1e6;
      F[PICKER_DONE.MEASURE] = 0;
    }
    F[PICKER_DONE.SUCCESS] = success ? 1 : 0;
    F[PICKER_DONE.CPU] = o.cpu === undefined ? -1 : check.integer(o.cpu, 'outcome.cpu', 0, 1000);
    n.pickerDone();
    return F[PICKER_DONE.CURRENT] === 1;
  }

  /** Picks a node, runs `fn(node)`, and reports the outcome (a throw is a failure). */
  async run(fn) {
    check.fn(fn, 'fn');
    const p = this.pick();
    if (p === null) throw new NoNodeError();
    try {
      const result = await fn(p.node);
      this.report(p, { success: true });
      return result;
    } catch (e) {
      this.report(p, { success: false });
      throw e;
    }
  }

  /** What core knows of each node. */
  nodes() {
    const out = [];
    for (const [node, index] of this.#index) {
      const s = this.#node(index);
      out.push({ node, state: s.state, inFlight: F[PICKER_NODE.IN_FLIGHT], latencyMs: F[PICKER_NODE.LATENCY] / 1e6, success: F[PICKER_NODE.SUCCESS], cpu: F[PICKER_NODE.CPU] });
    }
    return out;
  }

  #node(index) {
    F[CALL.HANDLE] = this.#h;
    F[PICKER_NODE.INDEX] = index;
    n.pickerNode();
    return { state: F[PICKER_NODE.FOUND] === 1 ? STATES[F[PICKER_NODE.STATE]] : 'empty' };
  }

  // Index-level and explicit-time variants (bigint ns), as core's cells.
  addAt(id, now) {
    check.putU64(PICKER_CHANGE.ID, id, 'id');
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.pickerAdd();
      return F[PICKER_CHANGE.ANSWER];
    });
  }

  removeIndex(index) {
    F[CALL.HANDLE] = this.#h;
    F[PICKER_CHANGE.INDEX] = check.integer(index, 'index', 0);
    n.pickerRemove();
    return F[PICKER_CHANGE.ANSWER] === 1;
  }

  setUpIndex(index, up) {
    F[CALL.HANDLE] = this.#h;
    F[PICKER_CHANGE.INDEX] = check.integer(index, 'index', 0);
    F[PICKER_CHANGE.UP] = check.bool(up, 'up') ? 1 : 0;
    n.pickerSetUp();
    return F[PICKER_CHANGE.ANSWER] === 1;
  }

  pickAt(now, draw) {
    if (typeof draw !== 'bigint') throw typeError('draw', 'a bigint in [0, 2^64 - 1]', draw);
    check.putU64(PICKER_PICK.DRAW, draw, 'draw');
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.pickerPick();
      if (F[PICKER_PICK.REASON] !== 0) return { reason: 'no_node' };
      return { reason: 'admitted', index: F[PICKER_PICK.INDEX], gen: F[PICKER_PICK.GEN], forced: F[PICKER_PICK.FORCED] === 1 };
    });
  }

  doneAt(index, gen, now, { latencyNs, success, cpu } = {}) {
    F[PICKER_DONE.INDEX] = check.integer(index, 'index', 0);
    F[PICKER_DONE.GEN] = check.integer(gen, 'gen', 0);
    check.putU64(PICKER_DONE.LATENCY, latencyNs, 'latencyNs');
    F[PICKER_DONE.SUCCESS] = check.bool(success, 'success') ? 1 : 0;
    F[PICKER_DONE.CPU] = cpu === undefined ? -1 : check.integer(cpu, 'cpu', 0);
    F[PICKER_DONE.MEASURE] = 0;
    return exact.at(now, () => {
      F[CALL.HANDLE] = this.#h;
      n.pickerDone();
      return F[PICKER_DONE.CURRENT] === 1;
    });
  }

  /** Slot `index` as core sees it, in exact bigints; null past the capacity. */
  nodeAt(index) {
    check.integer(index, 'index', 0);
    return exact.at(0n, () => {
      F[CALL.HANDLE] = this.#h;
      F[PICKER_NODE.INDEX] = index;
      n.pickerNode();
      if (F[PICKER_NODE.FOUND] !== 1) return null;
      return {
        state: STATES[F[PICKER_NODE.STATE]],
        inFlight: B[PICKER_NODE.IN_FLIGHT],
        latencyNs: F[PICKER_NODE.LATENCY],
        success: F[PICKER_NODE.SUCCESS],
        cpu: B[PICKER_NODE.CPU],
        id: B[PICKER_NODE.ID],
        lastPick: B[PICKER_NODE.LAST_PICK],
      };
    });
  }
}

module.exports = { Picker, NoNodeError, rangeError };
