package weir

/*
#include "hot.h"
*/
import "C"

import (
	"math/rand/v2"
	"runtime"
	"time"
	"unsafe"
)

// Throttle is Google SRE client-side adaptive throttling: when the backend
// refuses work, refuse locally with p = (requests - k x accepts) /
// (requests + 1) over a rolling window.
type Throttle struct {
	h      *C.weir_throttle
	events *eventHub
}

// ThrottleOption adjusts a throttle's config.
type ThrottleOption func(*C.weir_throttle_config)

// K sets the multiplier: requests may run to k times the accepts (>= 1).
func K(k float64) ThrottleOption { return func(c *C.weir_throttle_config) { c.k = C.double(k) } }

// ThrottleWindow sets the rolling window and its bucket count.
func ThrottleWindow(window time.Duration, buckets int) ThrottleOption {
	return func(c *C.weir_throttle_config) {
		c.window_ns = C.uint64_t(uint64(max(window, 0)))
		c.buckets = C.uint64_t(uint64(max(buckets, 0)))
	}
}

// MinRequests sets how many requests the window needs before any refusal.
func MinRequests(n int) ThrottleOption {
	return func(c *C.weir_throttle_config) { c.min_requests = C.uint64_t(uint64(max(n, 0))) }
}

// MaxRejectProbability caps the refusal probability, [0, 1].
func MaxRejectProbability(p float64) ThrottleOption {
	return func(c *C.weir_throttle_config) { c.max_reject_probability = C.double(p) }
}

// NewThrottle makes a throttle with the defaults (k 2, 10 s window of 40
// buckets, 20 minimum requests, max probability 0.9) changed by opts.
func NewThrottle(opts ...ThrottleOption) (*Throttle, error) {
	var cfg C.weir_throttle_config
	C.weir_throttle_config_default(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	t := &Throttle{}
	if err := create(func() C.weir_status { return C.weir_throttle_new(&cfg, &t.h) }); err != nil {
		return nil, err
	}
	t.events = throttleEvents(t.h)
	runtime.SetFinalizer(t, (*Throttle).Close)
	return t, nil
}

// Allow decides whether to send a request now; nil means send it and
// report the answer with Record. A refusal is a *RejectedError.
func (t *Throttle) Allow() error {
	var d C.weir_decision
	var s C.weir_status
	if useDirect {
		s = directThrottleAcquireNow(handle(unsafe.Pointer(t.h)), &d)
	} else {
		s = cgoThrottleAcquireNow(handle(unsafe.Pointer(t.h)), &d)
	}
	runtime.KeepAlive(t)
	t.events.after()
	if s != C.WEIR_STATUS_OK {
		return ErrClosed
	}
	if d.admitted == 0 {
		return &RejectedError{Decision: decision(&d)}
	}
	return nil
}

// Record reports whether the backend accepted an admitted request.
func (t *Throttle) Record(success bool) {
	if useDirect {
		directThrottleRecordNow(handle(unsafe.Pointer(t.h)), success)
	} else {
		cgoThrottleRecordNow(handle(unsafe.Pointer(t.h)), success)
	}
	runtime.KeepAlive(t)
}

// Do runs fn when allowed and records whether `accepted(err)` says the
// backend took it (nil: err == nil). A weir refusal from fn (a *RejectedError,
// ErrDeadlineExceeded or ErrNoNode: a shedder, limit, throttle, deadline or
// picker inside fn answered before the backend was called) is forgotten,
// counted neither as a request nor as a failure.
func (t *Throttle) Do(fn func() error, accepted func(error) bool) error {
	acquiredAt := Now()
	var d C.weir_decision
	s := throttleAcquire(handle(unsafe.Pointer(t.h)), acquiredAt, rand.Uint64(), &d)
	runtime.KeepAlive(t)
	t.events.after()
	if s != C.WEIR_STATUS_OK {
		return ErrClosed
	}
	if d.admitted == 0 {
		return &RejectedError{Decision: decision(&d)}
	}
	err := fn()
	switch {
	case isLocalRefusal(err):
		t.forget(acquiredAt)
	case accepted == nil:
		t.Record(err == nil)
	default:
		t.Record(accepted(err))
	}
	return err
}

func (t *Throttle) acquire(now, draw uint64) Decision {
	var d C.weir_decision
	throttleAcquire(handle(unsafe.Pointer(t.h)), now, draw, &d)
	runtime.KeepAlive(t)
	t.events.after()
	return decision(&d)
}

func (t *Throttle) forget(acquiredAt uint64) {
	C.weir_throttle_forget(t.h, C.uint64_t(acquiredAt))
	runtime.KeepAlive(t)
}

func (t *Throttle) record(now uint64, success bool) {
	throttleRecord(handle(unsafe.Pointer(t.h)), now, success)
	runtime.KeepAlive(t)
}

// ThrottleStats are the window's counts and the probability they give.
type ThrottleStats struct {
	Requests, Accepts uint64
	RejectProbability float64
}

// Stats is a snapshot now.
func (t *Throttle) Stats() ThrottleStats { return t.stats(Now()) }

func (t *Throttle) stats(now uint64) ThrottleStats {
	var st C.weir_throttle_stats
	C.weir_throttle_snapshot(t.h, C.uint64_t(now), &st)
	runtime.KeepAlive(t)
	return ThrottleStats{Requests: uint64(st.requests), Accepts: uint64(st.accepts), RejectProbability: float64(st.reject_probability)}
}

// Decisions is how many requests the throttle has decided so far, from
// every goroutine, by reason: Admitted always, Throttled once it has
// happened.
func (t *Throttle) Decisions() map[Reason]uint64 {
	var c C.weir_decision_counts
	C.weir_throttle_decisions(t.h, &c)
	runtime.KeepAlive(t)
	return decisionCounts(&c)
}

// Close frees the throttle. Idempotent.
func (t *Throttle) Close() error {
	t.events.close()
	C.weir_throttle_free(&t.h)
	runtime.SetFinalizer(t, nil)
	return nil
}
