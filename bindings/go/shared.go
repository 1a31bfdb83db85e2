package weir

/*
#include <stdlib.h>
#include "weir.h"
*/
import "C"

import (
	"context"
	"runtime"
	"time"
	"unsafe"
)

// SharedLimiter is a GCRA token bucket whose state lives in a file that
// every process opening the same path maps: the workers of a pre-fork
// server, a pool of daemons, services in other languages using weir's
// shared limiters. No server; each decision is a lock-free CAS on one word
// of the file. Decisions are taken on CLOCK_MONOTONIC, the one clock all
// processes agree on (the native TSC clock of Now drifts a few ppm apart
// between processes).
type SharedLimiter struct {
	h *C.weir_shared_limiter
}

// OpenSharedLimiter opens the limiter at path (best on a tmpfs such as
// /dev/shm), creating it with a full bucket if the file is missing or
// empty. A file holding another configuration is a *ConfigError naming
// the differing field (remove the file to change the limit; never truncate
// it in place while processes map it: they would get SIGBUS); a file that
// is not a weir shared limiter, or a failing system call, is an error
// saying so.
func OpenSharedLimiter(path string, rate float64, burst int, opts ...LimiterOption) (*SharedLimiter, error) {
	cfg, err := limiterConfig(rate, burst, opts)
	if err != nil {
		return nil, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	l := &SharedLimiter{}
	if err := create(func() C.weir_status { return C.weir_shared_limiter_open(cpath, &cfg, &l.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(l, (*SharedLimiter).Close)
	return l, nil
}

// SetRate changes the rate for every process sharing the file to `rate`
// per second (or per Per(period)), keeping the burst and what was spent (as
// Limiter.SetRate). The config in force lives in the file; processes that
// open it later still pass the configuration it was made with.
func (l *SharedLimiter) SetRate(rate float64, opts ...LimiterOption) error {
	per := perOf(opts)
	err := create(func() C.weir_status { return C.weir_shared_limiter_set_rate(l.h, C.double(rate), nanosOf(per)) })
	runtime.KeepAlive(l)
	return given(err, rate, per, 0)
}

// SetLimit is SetRate per second, named as in golang.org/x/time/rate.
func (l *SharedLimiter) SetLimit(rate float64) error { return l.SetRate(rate) }

// SetBurst changes the burst for every process sharing the file, keeping
// the rate and what was spent.
func (l *SharedLimiter) SetBurst(burst int) error {
	err := create(func() C.weir_status { return C.weir_shared_limiter_set_burst(l.h, C.double(burst)) })
	runtime.KeepAlive(l)
	return given(err, 0, 0, burst)
}

// Allow takes one token now if there is one.
func (l *SharedLimiter) Allow() bool {
	return l.Acquire(1).Admitted()
}

// AllowN takes n tokens at `now` if there are n. `now` must carry Go's
// monotonic reading (as time.Now gives), which is CLOCK_MONOTONIC.
func (l *SharedLimiter) AllowN(now time.Time, n int) bool {
	return l.acquire(monotonicNanos(now), uint64(max(n, 0))).Admitted()
}

// Acquire asks for `cost` tokens now and says why not, and when to retry.
func (l *SharedLimiter) Acquire(cost int) Decision {
	var d C.weir_decision
	s := C.weir_shared_limiter_acquire_now(l.h, C.uint64_t(max(cost, 0)), &d)
	runtime.KeepAlive(l)
	return decided(s, &d, RateLimited)
}

func (l *SharedLimiter) acquire(now, cost uint64) Decision {
	var d C.weir_decision
	s := C.weir_shared_limiter_acquire(l.h, C.uint64_t(now), C.uint64_t(cost), &d)
	runtime.KeepAlive(l)
	return decided(s, &d, RateLimited)
}

// Wait blocks until a token is taken or ctx ends; it fails at once when
// ctx's deadline comes before the token could.
func (l *SharedLimiter) Wait(ctx context.Context) error {
	return waitFor(ctx, func() Decision { return l.Acquire(1) })
}

// Decisions is how many decisions this process made on the limiter so
// far, by reason, as Limiter.Decisions counts them (other processes count
// their own).
func (l *SharedLimiter) Decisions() map[Reason]uint64 {
	var c C.weir_decision_counts
	C.weir_shared_limiter_decisions(l.h, &c)
	runtime.KeepAlive(l)
	return decisionCounts(&c)
}

// Close unmaps the file (the state stays in it for the other processes);
// later calls refuse. Idempotent.
func (l *SharedLimiter) Close() error {
	C.weir_shared_limiter_free(&l.h)
	runtime.SetFinalizer(l, nil)
	return nil
}

// The kernel's CLOCK_MONOTONIC read once with the Go clock: Go's monotonic
// readings are CLOCK_MONOTONIC too, so the offset between them is exact.
var monoBaseTime, monoBaseNanos = time.Now(), uint64(C.weir_shared_limiter_now())

func monotonicNanos(t time.Time) uint64 { return onClock(t, monoBaseTime, monoBaseNanos) }
