// Types of the `weir` package. Durations are milliseconds (number) unless a
// name ends in `Ns`; a bigint where a duration is expected is nanoseconds.
// The `...At` methods take an explicit `now` (bigint ns on nowNs()'s clock)
// and answer in exact bigints: the conformance vectors replay through them.
import { EventEmitter } from 'node:events';

/** Milliseconds, a unit name, or a bigint of nanoseconds. */
export type Duration = number | bigint | 'second' | 'minute' | 'hour' | 'day';

export type Reason =
  | 'admitted'
  | 'rate_limited'
  | 'cost_exceeds_burst'
  | 'table_full'
  | 'concurrency_limited'
  | 'cpu_overloaded'
  | 'cooling_off'
  | 'queue_full'
  | 'throttled'
  | 'time_overflow'
  | 'budget_exhausted'
  | 'attempts_exhausted'
  | 'deadline_too_close'
  | 'deadline_exceeded'
  | 'no_node'
  | 'circuit_open'
  | 'circuit_half_open'
  | 'not_retryable';

/** What a worker thread needs to hold the same native object: pass it through postMessage / workerData. */
export interface Shared {
  readonly kind: number;
  readonly index: number;
  readonly gen: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
}

/** The answer of a rate limit, in rate-limiter-flexible's shape. */
export interface RateDecision {
  ok: boolean;
  reason: Reason;
  /** When a retry can succeed, ms (rounded up); Infinity when it never can. */
  msBeforeNext: number;
  /** Tokens left. */
  remaining: number;
  /** When the bucket is full again, ms. */
  resetMs: number;
}

export interface ExactDecision {
  reason: Reason;
  retryAfter: bigint;
  remaining: bigint;
  resetAfter: bigint;
}

/** The clock weir reads (CLOCK_MONOTONIC), in ns. */
export function nowNs(): bigint;
/** The same clock in ms. */
export function nowMs(): number;

export interface LimiterOptions {
  /** Tokens added every `per`: any finite number > 0 (1/3 is one token every 3 s, as in every weir runtime). */
  rate: number | bigint;
  /** Default 'second'. */
  per?: Duration;
  /** Tokens that can be spent at once, a whole number; default the whole part of `rate`, at least 1. */
  burst?: number | bigint;
}

export interface SharedLimiterOptions extends LimiterOptions {
  /**
   * A file (best on a tmpfs: '/dev/shm/...') holding the state, so every
   * process that opens it (pm2 / cluster workers) spends one bucket. The
   * first opener creates it; a different rate, per or burst is a RangeError.
   */
  shared?: string;
}

/** A GCRA rate limit shared by every thread that holds it. */
export class Limiter {
  constructor(options: SharedLimiterOptions);
  /** The file given as `shared`, if any. */
  readonly shared: string | undefined;
  static attach(shared: Shared): Limiter;
  share(): Shared;
  tryAcquire(cost?: number): RateDecision;
  /** Waits (without blocking the event loop) until `cost` tokens are admitted. */
  acquire(cost?: number, options?: WaitOptions): Promise<RateDecision>;
  tryAcquireAt(now: bigint, cost?: number | bigint): ExactDecision;
  /** Decisions made through this object on this thread. */
  /** Decisions counted natively (every thread): `decisions` by reason name, admitted always. */
  stats(): DecisionCounts;
  /** Changes the rate now (default per second), keeping the burst and what was spent: a change never grants a burst. Shared: every process's. */
  setRate(rate: number | bigint, per?: Duration): void;
  /** Changes the burst now, keeping the rate and what was spent. */
  setBurst(burst: number | bigint): void;
  /** Changes to core's config at an explicit `now` (ns). */
  setAt(now: bigint, config: CoreLimiterConfig): void;
}

/** Core's limiter config, exact: `rate` tokens every `periodNs` (default 1 s), bursts of `burst`. */
export interface CoreLimiterConfig {
  rate: bigint | number;
  periodNs?: bigint | number;
  burst: bigint | number;
}

/** A string (hashed as every weir runtime hashes keys), a non-negative integer, or a u64 bigint. */
export type Key = string | number | bigint;

export interface KeyedLimiterOptions extends LimiterOptions {
  /** Entries in the table (rounded up to a multiple of 8); default 4096. New keys are refused (table_full) when every entry of their set is live. */
  capacity?: number;
  /** A secret (non-empty) that string keys hash under. Without it the hash is public: anyone who chooses keys can compute keys that fill another key's set. */
  seed?: string | Uint8Array;
}

