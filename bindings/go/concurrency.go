package weir

/*
#include "hot.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// ConcurrencyLimiter caps requests in flight.
type ConcurrencyLimiter struct {
	h *C.weir_concurrency_limiter
}

// NewConcurrencyLimiter allows `max` requests in flight at once.
func NewConcurrencyLimiter(max int) (*ConcurrencyLimiter, error) {
	c := &ConcurrencyLimiter{}
	if err := create(func() C.weir_status {
		return C.weir_concurrency_limiter_new(C.uint64_t(uint64(maxInt(max, 0))), &c.h)
	}); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(c, (*ConcurrencyLimiter).Close)
	return c, nil
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Acquire takes a permit; when admitted, call release once when done.
func (c *ConcurrencyLimiter) Acquire() (release func(), d Decision) {
	var raw C.weir_decision
	var s C.weir_status
	if useDirect {
		s = directConcurrencyAcquire(handle(unsafe.Pointer(c.h)), &raw)
	} else {
		s = cgoConcurrencyAcquire(handle(unsafe.Pointer(c.h)), &raw)
	}
	runtime.KeepAlive(c)
	if s != C.WEIR_STATUS_OK {
		return func() {}, Decision{Reason: ConcurrencyLimited}
	}
	d = decision(&raw)
	if !d.Admitted() {
		return func() {}, d
	}
	return func() { c.release() }, d
}

func (c *ConcurrencyLimiter) release() bool {
	var s C.weir_status
	if useDirect {
		s = directConcurrencyRelease(handle(unsafe.Pointer(c.h)))
	} else {
		s = cgoConcurrencyRelease(handle(unsafe.Pointer(c.h)))
	}
	runtime.KeepAlive(c)
	return s == C.WEIR_STATUS_OK
}

// InFlight is the permits taken now.
func (c *ConcurrencyLimiter) InFlight() int {
	var n C.uint64_t
	C.weir_concurrency_limiter_in_flight(c.h, &n)
	runtime.KeepAlive(c)
	return int(n)
}

// Close frees the limiter. Idempotent.
func (c *ConcurrencyLimiter) Close() error {
	C.weir_concurrency_limiter_free(&c.h)
	runtime.SetFinalizer(c, nil)
	return nil
}
