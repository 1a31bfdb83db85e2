package weir

/*
#include <stdlib.h>
#include "hot.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// FleetLimiter is one limit shared by every process, on every machine,
// that uses the same Redis key. Each process leases batches of quota from
// Redis sized to its own recent rate and spends them locally (one CAS per
// decision), so Redis sees about one call per batch. When Redis is slow or
// down, each process admits only its share (limit / nodes) until Redis
// answers again: it never fails open. The Redis side is weir-fleet's, the
// same as in every weir runtime.
type FleetLimiter struct {
	h *C.weir_fleet_limiter
}

// FleetOption adjusts a fleet limiter's config.
type FleetOption func(*C.weir_fleet_config)

func nonNegative(n int) C.uint64_t { return C.uint64_t(uint64(max(n, 0))) }
func durationNs(d time.Duration) C.uint64_t {
	return C.uint64_t(uint64(max(d, 0)))
}

// FleetNodes is how many processes are expected to share the limit: it
// sizes batches, and in fallback each admits limit / nodes per period.
// Set it to the most you run.
func FleetNodes(n int) FleetOption {
	return func(c *C.weir_fleet_config) { c.nodes = nonNegative(n) }
}

// FleetBurst is what the global bucket may grant at once after a quiet
// spell (default: the largest batch).
func FleetBurst(n int) FleetOption {
	return func(c *C.weir_fleet_config) { c.burst = nonNegative(n) }
}

// FleetBatches sets the smallest batch worth a round trip and the most
// tokens a process holds at once (0 keeps a default); the latter bounds
// the overshoot.
func FleetBatches(minBatch, maxBatch int) FleetOption {
	return func(c *C.weir_fleet_config) {
		c.min_batch = nonNegative(minBatch)
		c.max_batch = nonNegative(maxBatch)
	}
}

// FleetRedisTimeout is the longest a Redis call may take before the
// process falls back to its share (default 50 ms).
func FleetRedisTimeout(d time.Duration) FleetOption {
	return func(c *C.weir_fleet_config) { c.redis_timeout_ns = durationNs(d) }
}

// FleetRetryInterval is how often a process on its share tries Redis
// again (default 50 ms).
func FleetRetryInterval(d time.Duration) FleetOption {
	return func(c *C.weir_fleet_config) { c.retry_interval_ns = durationNs(d) }
}

// FleetFallbackBurst is what the fallback share may admit at once
// (default 1).
func FleetFallbackBurst(n int) FleetOption {
	return func(c *C.weir_fleet_config) { c.fallback_burst = nonNegative(n) }
}

// FleetLeaseTiming sets how long a batch should last at the recent rate
// (default 100 ms), how early to ask for the next (10 ms) and how long a
// lease stays spendable (1 s); 0 keeps a default.
func FleetLeaseTiming(batchPeriod, lead, ttl time.Duration) FleetOption {
	return func(c *C.weir_fleet_config) {
		if batchPeriod != 0 {
			c.batch_period_ns = durationNs(batchPeriod)
		}
		if lead != 0 {
			c.lead_ns = durationNs(lead)
		}
		if ttl != 0 {
			c.lease_ttl_ns = durationNs(ttl)
		}
	}
}

// FleetKeyIdleTTL is how long the global state outlives its last use in
// Redis (default 60 s).
func FleetKeyIdleTTL(d time.Duration) FleetOption {
	return func(c *C.weir_fleet_config) { c.key_idle_ttl_ns = durationNs(d) }
}

// NewFleetLimiter makes a limiter admitting `limit` requests per `period`
// across every process using Redis key `key` at `redisURL`
// (redis://host:port/db). Redis is not contacted here and being down is
// not an error. A bad config is a *ConfigError naming the field.
func NewFleetLimiter(redisURL, key string, limit int, period time.Duration, opts ...FleetOption) (*FleetLimiter, error) {
	// C strings end at the first NUL: refuse rather than truncate.
	for _, arg := range [...]struct{ field, value string }{{"redis_url", redisURL}, {"key", key}} {
		if field := arg.field; strings.IndexByte(arg.value, 0) >= 0 {
			return nil, &ConfigError{Field: field, Rule: "free of NUL bytes", Message: field + " must be free of NUL bytes"}
		}
	}
	var cfg C.weir_fleet_config
	C.weir_fleet_config_default(&cfg)
	cfg.limit = nonNegative(limit)
	cfg.period_ns = durationNs(period)
	for _, o := range opts {
		o(&cfg)
	}
	url, ckey := C.CString(redisURL), C.CString(key)
	defer C.free(unsafe.Pointer(url))
	defer C.free(unsafe.Pointer(ckey))
	cfg.redis_url, cfg.key = url, ckey
	f := &FleetLimiter{}
	if err := create(func() C.weir_status { return C.weir_fleet_limiter_new(&cfg, &f.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(f, (*FleetLimiter).Close)
	return f, nil
}

// Allow takes one token now if this process's lease (or, while Redis is
// unreachable, its share) has one. Never waits on Redis.
func (f *FleetLimiter) Allow() bool { return f.AllowN(1) }

// AllowN takes n tokens now if there are n. The time is the limiter's own
// clock, on which its leases expire, so unlike Limiter.AllowN it takes no
// time argument.
func (f *FleetLimiter) AllowN(n int) bool {
	var d C.weir_decision
	C.weir_go_fleet_limiter_acquire(C.uintptr_t(handle(unsafe.Pointer(f.h))), nonNegative(n), &d)
	runtime.KeepAlive(f)
	return d.admitted != 0
}

// Acquire asks for n tokens now and says why not, and when to retry.
func (f *FleetLimiter) Acquire(n int) Decision {
	var d C.weir_decision
	st := C.weir_go_fleet_limiter_acquire(C.uintptr_t(handle(unsafe.Pointer(f.h))), nonNegative(n), &d)
	runtime.KeepAlive(f)
	if st != C.WEIR_STATUS_OK {
		return Decision{Reason: RateLimited, RetryAfter: Never}
	}
	return decision(&d)
}

// FleetStats are a fleet limiter's counters, totals since it was made
// except InFallback and LeaseLeft.
type FleetStats struct {
	Admitted, Rejected   uint64
	RedisCalls           uint64 // commands sent, failed ones included
	Leases, LeasedTokens uint64 // lease answers from Redis, tokens granted
	Fallbacks, Resumes   uint64 // switches to the share and back to leasing
	FallbackAdmitted     uint64 // admitted on the share
	InFallback           bool   // on the share now (Redis unreachable)
	LeaseLeft            uint64 // tokens left in the current lease
}

// Stats is a snapshot for metrics.
func (f *FleetLimiter) Stats() FleetStats {
	var s C.weir_fleet_stats
	C.weir_fleet_limiter_stats(f.h, &s)
	runtime.KeepAlive(f)
	return FleetStats{
		Admitted: uint64(s.admitted), Rejected: uint64(s.rejected), RedisCalls: uint64(s.redis_calls),
		Leases: uint64(s.leases), LeasedTokens: uint64(s.leased_tokens), Fallbacks: uint64(s.fallbacks),
		Resumes: uint64(s.resumes), FallbackAdmitted: uint64(s.fallback_admitted),
		InFallback: s.in_fallback != 0, LeaseLeft: uint64(s.lease_left),
	}
}

// Bound is the documented overshoot of this config: in any one period the
// fleet admits at most limit * (1 + Bound()) while no more than the
// configured nodes share the key. MaxBatch is the largest batch this
// process leases, which is also the largest n AllowN can admit.
func (f *FleetLimiter) Bound() (bound float64, maxBatch uint64) {
	var b C.double
	var m C.uint64_t
	C.weir_fleet_limiter_bound(f.h, &b, &m)
	runtime.KeepAlive(f)
	return float64(b), uint64(m)
}

// Close stops the native refill thread (after the Redis call in flight,
// if any) and frees the limiter. Idempotent.
func (f *FleetLimiter) Close() error {
	C.weir_fleet_limiter_free(&f.h)
	runtime.SetFinalizer(f, nil)
	return nil
}
