import type { Policy } from '../index';

/** The part of an OpenTelemetry Meter (@opentelemetry/api) the bridge uses. */
export interface MeterLike {
  createObservableCounter(name: string, options?: { description?: string }): any;
  addBatchObservableCallback(callback: (observer: any) => void, observables: any[]): void;
  removeBatchObservableCallback(callback: (observer: any) => void, observables: any[]): void;
}

/** A policy's counters as observable counters `weir_<outcome>{weir_rule="<rule>"}`
 * (the names of Envoy's /stats/prometheus for the filter), read on collection. */
export declare class PolicyMetrics {
  constructor(policy: Policy, meter?: MeterLike);
  readonly policy: Policy;
  /** Creates the instruments a replaced policy adds; returns every instrument name. */
  refresh(): string[];
  /** Stops observing the policy. */
  close(): void;
}

/** Observes `policy`'s counters on `meter` (the global provider's `weir` meter when absent). */
export declare function observe(policy: Policy, meter?: MeterLike): PolicyMetrics;

/** [instrument name, rule] of a policy counter (`weir.<rule>.<outcome>`). */
export declare function metricName(counter: string): [string, string];
