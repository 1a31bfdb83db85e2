'use strict';
// A prom-client collector exporting a policy's counters under the names
// Envoy's /stats/prometheus gives the filter's (with the `weir_rule` stats
// tag of examples/envoy/envoy.yaml): `weir.<rule>.<outcome>` becomes
// `weir_<outcome>{weir_rule="<rule>"}`, `weir.<rule>.picked.<cluster>`
// becomes `weir_picked_<cluster>{weir_rule="<rule>"}`.
//
//   const client = require('prom-client');
//   require('weir/prometheus').register(policy, client.register);
//
// The counters are read on scrape, once per scrape; nothing is added to a
// request's path.
const { Policy } = require('./policy');
const { typeError } = require('./errors');

// The filter's stats tag regex, without Envoy's `wasmcustom.` namespace.
const COUNTER = /^weir\.(.+?)\.([a-z_]+|picked\..+)$/;
const UNSAFE = /[^a-zA-Z0-9_]/g;

/** [Prometheus name, rule] of a policy counter, as Envoy exports it. */
function metricName(counter) {
  const found = COUNTER.exec(counter);
  if (found === null) return [counter.replace(UNSAFE, '_'), ''];
  return [`weir_${found[2].replace(UNSAFE, '_')}`, found[1]];
}

/** One family per outcome; prom-client asks each for its values. */
class Family {
  constructor(name, scrape) {
    this.name = name;
    this.help = `weir policy counter ${name.slice(5)}, per rule`;
    // Untyped keeps Envoy's names: a counter gets `_total` in OpenMetrics.
    this.type = 'untyped';
    this.aggregator = 'sum';
    this.scrape = scrape;
  }

  get() {
    const values = this.scrape().get(this.name) || [];
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset() {}
}

/** Registers the policy's counter families on `registry` (a prom-client
 * Registry, e.g. `client.register`); returns the family names. Families a
 * replaced policy adds are registered at the scrape that first sees them
 * and exported from the next. */
function register(policy, registry) {
  if (!(policy instanceof Policy)) throw typeError('policy', 'a weir Policy', policy);
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function') {
    throw typeError('registry', 'a prom-client Registry', registry);
  }
  const registered = new Set();
  let snapshot = null;
  // Every family of one scrape reads the same snapshot; the next scrape reads anew.
  const scrape = () => {
    if (snapshot !== null) return snapshot;
    snapshot = new Map();
    for (const [counter, value] of Object.entries(policy.counters())) {
      const [name, rule] = metricName(counter);
      if (!snapshot.has(name)) snapshot.set(name, []);
      snapshot.get(name).push({ value, labels: rule ? { weir_rule: rule } : {} });
    }
    queueMicrotask(() => (snapshot = null));
    for (const name of snapshot.keys()) {
      if (!registered.has(name)) {
        registered.add(name);
        registry.registerMetric(new Family(name, scrape));
      }
    }
    return snapshot;
  };
  scrape();
  // Counts taken at registration must not answer a scrape later in this tick.
  snapshot = null;
  return [...registered];
}

module.exports = { register, metricName };
