'use strict';
// An OpenTelemetry metrics bridge (the @opentelemetry/api package only; the
// application brings the SDK and its exporter): a policy's counters as
// observable counters under the names and labels the Envoy filter's counters
// have in Prometheus (the `weir_rule` stats tag of examples/envoy/envoy.yaml):
// `weir.<rule>.<outcome>` is `weir_<outcome>` with the attribute
// weir_rule="<rule>", `weir.<rule>.picked.<cluster>` is `weir_picked_<cluster>`.
//
//   const { metrics } = require('@opentelemetry/api');
//   const bridge = require('weir/otel').observe(policy, metrics.getMeter('weir'));
//
// The counters are read once per collection (one batch callback over every
// instrument); nothing is added to a decision's path.
const { Policy } = require('./policy');
const { typeError } = require('./errors');
const { metricName } = require('./prometheus');

/** Observes one policy's counters on a meter. */
class PolicyMetrics {
  constructor(policy, meter) {
    if (!(policy instanceof Policy)) throw typeError('policy', 'a weir Policy', policy);
    if (meter === undefined) meter = require('@opentelemetry/api').metrics.getMeter('weir');
    if (meter === null || typeof meter !== 'object' || typeof meter.createObservableCounter !== 'function' ||
        typeof meter.addBatchObservableCallback !== 'function') {
      throw typeError('meter', 'an OpenTelemetry Meter', meter);
    }
    this.policy = policy;
    this.meter = meter;
    this.instruments = new Map();
    this.callback = (observer) => {
      for (const [counter, value] of Object.entries(this.policy.counters())) {
        const [name, rule] = metricName(counter);
        const instrument = this.instruments.get(name);
        if (instrument !== undefined) observer.observe(instrument, value, rule ? { weir_rule: rule } : {});
      }
    };
    this.registered = false;
    this.refresh();
  }

  /** Creates the instruments of counters not yet observed (a replaced policy's
   * new ones); returns every instrument name. */
  refresh() {
    let added = false;
    for (const counter of Object.keys(this.policy.counters())) {
      const [name] = metricName(counter);
      if (!this.instruments.has(name)) {
        this.instruments.set(name, this.meter.createObservableCounter(name, {
          description: `weir policy counter ${name.slice(5)}, per rule`,
        }));
        added = true;
      }
    }
    if (added || !this.registered) {
      this.close();
      this.meter.addBatchObservableCallback(this.callback, [...this.instruments.values()]);
      this.registered = true;
    }
    return [...this.instruments.keys()];
  }

  /** Stops observing the policy. */
  close() {
    if (this.registered) {
      this.meter.removeBatchObservableCallback(this.callback, [...this.instruments.values()]);
      this.registered = false;
    }
  }
}

/** Observes `policy`'s counters on `meter` (the global meter provider's
 * `weir` meter when absent). */
function observe(policy, meter) {
  return new PolicyMetrics(policy, meter);
}

module.exports = { observe, PolicyMetrics, metricName };
