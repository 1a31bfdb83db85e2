// Package weir is the Go binding of weir, one resilience core shared by
// every runtime: rate limits (GCRA, keyed, concurrency), BBR-style load
// shedding, SRE adaptive throttling, p2c picking, backoff with retry
// budgets, singleflight and deadline propagation. Decisions are made by the
// Rust core through its C ABI (static library, cgo), so they are the same
// decisions the Envoy filter and the Python and Node packages make.
//
// Every type is safe for concurrent use. Each holds a native handle that a
// finalizer frees; Close frees it at once and is idempotent, but must not
// race with other calls on the same value.
//
// Each hot-path decision (a limiter's Allow, a shedder's Allow and its
// done, a throttle's Allow and Record, a picker's Pick and Done) is one
// call into the native library, which reads the clock (CLOCK_MONOTONIC's
// scale, from the time-stamp counter) itself, through plain cgo (the C
// functions declared noescape/nocallback). Builds that opt in with the
// weir_direct tag on linux/amd64 skip cgo's hand-off to the scheduler and
// run the C function on the thread's system stack through the runtime's
// asmcgocall (directpath.go says when that is sound and README.md what it
// costs). Build the static
// library first: `cargo build --release -p weir-ffi` at the repository root.
package weir

/*
#cgo nocallback weir_now
#cgo nocallback weir_singleflight_finish
#cgo nocallback weir_singleflight_leave
#include "weir.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// Reason says why a decision came out the way it did; the values are the
// core's stable codes.
type Reason uint32

// The reasons a decision can carry.
const (
	Admitted           Reason = C.WEIR_REASON_ADMITTED
	RateLimited        Reason = C.WEIR_REASON_RATE_LIMITED
	CostExceedsBurst   Reason = C.WEIR_REASON_COST_EXCEEDS_BURST
	TableFull          Reason = C.WEIR_REASON_TABLE_FULL
	ConcurrencyLimited Reason = C.WEIR_REASON_CONCURRENCY_LIMITED
	CPUOverloaded      Reason = C.WEIR_REASON_CPU_OVERLOADED
	CoolingOff         Reason = C.WEIR_REASON_COOLING_OFF
	QueueFull          Reason = C.WEIR_REASON_QUEUE_FULL
	Throttled          Reason = C.WEIR_REASON_THROTTLED
	TimeOverflow       Reason = C.WEIR_REASON_TIME_OVERFLOW
	BudgetExhausted    Reason = C.WEIR_REASON_BUDGET_EXHAUSTED
	AttemptsExhausted  Reason = C.WEIR_REASON_ATTEMPTS_EXHAUSTED
	DeadlineTooClose   Reason = C.WEIR_REASON_DEADLINE_TOO_CLOSE
	DeadlineExceeded   Reason = C.WEIR_REASON_DEADLINE_EXCEEDED
	NoNode             Reason = C.WEIR_REASON_NO_NODE
)

// String is the snake_case name used in metrics, logs and the vectors.
func (r Reason) String() string { return C.GoString(C.weir_reason_str(C.uint32_t(r))) }

// Never is the RetryAfter of a refusal that no wait can turn into an
// admission (cost above burst).
const Never = time.Duration(1<<63 - 1)

// Decision is the answer to "may this go ahead?", with what a host needs
// for Retry-After and X-RateLimit-* headers.
type Decision struct {
	Reason     Reason
	RetryAfter time.Duration // when a retry could succeed; 0 if admitted, Never if never
	Remaining  uint64        // tokens or slots left, where the primitive has them
	ResetAfter time.Duration // when the primitive is idle (full) again
}

// Admitted reports whether the request may go ahead.
func (d Decision) Admitted() bool { return d.Reason == Admitted }

func duration(ns C.uint64_t) time.Duration {
	if uint64(ns) > uint64(Never) {
		return Never
	}
	return time.Duration(ns)
}

func decision(d *C.weir_decision) Decision {
	return Decision{
		Reason:     Reason(d.reason),
		RetryAfter: duration(d.retry_after_ns),
		Remaining:  uint64(d.remaining),
		ResetAfter: duration(d.reset_after_ns),
	}
}

// decided is the decision a native call with status s answered in d, or,
// when the call failed (a closed handle), a refusal for `refused` that
// never admits.
func decided(s C.weir_status, d *C.weir_decision, refused Reason) Decision {
	if s != C.WEIR_STATUS_OK {
		return Decision{Reason: refused, RetryAfter: Never}
	}
	return decision(d)
}

// ConfigError is a refused configuration: which field broke which rule.
type ConfigError struct {
	Field   string // the config field, snake_case as in every weir runtime ("burst")
	Rule    string // the rule, phrased to follow "must be" (">= 1")
	Message string // "burst must be >= 1, got 0"
}

func (e *ConfigError) Error() string { return "weir: " + e.Message }

// ErrClosed is returned by calls on a value whose Close already ran.
var ErrClosed = errors.New("weir: closed")

// RejectedError is the error of a refused Allow: the decision behind it.
type RejectedError struct{ Decision Decision }

func (e *RejectedError) Error() string {
	return fmt.Sprintf("weir: rejected: %s (retry after %s)", e.Decision.Reason, e.Decision.RetryAfter)
}

// statusError turns a non-OK status into an error; InvalidConfig becomes a
// *ConfigError read from the thread's last error, so the caller must still
// be on the OS thread of the failed call (see create).
func statusError(s C.weir_status) error {
	switch s {
	case C.WEIR_STATUS_OK:
		return nil
	case C.WEIR_STATUS_INVALID_CONFIG:
		return &ConfigError{
			Field:   C.GoString(C.weir_last_error_field()),
			Rule:    C.GoString(C.weir_last_error_rule()),
			Message: C.GoString(C.weir_last_error_message()),
		}
	case C.WEIR_STATUS_NULL_ARGUMENT:
		return ErrClosed
	default:
		msg := C.GoString(C.weir_last_error_message())
		return fmt.Errorf("weir: %s: %s", C.GoString(C.weir_status_str(C.uint32_t(s))), msg)
	}
}

// create runs a constructor pinned to one OS thread, so the thread-local
// last error read on failure is the one that constructor set.
func create(call func() C.weir_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return statusError(call())
}

// Version is the version of the linked native library.
func Version() string { return C.GoString(C.weir_version()) }

// The native clock read once with the Go clock, so a time.Time converts to
// it by its monotonic offset from that instant.
var baseTime, baseNanos = anchor()

// anchor pairs a Go time with the native clock. The native clock's first
// read calibrates it (a fraction of a millisecond), so it is read once
// before and the pair is taken around the Go read, at its midpoint.
func anchor() (time.Time, uint64) {
	C.weir_now()
	before := uint64(C.weir_now())
	t := time.Now()
	after := uint64(C.weir_now())
	return t, before + (after-before)/2
}

// Now is the native clock in nanoseconds (CLOCK_MONOTONIC's scale, read
// from the CPU's time-stamp counter where it can be), the clock every
// native decision uses.
func Now() uint64 { return uint64(C.weir_now()) }

// nanos converts a time.Time (with its monotonic reading, as time.Now
// gives) to the native clock.
func nanos(t time.Time) uint64 { return onClock(t, baseTime, baseNanos) }

// onClock is t on a native clock that read baseNanos at Go time base, by
// t's monotonic offset from base; 0 for instants before that clock's zero.
func onClock(t, base time.Time, baseNanos uint64) uint64 {
	d := t.Sub(base)
	if d < 0 && uint64(-d) > baseNanos {
		return 0
	}
	return baseNanos + uint64(d)
}

func cbool(b bool) C.bool { return C.bool(b) }

// handle passes a native handle to a hot-path call (see hot.h). A handle is C memory, so
// the GC neither moves nor frees it; callers still KeepAlive their owner so
// its finalizer cannot free the handle mid-call.
func handle(h unsafe.Pointer) uintptr { return uintptr(h) }
