'use strict';
// Deadline propagation: the timeout to give a callee is the smaller of what
// is left of the caller's own deadline and the callee's timeout, less a
// safety margin.
const { n, F, B } = require('./native');
const { CALL, STATUS, DEADLINE } = require('./layout');
const check = require('./check');
const { rangeError, DeadlineExceededError } = require('./errors');
const { exact } = require('./handle');
const { REASONS } = require('./reason');

const FIELDS = { timeout_ns: 'timeoutMs', margin_ns: 'marginMs' };

class Deadline {
  #timeout;
  #margin;

  /** @param {{timeoutMs?: number, marginMs?: number}} options the callee's timeout (Infinity: none) and the margin kept back */
  constructor(options = {}) {
    const o = check.options(options);
    const timeout = check.durationNs(o.timeoutMs === undefined ? Infinity : o.timeoutMs, 'timeoutMs', { allowInfinity: true });
    const margin = check.durationNs(o.marginMs === undefined ? 0 : o.marginMs, 'marginMs');
    this.#timeout = typeof timeout === 'bigint' ? timeout : timeout >= 18446744073709551615 ? 0xffffffffffffffffn : BigInt(timeout);
    this.#margin = typeof margin === 'bigint' ? margin : BigInt(margin);
    this.#load();
    n.deadlineCheck();
    if (F[CALL.STATUS] === STATUS.CONFIG) {
      const [field, rule, got] = n.lastError() || ['timeoutMs', 'valid', '?'];
      throw rangeError(FIELDS[field] || field, rule.replace('timeout_ns', 'timeoutMs'), got);
    }
  }

  #load() {
    B[DEADLINE.TIMEOUT] = this.#timeout;
    B[DEADLINE.MARGIN] = this.#margin;
  }

  /**
   * The timeout (ms) to give the callee now, when the caller must be done by
   * `deadlineMs` (an instant on `nowMs()`'s clock; omitted: no own deadline).
   * Throws DeadlineExceededError when nothing is left after the margin.
   */
  timeoutMs(deadlineMs = undefined) {
    this.#load();
    if (deadlineMs === undefined) {
      F[DEADLINE.HAS_DEADLINE] = 0;
    } else {
      check.number(deadlineMs, 'deadlineMs');
      F[DEADLINE.HAS_DEADLINE] = 1;
      F[DEADLINE.DEADLINE] = Math.max(0, Math.min(deadlineMs * 1e6, 18446744073709551615));
    }
    n.deadlineBudget();
    if (F[DEADLINE.REASON] !== 0) throw new DeadlineExceededError();
    const budget = F[DEADLINE.BUDGET];
    return budget >= 18446744073709551615 ? Infinity : budget / 1e6;
  }

  /** As timeoutMs at an explicit `now` and deadline (bigint ns): `{ reason, timeout }`. */
  budgetAt(now, deadline = undefined) {
    this.#load();
    F[DEADLINE.HAS_DEADLINE] = deadline === undefined ? 0 : 1;
    if (deadline !== undefined) check.putU64(DEADLINE.DEADLINE, deadline, 'deadline');
    return exact.at(now, () => {
      n.deadlineBudget();
      return { reason: REASONS[F[DEADLINE.REASON]], timeout: B[DEADLINE.BUDGET] };
    });
  }
}

module.exports = { Deadline };
