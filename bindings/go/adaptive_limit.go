package weir

/*
#include "weir.h"
*/
import "C"

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// AdaptiveAlgorithm is how an AdaptiveLimiter learns its limit.
type AdaptiveAlgorithm uint32

// The algorithms.
const (
	Gradient2 AdaptiveAlgorithm = C.WEIR_ADAPTIVE_ALGORITHM_GRADIENT2 // long-term RTT against each sample (default)
	Vegas     AdaptiveAlgorithm = C.WEIR_ADAPTIVE_ALGORITHM_VEGAS     // the queue implied by the no-load RTT
	AIMD      AdaptiveAlgorithm = C.WEIR_ADAPTIVE_ALGORITHM_AIMD      // +1 per sample, x BackoffRatio on a drop
)

// Outcome is how an admitted request ended.
type Outcome uint32

// The outcomes.
const (
	OutcomeSuccess Outcome = C.WEIR_ADAPTIVE_OUTCOME_SUCCESS // completed: its RTT is a sample
	OutcomeDropped Outcome = C.WEIR_ADAPTIVE_OUTCOME_DROPPED // timed out or refused for overload: Vegas and AIMD shrink
	OutcomeIgnored Outcome = C.WEIR_ADAPTIVE_OUTCOME_IGNORED // says nothing about capacity: only the slot is freed
)

// AdaptiveConfig is every setting of every algorithm; only the chosen
// algorithm's fields are read. DefaultAdaptiveConfig fills each with that
// algorithm's defaults (Netflix's).
type AdaptiveConfig struct {
	Algorithm          AdaptiveAlgorithm
	InitialLimit       int
	MinLimit, MaxLimit int
	Smoothing          float64       // Gradient2, Vegas: share of each new estimate, (0, 1]
	RTTTolerance       float64       // Gradient2: how much slower than the long-term RTT a sample may be, >= 1
	LongWindow         int           // Gradient2: samples the long-term RTT averages over
	QueueSize          int           // Gradient2: growth allowed per sample while latency holds
	Alpha, Beta        int           // Vegas: grow below alpha x log10(limit) queued, shrink above beta x
	ProbeMultiplier    int           // Vegas: no-load RTT re-taken every ProbeMultiplier x limit samples
	BackoffRatio       float64       // AIMD: the limit's factor on a drop, [0.5, 1)
	Timeout            time.Duration // AIMD: a sample slower than this counts as a drop
}

// DefaultAdaptiveConfig is algorithm's defaults: Gradient2 and AIMD limit 20
// in [20, 200], Vegas 20 in [1, 1000].
func DefaultAdaptiveConfig(algorithm AdaptiveAlgorithm) AdaptiveConfig {
	var c C.weir_adaptive_limit_config
	if C.weir_adaptive_limit_config_default(C.uint32_t(algorithm), &c) != C.WEIR_STATUS_OK {
		C.weir_adaptive_limit_config_default(C.WEIR_ADAPTIVE_ALGORITHM_GRADIENT2, &c)
		c.algorithm = C.uint32_t(algorithm)
	}
	return AdaptiveConfig{
		Algorithm: AdaptiveAlgorithm(c.algorithm), InitialLimit: int(c.initial_limit),
		MinLimit: int(c.min_limit), MaxLimit: int(c.max_limit),
		Smoothing: float64(c.smoothing), RTTTolerance: float64(c.rtt_tolerance),
		LongWindow: int(c.long_window), QueueSize: int(c.queue_size),
		Alpha: int(c.alpha), Beta: int(c.beta), ProbeMultiplier: int(c.probe_multiplier),
		BackoffRatio: float64(c.backoff_ratio), Timeout: time.Duration(c.timeout_ns),
	}
}

func (c AdaptiveConfig) native() (C.weir_adaptive_limit_config, error) {
	out := C.weir_adaptive_limit_config{
		algorithm: C.uint32_t(c.Algorithm), smoothing: C.double(c.Smoothing),
		rtt_tolerance: C.double(c.RTTTolerance), backoff_ratio: C.double(c.BackoffRatio),
	}
	counts := []struct {
		field string
		n     int
		dst   *C.uint64_t
	}{
		{"initial_limit", c.InitialLimit, &out.initial_limit}, {"min_limit", c.MinLimit, &out.min_limit},
		{"max_limit", c.MaxLimit, &out.max_limit}, {"long_window", c.LongWindow, &out.long_window},
		{"queue_size", c.QueueSize, &out.queue_size}, {"alpha", c.Alpha, &out.alpha}, {"beta", c.Beta, &out.beta},
		{"probe_multiplier", c.ProbeMultiplier, &out.probe_multiplier},
	}
	for _, f := range counts {
		v, err := countOf(f.field, f.n)
		if err != nil {
			return out, err
		}
		*f.dst = v
	}
	t, err := durationOf("timeout_ns", c.Timeout)
	out.timeout_ns = t
	return out, err
}

// AdaptiveOption changes one setting of an adaptive limiter.
type AdaptiveOption func(*adaptiveSetup)

type adaptiveSetup struct {
	algorithm AdaptiveAlgorithm
	config    *AdaptiveConfig
	changes   []func(*AdaptiveConfig)
}

func change(f func(*AdaptiveConfig)) AdaptiveOption {
	return func(s *adaptiveSetup) { s.changes = append(s.changes, f) }
}

// Algorithm chooses the algorithm; the other options apply over its defaults.
func Algorithm(a AdaptiveAlgorithm) AdaptiveOption { return func(s *adaptiveSetup) { s.algorithm = a } }

// WithAdaptiveConfig replaces the whole config.
func WithAdaptiveConfig(c AdaptiveConfig) AdaptiveOption {
	return func(s *adaptiveSetup) { s.config, s.algorithm = &c, c.Algorithm }
}