/**
 * What a primitive's decisions meant, emitted after the deciding call: `refused`
 * (count: refusals since the last one emitted), or a state starting or ending
 * (a state's end carries the refusals while it lasted and when it began).
 */
export interface WeirEvent {
  kind:
    | 'refused'
    | 'droppingStarted'
    | 'droppingStopped'
    | 'refusingStarted'
    | 'refusingStopped'
    | 'budgetExhausted'
    | 'budgetRecovered'
    | 'tableFull'
    | 'tableRecovered';
  reason: Reason;
  atNs: bigint;
  count: number;
  sinceNs: bigint;
}

/** One rate limit per key, in a table whose memory is fixed; emits 'refused', 'tableFull', 'tableRecovered'. */
export class KeyedLimiter extends EventEmitter {
  on(event: 'refused' | 'tableFull' | 'tableRecovered', listener: (e: WeirEvent) => void): this;
  once(event: 'refused' | 'tableFull' | 'tableRecovered', listener: (e: WeirEvent) => void): this;
  constructor(options: KeyedLimiterOptions);
  static attach(shared: Shared): KeyedLimiter;
  share(): Shared;
  tryAcquire(key: Key, cost?: number): RateDecision;
  acquire(key: Key, cost?: number, options?: WaitOptions): Promise<RateDecision>;
  tryAcquireAt(key: Key, now: bigint, cost?: number | bigint): ExactDecision;
  stats(): { live: number; capacity: number } & DecisionCounts;
  statsAt(now: bigint): { live: number; capacity: number };
  /** Changes every key's rate now, keeping the burst; no key gains tokens (each keeps the later of its rescaled and its old refill time). */
  setRate(rate: number | bigint, per?: Duration): void;
  /** Changes every key's burst now, keeping the rate. */
  setBurst(burst: number | bigint): void;
  setAt(now: bigint, config: CoreLimiterConfig): void;
}

/** Several rates on one limiter (e.g. `[{ rate: 10 }, { rate: 1000, per: 'hour' }]`, 1 to 4), decided in one call: admitted only if every rate admits; a refusal spends from none. */
export class MultiLimiter {
  constructor(rates: LimiterOptions[]);
  static attach(shared: Shared): MultiLimiter;
  share(): Shared;
  tryAcquire(cost?: number): RateDecision;
  acquire(cost?: number, options?: WaitOptions): Promise<RateDecision>;
  tryAcquireAt(now: bigint, cost?: number | bigint): ExactDecision;
  /** Changes rate `index` now, keeping its burst and what it spent. */
  setRate(index: number, rate: number | bigint, per?: Duration): void;
  setBurst(index: number, burst: number | bigint): void;
  setAt(index: number, now: bigint, config: CoreLimiterConfig): void;
}

export interface ConcurrencyLimiterOptions {
  max: number | bigint;
  /** Callers waiting at once (default 1024; 0: refuse at once when full). */
  maxQueue?: number | bigint;
  /** The longest a caller waits (default 60 s). */
  maxWait?: Duration;
}

export interface ConcurrencyWaitOptions extends WaitOptions {
  /** This caller's own longest wait, never above the limiter's. */
  maxWait?: Duration;
}

/** Why a waiter got no permit (RateLimitedError.reason). */
export type BulkheadRefusal = 'concurrency_limited' | 'queue_full' | 'wait_timeout' | 'cancelled';

/** A cap on work in flight (a bulkhead), exact across threads, with a bounded FIFO queue. */
export class ConcurrencyLimiter {
  constructor(options: ConcurrencyLimiterOptions);
  static attach(shared: Shared): ConcurrencyLimiter;
  share(): Shared;
  /** Never waits; refuses while anyone waits. */
  tryAcquire(): { ok: boolean; reason: Reason; remaining: number };
  /** Waits in line; resolves to the permit's release. Rejects with a RateLimitedError (queue_full, wait_timeout, concurrency_limited) or the signal's reason. */
  acquire(options?: ConcurrencyWaitOptions): Promise<() => void>;
  release(): boolean;
  readonly inFlight: number;
  readonly queued: number;
  readonly max: number;
  stats(): {
    inFlight: number;
    max: number;
    queued: number;
    maxQueue: number;
    maxWaitMs: number;
    admitted: number;
    admittedAfterWait: number;
    refused: Record<BulkheadRefusal, number>;
  };
  /** Runs `fn` once a permit is granted (callers wait in line), returning the permit when it settles. */
  run<T>(fn: () => T | PromiseLike<T>, options?: ConcurrencyWaitOptions): Promise<T>;
}

