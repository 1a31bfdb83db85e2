package weir

/*
#include "hot.h"
*/
import "C"

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// ConcurrencyLimiter caps requests in flight (a bulkhead). Acquire takes a
// permit or refuses at once; Wait queues the caller when every permit is
// out, in a bounded FIFO queue: a released permit goes to the oldest waiter,
// and nobody arriving later takes it first.
type ConcurrencyLimiter struct {
	h       *C.weir_concurrency_limiter
	maxWait time.Duration
	tokens  atomic.Uint64
	// Waiter tokens to the channel each parks on. A waiter registers before
	// it queues, so a release that names its token always finds it.
	waiters sync.Map
}

// NoQueue as QueueOptions.MaxQueue: callers past the cap are refused at once.
const NoQueue = -1

// QueueOptions bound a ConcurrencyLimiter's wait queue.
type QueueOptions struct {
	// MaxQueue is the most callers waiting at once: 0 takes weir's default
	// (1024), NoQueue none.
	MaxQueue int
	// MaxWait is the longest a caller waits: 0 takes weir's default (60 s).
	MaxWait time.Duration
}

// BulkheadRefusal says why Wait gave no permit: Reason is
// "concurrency_limited" (no queue), "queue_full", "wait_timeout" or
// "cancelled" (then Unwrap is the context's error).
type BulkheadRefusal struct {
	Reason string
	cause  error
}

func (e *BulkheadRefusal) Error() string {
	if e.cause != nil {
		return "weir: no permit: " + e.Reason + ": " + e.cause.Error()
	}
	return "weir: no permit: " + e.Reason
}

// Unwrap is the context's error for "cancelled", so errors.Is(err,
// context.Canceled) holds.
func (e *BulkheadRefusal) Unwrap() error { return e.cause }

var refusalNames = [...]string{"concurrency_limited", "queue_full", "wait_timeout", "cancelled"}

// NewConcurrencyLimiter allows `max` requests in flight at once, with the
// default queue for Wait.
func NewConcurrencyLimiter(max int) (*ConcurrencyLimiter, error) {
	return NewQueuedConcurrencyLimiter(max, QueueOptions{})
}

// NewQueuedConcurrencyLimiter allows `max` requests in flight at once and
// queues at most o.MaxQueue callers of Wait for at most o.MaxWait each. A
// bad value is a *ConfigError naming the field (max_in_flight, max_queue,
// max_wait).
func NewQueuedConcurrencyLimiter(max int, o QueueOptions) (*ConcurrencyLimiter, error) {
	queue := C.uint64_t(C.WEIR_BULKHEAD_DEFAULT)
	switch {
	case o.MaxQueue == NoQueue:
		queue = 0
	case o.MaxQueue != 0:
		queue = C.uint64_t(uint64(o.MaxQueue)) // a negative one is refused by name
	}
	wait := C.uint64_t(C.WEIR_BULKHEAD_DEFAULT)
	if o.MaxWait != 0 {
		wait = C.uint64_t(uint64(o.MaxWait))
	}
	c := &ConcurrencyLimiter{}
	err := create(func() C.weir_status {
		return C.weir_concurrency_limiter_new_queued(C.uint64_t(uint64(maxInt(max, 0))), queue, wait, &c.h)
	})
	if ce, ok := err.(*ConfigError); ok {
		given := map[string]string{
			"max_in_flight": strconv.Itoa(max),
			"max_queue":     strconv.Itoa(o.MaxQueue),
			"max_wait":      o.MaxWait.String(),
		}
		ce.Message += ", got " + given[ce.Field]
	}
	if err != nil {
		return nil, err
	}
	c.maxWait = time.Duration(c.Stats().MaxWaitNs)
	runtime.SetFinalizer(c, (*ConcurrencyLimiter).Close)
	return c, nil
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Acquire takes a permit if one is free and nobody waits, without waiting;
// when admitted, call release once when done.
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
	return c.releaseOnce(), d
}