// InitialLimit sets the limit before any sample.
func InitialLimit(n int) AdaptiveOption {
	return change(func(c *AdaptiveConfig) { c.InitialLimit = n })
}

// LimitBounds keeps the limit within [min, max].
func LimitBounds(min, max int) AdaptiveOption {
	return change(func(c *AdaptiveConfig) { c.MinLimit, c.MaxLimit = min, max })
}

// Smoothing sets Gradient2's or Vegas's share of each new estimate.
func Smoothing(s float64) AdaptiveOption { return change(func(c *AdaptiveConfig) { c.Smoothing = s }) }

// RTTTolerance sets how much slower than its long-term RTT a sample may be
// before Gradient2 shrinks the limit (1.5: 50% slower).
func RTTTolerance(t float64) AdaptiveOption {
	return change(func(c *AdaptiveConfig) { c.RTTTolerance = t })
}

// BackoffRatio sets AIMD's factor on a drop, and Timeout the RTT that counts as one.
func BackoffRatio(r float64, timeout time.Duration) AdaptiveOption {
	return change(func(c *AdaptiveConfig) { c.BackoffRatio, c.Timeout = r, timeout })
}

// AdaptiveLimiter is a concurrency limit learned from latency alone.
type AdaptiveLimiter struct {
	h *C.weir_adaptive_limit
}

// NewAdaptiveLimiter makes a limiter: Gradient2 with Netflix's settings
// unless opts say otherwise.
func NewAdaptiveLimiter(opts ...AdaptiveOption) (*AdaptiveLimiter, error) {
	s := adaptiveSetup{algorithm: Gradient2}
	for _, o := range opts {
		o(&s)
	}
	c := DefaultAdaptiveConfig(s.algorithm)
	if s.config != nil {
		c = *s.config
	}
	for _, f := range s.changes {
		f(&c)
	}
	cfg, err := c.native()
	if err != nil {
		return nil, err
	}
	l := &AdaptiveLimiter{}
	if err := create(func() C.weir_status { return C.weir_adaptive_limit_new(&cfg, &l.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(l, (*AdaptiveLimiter).Close)
	return l, nil
}

// Acquire takes a slot if fewer than the limit are in flight. Admitted,
// call release exactly once with how the request ended: its RTT is
// measured from Acquire on weir's clock. Refused, d.Reason is
// ConcurrencyLimited and release does nothing.
func (l *AdaptiveLimiter) Acquire() (release func(Outcome), d Decision) {
	var raw C.weir_decision
	var p C.weir_adaptive_permit
	s := C.weir_adaptive_limit_acquire_now(l.h, &raw, &p)
	runtime.KeepAlive(l)
	if s != C.WEIR_STATUS_OK {
		return func(Outcome) {}, Decision{Reason: ConcurrencyLimited}
	}
	d = decision(&raw)
	if !d.Admitted() {
		return func(Outcome) {}, d
	}
	var once sync.Once
	return func(o Outcome) {
		once.Do(func() {
			C.weir_adaptive_limit_release_now(l.h, &p, C.uint32_t(o), nil)
			runtime.KeepAlive(l)
		})
	}, d
}

// Do runs fn within the limit. A refusal returns a *RejectedError without
// calling fn. fn's error decides the outcome: nil a success,
// context.DeadlineExceeded a drop, context.Canceled or weir's own refusal
// ignored, any other error a success (its RTT still measures the service).
func (l *AdaptiveLimiter) Do(ctx context.Context, fn func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	release, d := l.Acquire()
	if !d.Admitted() {
		return &RejectedError{Decision: d}
	}
	err := fn(ctx)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		release(OutcomeDropped)
	case errors.Is(err, context.Canceled) || isLocalRefusal(err):
		release(OutcomeIgnored)
	default:
		release(OutcomeSuccess)
	}
	return err
}

// AdaptiveStats is what the limit has learned and the decisions so far.
type AdaptiveStats struct {
	Limit, InFlight   uint64
	Estimate          float64
	BaselineRTT       time.Duration // Gradient2's long-term RTT or Vegas's no-load RTT
	Admitted, Refused uint64
}

// Stats is the snapshot now.
func (l *AdaptiveLimiter) Stats() AdaptiveStats {
	var s C.weir_adaptive_limit_stats
	C.weir_adaptive_limit_snapshot(l.h, &s)
	runtime.KeepAlive(l)
	return AdaptiveStats{
		Limit: uint64(s.limit), InFlight: uint64(s.in_flight), Estimate: float64(s.estimate),
		BaselineRTT: time.Duration(s.baseline_rtt_ns),
		Admitted:    uint64(s.admitted), Refused: uint64(s.refused),
	}
}

// adaptivePermit is an admitted request's permit, for the explicit forms.
type adaptivePermit struct{ p C.weir_adaptive_permit }

func (l *AdaptiveLimiter) acquirePermit() (Decision, *adaptivePermit) {
	var raw C.weir_decision
	var p adaptivePermit
	C.weir_adaptive_limit_acquire(l.h, 0, &raw, &p.p)
	runtime.KeepAlive(l)
	if raw.admitted == 0 {
		return decision(&raw), nil
	}
	return decision(&raw), &p
}

func (l *AdaptiveLimiter) releaseRTT(p *adaptivePermit, rtt uint64, o Outcome) {
	C.weir_adaptive_limit_release(l.h, &p.p, C.uint64_t(rtt), C.uint32_t(o), nil)
	runtime.KeepAlive(l)
}

// Close frees the limiter. Idempotent.
func (l *AdaptiveLimiter) Close() error {
	C.weir_adaptive_limit_free(&l.h)
	runtime.SetFinalizer(l, nil)
	return nil
}