export interface ShedderOptions {
  windowMs?: Duration;
  buckets?: number;
  /** Permille, 1..=1000; default 800. */
  cpuThreshold?: number;
  /** Weight of the old CPU value per sample, [0, 1); default 0.95. */
  cpuDecay?: number;
  coolOffMs?: Duration;
  /** Hard cap on in-flight requests; 0 (default) turns it off. */
  maxQueue?: number | bigint;
  /** Sample this process's CPU (cgroup v2, else /proc/stat) from a native thread. */
  cpuSampler?: boolean | { intervalMs?: Duration };
}

export interface ShedTicket {
  ok: boolean;
  reason: Reason;
  retryAfterMs: number;
  startedAt: number;
}

/** A primitive's decisions so far: admitted, every refusal, and both by reason name. */
export interface DecisionCounts {
  admitted: number;
  rejected: number;
  decisions: Record<string, number>;
}

export interface ShedderStats {
  inFlight: number;
  cpu: number;
  maxPass: number;
  minRtMs: number;
  maxInFlight: number;
  coolingOff: boolean;
  /** Decisions by reason name, admitted always, each refusal once seen. */
  decisions: Record<string, number>;
}

/** BBR-style adaptive overload protection; emits 'refused', 'droppingStarted', 'droppingStopped'. */
export class Shedder extends EventEmitter {
  on(event: 'refused' | 'droppingStarted' | 'droppingStopped', listener: (e: WeirEvent) => void): this;
  once(event: 'refused' | 'droppingStarted' | 'droppingStopped', listener: (e: WeirEvent) => void): this;
  constructor(options?: ShedderOptions);
  static attach(shared: Shared): Shedder;
  share(): Shared;
  tryAcquire(): ShedTicket;
  done(ticket: ShedTicket | number): void;
  /** Ends an admitted request that never did its work, without a response-time sample. */
  cancel(ticket: ShedTicket): void;
  /** Runs `fn` unless overloaded; rejects with OverloadedError otherwise. */
  run<T>(fn: () => T | PromiseLike<T>): Promise<T>;
  recordCpu(permille: number): number;
  stats(): ShedderStats;
  close(): void;
  acquireAt(now: bigint): ExactDecision & { startedAt: bigint };
  doneAt(startedAt: bigint, now: bigint): void;
  statsAt(now: bigint): { inFlight: bigint; cpu: number; maxPass: bigint; minRtNs: bigint; maxInFlight: bigint; coolingOff: boolean };
}

export interface ThrottleOptions {
  k?: number;
  windowMs?: Duration;
  buckets?: number;
  minRequests?: number | bigint;
  maxRejectProbability?: number;
}

/** Google SRE client-side adaptive throttling; emits 'refused', 'refusingStarted', 'refusingStopped'. */
export class Throttle extends EventEmitter {
  on(event: 'refused' | 'refusingStarted' | 'refusingStopped', listener: (e: WeirEvent) => void): this;
  once(event: 'refused' | 'refusingStarted' | 'refusingStopped', listener: (e: WeirEvent) => void): this;
  constructor(options?: ThrottleOptions);
  static attach(shared: Shared): Throttle;
  share(): Shared;
  tryAcquire(): { ok: boolean; reason: Reason; retryAfterMs: number };
  record(accepted: boolean): void;
  /** Runs `fn` unless throttled (ThrottledError); a throw counts as a refusal unless `accepted(err)`. */
  run<T>(fn: () => T | PromiseLike<T>, options?: { accepted?: (err: unknown) => boolean }): Promise<T>;
  stats(): { requests: number; accepts: number; rejectProbability: number; decisions: Record<string, number> };
  acquireAt(now: bigint, draw: bigint): ExactDecision;
  recordAt(now: bigint, accepted: boolean): void;
  forgetAt(acquiredAt: bigint): void;
  statsAt(now: bigint): { requests: number; accepts: number; rejectProbability: number };
}

export interface PickerOptions {
  capacity?: number;
  tauMs?: Duration;
  forcePickMs?: Duration;
  successFloor?: number;
  cpuCeiling?: number;
  latencyBiasMs?: Duration;
  initialLatencyMs?: Duration;
}

export interface Pick<N> {
  node: N;
  index: number;
  gen: number;
  forced: boolean;
  startedAt: number;
}

