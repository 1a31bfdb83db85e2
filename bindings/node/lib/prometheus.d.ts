import type { Policy } from '../index';

/** The part of a prom-client Registry the collector uses. */
export interface RegistryLike {
  registerMetric(metric: any): void;
}

/** Registers the policy's counters on `registry` as `weir_<outcome>{weir_rule="<rule>"}`
 * (the names of Envoy's /stats/prometheus for the filter), read on scrape.
 * Returns the family names registered. */
export declare function register(policy: Policy, registry: RegistryLike): string[];

/** [Prometheus name, rule] of a policy counter (`weir.<rule>.<outcome>`). */
export declare function metricName(counter: string): [string, string];
