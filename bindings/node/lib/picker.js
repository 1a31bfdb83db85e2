'use strict';
// Power-of-two-choices load balancing: core keeps each node's EWMA latency,
// success rate, in-flight count and reported CPU in a fixed table; this
// wrapper maps table slots to the caller's node values.
const { n, F, B } = require('./native');
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
    B[1] = BigInt(o.capacity === undefined ? 64 : check.integer(o.capacity, 'capacity', 0, 1 << 20));
    check.putU64(2, check.durationNs(o.tauMs === undefined ? 600 : o.tauMs, 'tauMs'), 'tauMs');
    check.putU64(3, check.durationNs(o.forcePickMs === undefined ? 3000 : o.forcePickMs, 'forcePickMs'), 'forcePickMs');
    F[4] = o.successFloor === undefined ? 0.5 : check.number(o.successFloor, 'successFloor');
    B[5] = BigInt(o.cpuCeiling === undefined ? 900 : check.integer(o.cpuCeiling, 'cpuCeiling', 0));
    check.putU64(6, check.durationNs(o.latencyBiasMs === undefined ? 5 : o.latencyBiasMs, 'latencyBiasMs'), 'latencyBiasMs');
    check.putU64(7, check.durationNs(o.initialLatencyMs === undefined ? 0 : o.initialLatencyMs, 'initialLatencyMs'), 'initialLatencyMs');
    this.#h = own(this, create(KIND.Picker, n.pickerNew, FIELDS));
  }

  /** Adds `node` (any value; added twice it keeps its slot). Returns false when the table is full. */
  add(node) {
    if (this.#index.has(node)) return true;
    F[0] = this.#h;
    B[2] = this.#nextId++;
    n.pickerAdd();
    const index = F[1];
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
    F[0] = this.#h;
    n.pickerPick();
    if (F[1] !== 0) return null;
    const index = F[2];
    return { node: this.#nodes[index], index, gen: F[3], forced: F[4] === 1, startedAt: F[5] };
  }

  /**
   * Reports how a pick went. The latency is measured from the pick unless
   * given; `cpu` is the server's own CPU (permille) if it sent one.
   */
  report(pick, outcome = {}) {
    if (pick === null || typeof pick !== 'object') throw typeError('pick', 'the result of pick()', pick);
    const o = check.options(outcome, 'outcome');
    const success = o.success === undefined ? true : check.bool(o.success, 'outcome.success');
    F[0] = this.#h;
    F[2] = check.integer(pick.index, 'pick.index', 0);
    F[3] = check.integer(pick.gen, 'pick.gen', 0);
    if (o.latencyMs === undefined) {
      F[7] = check.number(pick.startedAt, 'pick.startedAt');
      F[8] = 1;
    } else {
      F[4] = check.finite(o.latencyMs, 'outcome.latencyMs', 0, Number.MAX_SAFE_INTEGER) * 1e6;
      F[8] = 0;
    }
    F[5] = success ? 1 : 0;
    F[6] = o.cpu === undefined ? -1 : check.integer(o.cpu, 'outcome.cpu', 0, 1000);
    n.pickerDone();
    return F[1] === 1;
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
      out.push({ node, state: s.state, inFlight: F[3], latencyMs: F[4] / 1e6, success: F[5], cpu: F[6] });
    }
    return out;
  }

  #node(index) {
    F[0] = this.#h;
    F[2] = index;
    n.pickerNode();
    return { state: F[1] === 1 ? STATES[F[2]] : 'empty' };
  }

  // Index-level and explicit-time variants (bigint ns), as core's cells.
  addAt(id, now) {
    check.putU64(2, id, 'id');
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.pickerAdd();
      return F[1];
    } finally {
      exact.off();
    }
  }

  removeIndex(index) {
    F[0] = this.#h;
    F[2] = check.integer(index, 'index', 0);
    n.pickerRemove();
    return F[1] === 1;
  }

  setUpIndex(index, up) {
    F[0] = this.#h;
    F[2] = check.integer(index, 'index', 0);
    F[3] = check.bool(up, 'up') ? 1 : 0;
    n.pickerSetUp();
    return F[1] === 1;
  }

  pickAt(now, draw) {
    if (typeof draw !== 'bigint') throw typeError('draw', 'a bigint in [0, 2^64 - 1]', draw);
    check.putU64(2, draw, 'draw');
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.pickerPick();
      if (F[1] !== 0) return { reason: 'no_node' };
      return { reason: 'admitted', index: F[2], gen: F[3], forced: F[4] === 1 };
    } finally {
      exact.off();
    }
  }

  doneAt(index, gen, now, { latencyNs, success, cpu } = {}) {
    F[2] = check.integer(index, 'index', 0);
    F[3] = check.integer(gen, 'gen', 0);
    check.putU64(4, latencyNs, 'latencyNs');
    F[5] = check.bool(success, 'success') ? 1 : 0;
    F[6] = cpu === undefined ? -1 : check.integer(cpu, 'cpu', 0);
    F[8] = 0;
    exact.on(1, now);
    try {
      F[0] = this.#h;
      n.pickerDone();
      return F[1] === 1;
    } finally {
      exact.off();
    }
  }

  /** Slot `index` as core sees it, in exact bigints; null past the capacity. */
  nodeAt(index) {
    check.integer(index, 'index', 0);
    exact.on(1, 0n);
    try {
      F[0] = this.#h;
      F[2] = index;
      n.pickerNode();
      if (F[1] !== 1) return null;
      return { state: STATES[F[2]], inFlight: B[3], latencyNs: F[4], success: F[5], cpu: B[6], id: B[7], lastPick: B[8] };
    } finally {
      exact.off();
    }
  }
}

module.exports = { Picker, NoNodeError, rangeError };