/** Power of two choices over EWMA latency, success, in-flight and server CPU. */
export class Picker<N = unknown> {
  constructor(options?: PickerOptions);
  add(node: N): boolean;
  remove(node: N): boolean;
  setUp(node: N, up: boolean): boolean;
  pick(): Pick<N> | null;
  report(pick: Pick<N>, outcome?: { success?: boolean; latencyMs?: number; cpu?: number }): boolean;
  run<T>(fn: (node: N) => T | PromiseLike<T>): Promise<T>;
  nodes(): Array<{ node: N; state: 'empty' | 'up' | 'down' | 'adding'; inFlight: number; latencyMs: number; success: number; cpu: number }>;
  addAt(id: number | bigint, now: bigint): number;
  removeIndex(index: number): boolean;
  setUpIndex(index: number, up: boolean): boolean;
  pickAt(now: bigint, draw: bigint): { reason: 'admitted' | 'no_node'; index?: number; gen?: number; forced?: boolean };
  doneAt(index: number, gen: number, now: bigint, outcome: { latencyNs: number | bigint; success: boolean; cpu?: number }): boolean;
  nodeAt(index: number): { state: string; inFlight: bigint; latencyNs: number; success: number; cpu: bigint; id: bigint; lastPick: bigint } | null;
}

export interface BackoffOptions {
  baseMs?: Duration;
  capMs?: Duration;
  multiplier?: number;
  jitter?: 'none' | 'full' | 'equal' | 'decorrelated';
  /** Attempts in all, the first call included. */
  maxAttempts?: number | bigint;
  advisedCapMs?: Duration;
}

export class Backoff {
  constructor(options?: BackoffOptions);
  static attach(shared: Shared): Backoff;
  share(): Shared;
  delay(retry: number, previousMs?: number): number;
  delayAt(retry: number | bigint, draw: bigint, previousNs?: bigint): bigint;
  nextAt(attempt: number | bigint, draw: bigint, previousNs?: bigint, advisedNs?: bigint): { reason: Reason; delay: bigint };
}

export interface RetryBudgetOptions {
  /** Retries per request, e.g. 0.1. */
  ratio?: number;
  minPerSecond?: number | bigint;
  windowMs?: Duration;
  buckets?: number | bigint;
}

/** Retries allowed up to a ratio of requests; share one across callers and threads. Emits 'refused', 'budgetExhausted', 'budgetRecovered'. */
export class RetryBudget extends EventEmitter {
  on(event: 'refused' | 'budgetExhausted' | 'budgetRecovered', listener: (e: WeirEvent) => void): this;
  once(event: 'refused' | 'budgetExhausted' | 'budgetRecovered', listener: (e: WeirEvent) => void): this;
  constructor(options?: RetryBudgetOptions);
  static attach(shared: Shared): RetryBudget;
  share(): Shared;
  deposit(count?: number): void;
  withdraw(): { ok: boolean; reason: Reason; retryAfterMs: number; remaining: number };
  stats(): { requests: number; retries: number };
  depositAt(now: bigint, count?: number | bigint): void;
  withdrawAt(now: bigint, delayNs?: bigint, deadlineLeftNs?: bigint): ExactDecision;
  statsAt(now: bigint): { requests: bigint; retries: bigint };
  retryAt(
    now: bigint,
    backoff: Backoff,
    ask: { attempt: number | bigint; draw?: bigint; previousNs?: bigint; advisedNs?: bigint; deadlineLeftNs?: bigint; noRetry?: boolean },
  ): ExactDecision & { delay: bigint };
}

export interface RetryOptions {
  backoff?: Backoff | BackoffOptions;
  budget?: RetryBudget;
  signal?: AbortSignal;
  /** The server's advice for an error: ms, or a Retry-After value. Default: `err.retryAfterMs`. */
  retryAfter?: (err: unknown) => number | string | undefined | null;
  /** Whether an error is worth a retry; default all. An error a layer below marked final
   * (`err.noRetry`, or `x-weir-no-retry: 1` / a negative `grpc-retry-pushback-ms` in
   * `err.headers` or `err.response.headers`) is never retried: reason `not_retryable`. */
  retryOn?: (err: unknown) => boolean;
  /** Time for all attempts; a retry that could not finish in it is refused (deadline_too_close). */
  timeoutMs?: number;
}

export function retry<T>(fn: (ctx: { attempt: number; signal?: AbortSignal }) => T | PromiseLike<T>, options?: RetryOptions): Promise<T>;

