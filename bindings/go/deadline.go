package weir

/*
#include "weir.h"
*/
import "C"

import (
	"context"
	"errors"
	"runtime"
	"time"
	"unsafe"
)

// Deadline gives each call to a callee min(what is left of the caller's
// ctx, the callee's timeout) less a margin.
type Deadline struct {
	h *C.weir_deadline
}

// NewDeadline makes a policy; timeout <= 0 means the callee has none.
func NewDeadline(timeout, margin time.Duration) (*Deadline, error) {
	cfg := C.weir_deadline_config{timeout_ns: C.uint64_t(1<<64 - 1), margin_ns: C.uint64_t(uint64(max(margin, 0)))}
	if timeout > 0 {
		cfg.timeout_ns = C.uint64_t(uint64(timeout))
	}
	return newDeadline(uint64(cfg.timeout_ns), uint64(cfg.margin_ns))
}

func newDeadline(timeout, margin uint64) (*Deadline, error) {
	cfg := C.weir_deadline_config{timeout_ns: C.uint64_t(timeout), margin_ns: C.uint64_t(margin)}
	d := &Deadline{}
	if err := create(func() C.weir_status { return C.weir_deadline_new(&cfg, &d.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(d, (*Deadline).Close)
	return d, nil
}

// ErrDeadlineExceeded: nothing is left of ctx's deadline after the margin.
var ErrDeadlineExceeded = errors.New("weir: deadline exceeded")

// Budget is the timeout to give the callee now, given ctx's deadline.
func (d *Deadline) Budget(ctx context.Context) (time.Duration, error) {
	now := Now()
	at, ok := ctx.Deadline()
	var deadline uint64
	if ok {
		deadline = nanos(at)
	}
	reason, timeout := d.budget(now, ok, deadline)
	if reason != Admitted {
		return 0, ErrDeadlineExceeded
	}
	return timeout, nil
}

func (d *Deadline) budget(now uint64, has bool, deadline uint64) (Reason, time.Duration) {
	var out C.weir_deadline_answer
	C.weir_deadline_budget(d.h, C.uint64_t(now), cbool(has), C.uint64_t(deadline), &out)
	runtime.KeepAlive(d)
	return Reason(out.reason), duration(out.timeout_ns)
}

// Context is ctx bounded by Budget, for the call to the callee.
func (d *Deadline) Context(ctx context.Context) (context.Context, context.CancelFunc, error) {
	budget, err := d.Budget(ctx)
	if err != nil {
		return nil, nil, err
	}
	if budget == Never {
		c, cancel := context.WithCancel(ctx)
		return c, cancel, nil
	}
	c, cancel := context.WithTimeout(ctx, budget)
	return c, cancel, nil
}

// Close frees the policy. Idempotent.
func (d *Deadline) Close() error {
	C.weir_deadline_free(&d.h)
	runtime.SetFinalizer(d, nil)
	return nil
}

// HeaderError is a header value weir refused, with the core's reason
// ("invalid_unit", "too_many_digits", "invalid_date", ...).
type HeaderError struct{ Reason string }

func (e *HeaderError) Error() string { return "weir: bad header value: " + e.Reason }

func bytesOf(s string) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

func parsed(call func() C.weir_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if s := call(); s != C.WEIR_STATUS_OK {
		if s == C.WEIR_STATUS_INVALID_HEADER {
			return &HeaderError{Reason: C.GoString(C.weir_last_error_message())}
		}
		return statusError(s)
	}
	return nil
}

func parseHeader(value string, f func(*C.uint8_t, C.size_t, *C.uint64_t) C.weir_status) (time.Duration, error) {
	ns, err := parseHeaderNs(value, f)
	return duration(C.uint64_t(ns)), err
}

// parseHeaderNs keeps values above 2^63 ns that a Duration cannot hold.
func parseHeaderNs(value string, f func(*C.uint8_t, C.size_t, *C.uint64_t) C.weir_status) (uint64, error) {
	var ns C.uint64_t
	p, n := bytesOf(value)
	err := parsed(func() C.weir_status { return f(p, n, &ns) })
	runtime.KeepAlive(value)
	return uint64(ns), err
}

func parseGrpcTimeoutNs(value string) (uint64, error) {
	return parseHeaderNs(value, func(p *C.uint8_t, n C.size_t, ns *C.uint64_t) C.weir_status {
		return C.weir_parse_grpc_timeout(p, n, ns)
	})
}

// ParseGrpcTimeout reads a grpc-timeout value ("100m", "5S").
func ParseGrpcTimeout(value string) (time.Duration, error) {
	return parseHeader(value, func(p *C.uint8_t, n C.size_t, ns *C.uint64_t) C.weir_status {
		return C.weir_parse_grpc_timeout(p, n, ns)
	})
}

// ParseMillis reads a plain milliseconds header (grpc-retry-pushback-ms).
func ParseMillis(value string) (time.Duration, error) {
	return parseHeader(value, func(p *C.uint8_t, n C.size_t, ns *C.uint64_t) C.weir_status {
		return C.weir_parse_millis(p, n, ns)
	})
}

// ParseRetryAfter reads Retry-After (seconds or an HTTP date) against now.
func ParseRetryAfter(value string, now time.Time) (time.Duration, error) {
	unix := C.uint64_t(uint64(max(now.Unix(), 0)))
	return parseHeader(value, func(p *C.uint8_t, n C.size_t, ns *C.uint64_t) C.weir_status {
		return C.weir_parse_retry_after(p, n, unix, ns)
	})
}

func format(_ time.Duration, size int, f func(*C.uint8_t, C.size_t, *C.size_t) C.weir_status) (string, error) {
	buf := make([]byte, max(size, 1))
	var n C.size_t
	if err := parsed(func() C.weir_status { return f((*C.uint8_t)(unsafe.Pointer(&buf[0])), C.size_t(size), &n) }); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func formatGrpcTimeout(ns uint64, size int) (string, error) {
	return format(0, size, func(p *C.uint8_t, n C.size_t, w *C.size_t) C.weir_status {
		return C.weir_format_grpc_timeout(C.uint64_t(ns), p, n, w)
	})
}

func formatMillis(ns uint64, size int) (string, error) {
	return format(0, size, func(p *C.uint8_t, n C.size_t, w *C.size_t) C.weir_status {
		return C.weir_format_millis(C.uint64_t(ns), p, n, w)
	})
}

// FormatGrpcTimeout writes d as a grpc-timeout value, rounded up.
func FormatGrpcTimeout(d time.Duration) string {
	s, _ := format(d, 9, func(p *C.uint8_t, n C.size_t, w *C.size_t) C.weir_status {
		return C.weir_format_grpc_timeout(C.uint64_t(uint64(max(d, 0))), p, n, w)
	})
	return s
}

// FormatMillis writes d in whole milliseconds, rounded up.
func FormatMillis(d time.Duration) string {
	s, _ := format(d, 20, func(p *C.uint8_t, n C.size_t, w *C.size_t) C.weir_status {
		return C.weir_format_millis(C.uint64_t(uint64(max(d, 0))), p, n, w)
	})
	return s
}