// Wait takes a permit, waiting in the queue while every permit is out, for
// at most the limiter's MaxWait or until ctx is done. The error is a
// *BulkheadRefusal with the reason; on success call release once when done.
// A waiting goroutine parks on a channel: nothing blocks in native code.
func (c *ConcurrencyLimiter) Wait(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, &BulkheadRefusal{Reason: "cancelled", cause: err}
	}
	token := c.tokens.Add(1)
	granted := make(chan struct{}, 1)
	c.waiters.Store(token, granted)
	var a C.weir_bulkhead_admission
	C.weir_concurrency_limiter_enqueue(c.h, C.uint64_t(token), &a)
	runtime.KeepAlive(c)
	switch a.outcome {
	case 0:
		c.waiters.Delete(token)
		return c.releaseOnce(), nil
	case 2:
		c.waiters.Delete(token)
		return nil, &BulkheadRefusal{Reason: refusalNames[a.refusal]}
	}
	timer := time.NewTimer(c.maxWait)
	defer timer.Stop()
	select {
	case <-granted:
		return c.releaseOnce(), nil
	case <-timer.C:
		if c.cancel(a.ticket, C.WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT) {
			return nil, &BulkheadRefusal{Reason: "wait_timeout"}
		}
		// Handed the permit as the wait ran out: it is ours to use.
		<-granted
		return c.releaseOnce(), nil
	case <-ctx.Done():
		if c.cancel(a.ticket, C.WEIR_BULKHEAD_REFUSAL_CANCELLED) {
			return nil, &BulkheadRefusal{Reason: "cancelled", cause: ctx.Err()}
		}
		// Handed the permit as the caller gave up: pass it on.
		<-granted
		c.release()
		return nil, &BulkheadRefusal{Reason: "cancelled", cause: ctx.Err()}
	}
}

// cancel takes the ticket out of the queue; false when its permit was
// handed over already (the waiter's channel is then signalled or about to be).
func (c *ConcurrencyLimiter) cancel(ticket C.uint64_t, why C.uint32_t) bool {
	var removed C.bool
	C.weir_concurrency_limiter_cancel(c.h, ticket, why, &removed)
	runtime.KeepAlive(c)
	return bool(removed)
}

// releaseOnce is the release a caller calls once (one allocation, as
// Acquire's has always cost).
func (c *ConcurrencyLimiter) releaseOnce() func() {
	return func() { c.release() }
}

// release returns a permit, waking the waiter it was handed to.
func (c *ConcurrencyLimiter) release() bool {
	var handed C.bool
	var token C.uint64_t
	if useDirect {
		// The direct call never blocks: it frees the permit only while
		// nobody waits, and a hand-off (which takes the queue's lock) goes
		// through cgo.
		s := directConcurrencyRelease(handle(unsafe.Pointer(c.h)))
		if s != C.WEIR_STATUS_UNAVAILABLE {
			runtime.KeepAlive(c)
			return s == C.WEIR_STATUS_OK
		}
	}
	s := cgoConcurrencyRelease(handle(unsafe.Pointer(c.h)), &handed, &token)
	runtime.KeepAlive(c)
	if s != C.WEIR_STATUS_OK {
		return false
	}
	if handed {
		if ch, ok := c.waiters.LoadAndDelete(uint64(token)); ok {
			ch.(chan struct{}) <- struct{}{}
		}
	}
	return true
}

// InFlight is the permits taken now.
func (c *ConcurrencyLimiter) InFlight() int {
	var n C.uint64_t
	C.weir_concurrency_limiter_in_flight(c.h, &n)
	runtime.KeepAlive(c)
	return int(n)
}

// ConcurrencyStats are a ConcurrencyLimiter's numbers now and so far.
type ConcurrencyStats struct {
	InFlight, Queued            int
	MaxInFlight, MaxQueue       int
	MaxWaitNs                   uint64
	Admitted, AdmittedAfterWait uint64
	// Refused by reason: concurrency_limited, queue_full, wait_timeout, cancelled.
	Refused map[string]uint64
}

// Stats reads the numbers now and the counters so far.
func (c *ConcurrencyLimiter) Stats() ConcurrencyStats {
	var s C.weir_bulkhead_stats
	C.weir_concurrency_limiter_stats(c.h, &s)
	runtime.KeepAlive(c)
	refused := make(map[string]uint64, len(refusalNames))
	for i, name := range refusalNames {
		refused[name] = uint64(s.refused[i])
	}
	return ConcurrencyStats{
		InFlight: int(s.in_flight), Queued: int(s.queued),
		MaxInFlight: int(s.max_in_flight), MaxQueue: int(s.max_queue), MaxWaitNs: uint64(s.max_wait_ns),
		Admitted: uint64(s.admitted), AdmittedAfterWait: uint64(s.admitted_after_wait),
		Refused: refused,
	}
}

// Close frees the limiter. Idempotent. No caller may be waiting.
func (c *ConcurrencyLimiter) Close() error {
	C.weir_concurrency_limiter_free(&c.h)
	runtime.SetFinalizer(c, nil)
	return nil
}