export interface FallbackOptions {
  /** Which errors the fallback answers; default `isRefusal` (a weir primitive refused the call). */
  on?: (err: unknown) => boolean;
}

/** `fn` whose refusals (or the errors `on` picks) resolve to `fallback`, a value or `(err, ...args) => value`. */
export function withFallback<A extends unknown[], T>(
  fn: (...args: A) => T | PromiseLike<T>,
  fallback: T | ((err: unknown, ...args: A) => T | PromiseLike<T>),
  options?: FallbackOptions,
): ((...args: A) => Promise<T>) & { stats(): Record<string, number> };

/** Whether `err` is a refusal by a weir primitive (it carries a `reason`). */
export function isRefusal(err: unknown): boolean;

/** A reusable retry policy. */
export class Retry {
  constructor(options?: Omit<RetryOptions, 'signal'>);
  execute<T>(fn: (ctx: { attempt: number; signal?: AbortSignal }) => T | PromiseLike<T>, signal?: AbortSignal): Promise<T>;
}

export interface FlightTicket {
  slot: number;
  gen: number;
}

/** Concurrent calls for one key share one execution. */
export class SingleFlight {
  /** `seed`: a secret (non-empty) that string keys hash under, so no caller can pick keys that occupy another key's slot. */
  constructor(options?: { capacity?: number; seed?: string | Uint8Array });
  /** Runs `fn` unless a run for `key` is in flight; `signal` lets this caller leave, and the run's signal aborts when nobody waits. */
  do<T>(key: Key, fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: WaitOptions): Promise<T>;
  readonly size: number;
  begin(key: Key): { role: 'leader' | 'follower' | 'table_full'; slot?: number; gen?: number; occupied: number };
  finish(ticket: FlightTicket): { ok: boolean; occupied: number; waiters: number };
  leave(ticket: FlightTicket): { ok: boolean; occupied: number; waiters: number };
  isDone(ticket: FlightTicket): { ok: boolean; occupied: number; waiters: number };
}

/** Recent latencies in fixed memory; any quantile within 1/64 of the exact nearest-rank sample. */
export class LatencyQuantiles {
  constructor(options?: { windowMs?: number | bigint; subWindows?: number });
  /** Counts one latency, in milliseconds. */
  record(latencyMs: number): void;
  /** The q-quantile (0..1) in milliseconds; null when the window is empty. */
  quantile(q: number): number | null;
  count(): number;
  snapshot(): { count: bigint; buckets: { lowerNs: bigint; upperNs: bigint; count: bigint }[] };
  merge(other: LatencyQuantiles): void;
  /** `[lowerNs, upperNs]` of the bucket a value is counted in. */
  static bucketBoundsNs(valueNs: number | bigint): bigint[];
}

/** The most requested keys (Space-Saving) in fixed memory. */
export class HotKeys {
  constructor(options?: { capacity?: number; halfLifeMs?: number | bigint; seed?: string | Uint8Array });
  record(key: string | Uint8Array): void;
  /** Largest `count - error` first; `key` is a string when its bytes are UTF-8. */
  top(k?: number): { key: string | Uint8Array | null; count: number; error: number }[];
  estimate(key: string | Uint8Array): { count: number; error: number };
  total(): number;
}

export interface HedgerOptions {
  quantile?: number;
  floorMs?: number;
  ceilingMs?: number;
  maxHedges?: number;
  minSamples?: number;
  windowMs?: number;
  subWindows?: number;
  /** The retry budget each hedge spends: a RetryBudget the same dependency's `retry` calls spend
   * (hedges and retries then share one allowance; `hedged` deposits each request in it), or the
   * settings of a budget of the hedger's own. */
  budget?: RetryBudget | { ratio?: number; minPerSecond?: number; windowMs?: number; buckets?: number };
}

/** When a request's next copy goes out: after a quantile of recent latency, each copy spending the retry budget. */
export class Hedger {
  constructor(options?: HedgerOptions);
  readonly maxHedges: number;
  stats(): { requests: number; hedges: number; refusedBudget: number; refusedDeadline: number; budgetRequests: number; budgetRetries: number };
}

export interface HedgeAttempt<N = unknown> {
  /** 0 for the first copy, 1.. for hedges. */
  number: number;
  /** The picker's node for this copy, if a picker was given. */
  node: N | undefined;
  /** Aborted when another copy answered first. */
  signal: AbortSignal;
}

