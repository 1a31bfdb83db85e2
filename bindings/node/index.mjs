// ESM entry point: the same objects as the CommonJS one.
import weir from './index.js';

export const {
  nowNs,
  nowMs,
  Limiter,
  KeyedLimiter,
  ConcurrencyLimiter,
  Shedder,
  Throttle,
  Picker,
  Backoff,
  RetryBudget,
  Retry,
  retry,
  SingleFlight,
  Deadline,
  FleetLimiter,
  Lease,
  parseGrpcTimeout,
  formatGrpcTimeout,
  parseMillis,
  formatMillis,
  parseRetryAfter,
  exactHeaders,
  NoNodeError,
  OverloadedError,
  ThrottledError,
  RateLimitedError,
  RetryError,
  DeadlineExceededError,
} = weir;
export default weir;