/** The first success among the first copy and its hedges; the other copies' signals abort. */
export function hedged<T, N = unknown>(
  hedger: Hedger,
  fn: (attempt: HedgeAttempt<N>) => T | PromiseLike<T>,
  options?: { signal?: AbortSignal; picker?: Picker<N>; timeoutMs?: number },
): Promise<T>;

/** The hottest keys' values for a short TTL; misses shared through a SingleFlight. */
export class HotCache<V = unknown> {
  constructor(hotKeys: HotKeys, flights: SingleFlight, options?: { top?: number; ttlMs?: number });
  readonly size: number;
  get(key: string, load: (signal: AbortSignal) => V | PromiseLike<V>): Promise<V>;
}

/** The 64-bit hash weir gives `key` in every runtime: under `seed` (a secret), where a table made with that seed places it; without one, the public hash of an unseeded table. */
export function hashKey(key: string | Uint8Array, seed?: string | Uint8Array): bigint;

/** The timeout to give a callee: min(own deadline left, callee timeout) - margin. */
export class Deadline {
  constructor(options?: { timeoutMs?: Duration; marginMs?: Duration });
  /** `deadlineMs` is an instant on nowMs()'s clock. Throws DeadlineExceededError. */
  timeoutMs(deadlineMs?: number): number;
  budgetAt(now: bigint, deadline?: bigint): { reason: Reason; timeout: bigint };
}

export interface FleetLimiterOptions {
  /** redis:// (or redis+unix://) URL. */
  redisUrl: string;
  /** The Redis key holding the limit's state; one key per limit. */
  key: string;
  /** Tokens per `per`, fleet-wide. */
  rate: number | bigint;
  per?: Duration;
  /** Processes expected to share the limit; in fallback each admits rate / nodes. */
  nodes?: number | bigint;
  burst?: number | bigint;
  minBatch?: number | bigint;
  maxBatch?: number | bigint;
  batchPeriodMs?: Duration;
  leadMs?: Duration;
  leaseTtlMs?: Duration;
  redisTimeoutMs?: Duration;
  retryIntervalMs?: Duration;
  fallbackBurst?: number | bigint;
  keyIdleTtlMs?: Duration;
}

export interface FleetStats {
  admitted: number;
  rejected: number;
  redisCalls: number;
  leases: number;
  leasedTokens: number;
  fallbacks: number;
  resumes: number;
  fallbackAdmitted: number;
  inFallback: boolean;
  leaseLeft: number;
  /** The overshoot bound: per period the fleet admits at most rate * (1 + bound). */
  bound: number;
  maxBatch: number;
}

/** A limit across every process on every machine using one Redis key, spent from leased batches. */
export class FleetLimiter {
  constructor(options: FleetLimiterOptions);
  /** Never waits on Redis. */
  tryAcquire(cost?: number): RateDecision;
  acquire(cost?: number, options?: WaitOptions): Promise<RateDecision>;
  stats(): FleetStats;
  /** Stops the refill thread now. */
  close(): void;
}

/** Quota leased in batches from a store the host talks to, spent locally; core plans the next ask. */
export class Lease {
  constructor(options?: { minBatch?: number | bigint; maxBatch?: number | bigint; batchPeriodMs?: Duration; leadMs?: Duration; ttlMs?: Duration });
  static attach(shared: Shared): Lease;
  share(): Shared;
  spend(cost?: number): { ok: boolean; outcome: 'spent' | 'short' | 'expired'; left: number };
  grant(tokens: number, ttlMs: Duration): number;
  plan(tokens: number, overMs: Duration): { ask: number; inMs: number; lowWater: number };
  stats(): { left: number };
  revoke(): number;
  planAt(now: bigint, demand: { rateTokens: number | bigint; rateOverNs: number | bigint; left: number | bigint; expiresAt: number | bigint }): { ask: bigint; nextAt: bigint; lowWater: bigint };
  grantAt(now: bigint, tokens: number | bigint, expiresAt: number | bigint): bigint;
  spendAt(now: bigint, cost: number | bigint): { outcome: 'spent' | 'short' | 'expired'; left: bigint };
}

export function parseGrpcTimeout(value: string): number;
export function formatGrpcTimeout(timeoutMs: number): string;
export function parseMillis(value: string): number;
export function formatMillis(timeoutMs: number): string;
/** A Retry-After value (seconds or an HTTP date) as ms from `nowUnixMs` (default Date.now()). */
export function parseRetryAfter(value: string, nowUnixMs?: number): number;
export const exactHeaders: {
  parseGrpcTimeout(value: string): bigint;
  parseMillis(value: string): bigint;
  parseRetryAfter(value: string, nowUnixS: number | bigint): bigint;
  formatGrpcTimeout(ns: number | bigint, bufLen?: number): string;
  formatMillis(ns: number | bigint, bufLen?: number): string;
};

export class OverloadedError extends Error {
  reason: Reason;
  retryAfterMs: number;
}
export class ThrottledError extends Error {
  reason: 'throttled';
  retryAfterMs: number;
}
export class RateLimitedError extends Error {
  reason: Reason;
  retryAfterMs: number;
}
export class RetryError extends Error {
  reason: 'attempts_exhausted' | 'budget_exhausted' | 'deadline_too_close' | 'not_retryable';
  attempts: number;
  cause: unknown;
}
export class DeadlineExceededError extends Error {
  reason: 'deadline_exceeded';
}
export class NoNodeError extends Error {
  reason: 'no_node';
}

export interface PolicyRequest {
  method?: string;
  path?: string;
  /** Node's `req.headers`, a Map, a fetch `Headers` or [name, value] pairs. */
  headers?: Record<string, string | string[] | undefined> | Map<string, string> | Iterable<[string, string]>;
  clientAddress?: string;
  /** The value rules with `"key": "caller"` count under (a user id, an API key). */
  key?: string;
  /** Nanoseconds on weir's clock (`nowNs()`); for replaying a trace. */
  now?: bigint | number;
}
export interface PolicyOutcome {
  /** The status the upstream answered; null or undefined: no answer came. */
  status?: number | null;
  grpcStatus?: number;
  /** Default: the time since the check. */
  latencyMs?: number;
  /** The upstream's CPU header, permille. */
  cpu?: number;
  now?: bigint | number;
  /** The answer carried `x-weir-no-retry: 1`: an overload decided further down, which a breaker does not count. */
  noRetry?: boolean;
}
export class Verdict {
  readonly admitted: boolean;
  readonly status: number;
  /** 'admitted', or why not: 'rate_limited', 'table_full', 'queue_full', 'shed', 'throttled', 'deadline_exceeded'... */
  readonly reason: string;
  readonly rule: string | null;
  /** The answer's headers, or an admitted response's. */
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly retryAfterMs: number | null;
  readonly requestHeaders: Record<string, string>;
  readonly upstream: string | null;
  readonly deadlineMs: number | null;
  report(outcome?: PolicyOutcome): void;
}
export class PolicyError extends Error {
  /** `rule #N "name"`, or '' for a top-level field. */
  rule: string;
  /** The dotted field, e.g. `limit[1].rate`. */
  field: string;
}
export interface PolicyOptions {
  now?: bigint | number;
  seed?: bigint | number;
}
export class Policy {
  constructor(json: string | Buffer | object, options?: PolicyOptions);
  static fromFile(path: string, options?: PolicyOptions): Policy;
  check(request?: PolicyRequest): Verdict;
  report(verdict: Verdict, outcome?: PolicyOutcome): void;
  replace(json: string | Buffer | object, options?: { now?: bigint | number }): void;
  counters(): Record<string, number>;
  readonly rules: string[];
}

export type BreakerState = 'closed' | 'open' | 'half_open' | 'forced_open' | 'disabled';

export interface CircuitBreakerOptions {
  /** 'count' (the last windowCalls calls, the default) or 'time' (the calls of the last windowMs). */
  window?: 'count' | 'time';
  windowCalls?: number | bigint;
  windowMs?: Duration;
  buckets?: number | bigint;
  minimumCalls?: number | bigint;
  /** Percent of failed calls that opens the breaker, [0, 100]; 0 off. */
  failureRateThreshold?: number;
  /** Percent of calls slower than slowCallMs that opens the breaker, [0, 100]; 0 off. */
  slowCallRateThreshold?: number;
  slowCallMs?: Duration;
  consecutiveFailures?: number | bigint;
  /** The wait in open before half-open probes. */
  openMs?: Duration;
  halfOpenProbes?: number | bigint;
  halfOpenMaxWaitMs?: Duration;
  /** Which throws count as failures (default: every throw). */
  isFailure?: (err: unknown) => boolean;
}

export interface BreakerPermit {
  readonly bits: number;
  readonly startedAt: number | bigint;
  readonly probe: boolean;
}

export interface StateChange {
  from: BreakerState;
  to: BreakerState;
  cause: string;
  calls: bigint;
  failures: bigint;
  slow: bigint;
  consecutiveFailures: bigint;
  atNs: bigint;
}

export interface CircuitBreakerStats {
  state: BreakerState;
  calls: number;
  failures: number;
  slow: number;
  consecutiveFailures: number;
  probesIssued: number;
  probesReturned: number;
  openLeftMs: number;
  decisions: { admitted: number; circuit_open: number; circuit_half_open: number };
  eventsDropped: number;
}

export class CircuitBreaker extends EventEmitter {
  constructor(options?: CircuitBreakerOptions);
  tryAcquire(): { ok: boolean; reason: Reason; retryAfterMs: number; permit?: BreakerPermit };
  record(permit: BreakerPermit, failed: boolean): void;
  release(permit: BreakerPermit): boolean;
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  forceOpen(): void;
  disable(): void;
  reset(): void;
  readonly state: BreakerState;
  stats(): CircuitBreakerStats;
  drainEvents(): StateChange[];
  on(event: 'stateChange', listener: (change: StateChange) => void): this;
  once(event: 'stateChange', listener: (change: StateChange) => void): this;
  off(event: 'stateChange', listener: (change: StateChange) => void): this;
}

export type LimitOutcome = 'success' | 'dropped' | 'ignored';

export interface AdaptiveLimiterOptions {
  algorithm?: 'gradient2' | 'vegas' | 'aimd';
  initialLimit?: number | bigint;
  minLimit?: number | bigint;
  maxLimit?: number | bigint;
  smoothing?: number;
  rttTolerance?: number;
  longWindow?: number | bigint;
  queueSize?: number | bigint;
  alpha?: number | bigint;
  beta?: number | bigint;
  probeMultiplier?: number | bigint;
  backoffRatio?: number;
  timeoutMs?: Duration;
}

export interface LimitPermit {
  readonly inFlight: number;
  readonly startedAt: number | bigint;
}

export class AdaptiveLimiter {
  constructor(options?: AdaptiveLimiterOptions);
  tryAcquire(): { ok: boolean; reason: Reason; retryAfterMs: number; permit?: LimitPermit };
  release(permit: LimitPermit, outcome?: LimitOutcome): number;
  run<T>(fn: () => T | Promise<T>, options?: { outcome?: (err: unknown) => LimitOutcome }): Promise<T>;
  readonly limit: number;
  stats(): {
    limit: number;
    inFlight: number;
    estimate: number;
    baselineRttMs: number;
    decisions: { admitted: number; concurrency_limited: number };
  };
}

export class CircuitOpenError extends Error {
  reason: 'circuit_open' | 'circuit_half_open';
  retryAfterMs: number;
}

declare const weir: {
  nowNs: typeof nowNs;
  nowMs: typeof nowMs;
  Limiter: typeof Limiter;
  KeyedLimiter: typeof KeyedLimiter;
  ConcurrencyLimiter: typeof ConcurrencyLimiter;
  Shedder: typeof Shedder;
  Throttle: typeof Throttle;
  Picker: typeof Picker;
  Backoff: typeof Backoff;
  RetryBudget: typeof RetryBudget;
  Retry: typeof Retry;
  retry: typeof retry;
  SingleFlight: typeof SingleFlight;
  hashKey: typeof hashKey;
  Deadline: typeof Deadline;
  FleetLimiter: typeof FleetLimiter;
  Policy: typeof Policy;
  Verdict: typeof Verdict;
  PolicyError: typeof PolicyError;
  Lease: typeof Lease;
  CircuitBreaker: typeof CircuitBreaker;
  AdaptiveLimiter: typeof AdaptiveLimiter;
  LatencyQuantiles: typeof LatencyQuantiles;
  HotKeys: typeof HotKeys;
  Hedger: typeof Hedger;
  HotCache: typeof HotCache;
  hedged: typeof hedged;
  parseGrpcTimeout: typeof parseGrpcTimeout;
  formatGrpcTimeout: typeof formatGrpcTimeout;
  parseMillis: typeof parseMillis;
  formatMillis: typeof formatMillis;
  parseRetryAfter: typeof parseRetryAfter;
  exactHeaders: typeof exactHeaders;
  OverloadedError: typeof OverloadedError;
  ThrottledError: typeof ThrottledError;
  RateLimitedError: typeof RateLimitedError;
  RetryError: typeof RetryError;
  DeadlineExceededError: typeof DeadlineExceededError;
  NoNodeError: typeof NoNodeError;
  CircuitOpenError: typeof CircuitOpenError;
};
export default weir;
