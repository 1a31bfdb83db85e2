package weir

/*
#include "weir.h"
*/
import "C"

import (
	"log"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// EventKind says what a primitive's decisions meant: refusals, or a state
// starting or ending (a shedder dropping, a throttle refusing, a retry
// budget exhausted, a keyed table full).
type EventKind uint32

// The kinds; String gives the name every weir runtime uses.
const (
	EventRefused         EventKind = iota // decisions were refused; Count says how many
	EventDroppingStarted                  // a shedder began shedding
	EventDroppingStopped                  // a shedder admitted again after a cool-off without a shed
	EventRefusingStarted                  // a throttle began refusing locally
	EventRefusingStopped                  // a throttle admitted again a bucket after its last refusal
	EventBudgetExhausted                  // a retry budget refused a retry
	EventBudgetRecovered                  // a retry budget admitted a retry again
	EventTableFull                        // a keyed table had no entry free for a new key
	EventTableRecovered                   // a keyed table held keys again after being full
)

func (k EventKind) String() string { return C.GoString(C.weir_event_kind_str(C.uint32_t(k))) }

// Event is one event and the numbers behind it.
type Event struct {
	Kind EventKind
	// Reason is the refusal behind it: the first one counted (EventRefused),
	// or the one that started the state.
	Reason Reason
	// At is when the decision that caused it was made.
	At time.Time
	// Count: EventRefused, refusals counted into it; a state's end,
	// refusals while the state lasted; a state's start, 1.
	Count uint64
	// Since is when the state began, for a state's end; otherwise At.
	Since time.Time
}

// eventHub takes a handle's events off its queue and hands them to the
// OnEvent callbacks on one goroutine it owns, so callbacks see events in
// order and never run on a caller's decision. A decision costs one pointer
// load when nobody listens, and one atomic load of the queue's length when
// someone does.
type eventHub struct {
	q      *C.weir_events
	word   *uint64
	fns    atomic.Pointer[[]func(Event)]
	closed atomic.Bool
	mu     sync.Mutex // held while draining and while closing: the handle outlives a drain
	kick   chan struct{}
	stop   chan struct{}
	start  sync.Once
}

func newEventHub(q *C.weir_events) *eventHub {
	return &eventHub{
		q:    q,
		word: (*uint64)(unsafe.Pointer(C.weir_events_pending_word(q))),
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
}

func (h *eventHub) on(fn func(Event)) {
	if fn == nil {
		return
	}
	h.mu.Lock()
	var fns []func(Event)
	if old := h.fns.Load(); old != nil {
		fns = append(fns, *old...)
	}
	fns = append(fns, fn)
	h.fns.Store(&fns)
	h.mu.Unlock()
	h.start.Do(func() { go h.run() })
	h.wake()
}

// after runs after each decision.
func (h *eventHub) after() {
	if h.fns.Load() == nil || h.closed.Load() {
		return
	}
	if atomic.LoadUint64(h.word) != 0 {
		h.wake()
	}
}

func (h *eventHub) wake() {
	select {
	case h.kick <- struct{}{}:
	default: // a wake-up is already due; it drains everything
	}
}

func (h *eventHub) run() {
	var buf [16]C.weir_event
	for {
		select {
		case <-h.stop:
			return
		case <-h.kick:
		}
		for h.drain(buf[:]) == len(buf) {
		}
	}
}

func (h *eventHub) drain(buf []C.weir_event) int {
	h.mu.Lock()
	if h.closed.Load() {
		h.mu.Unlock()
		return 0
	}
	var n C.size_t
	C.weir_events_drain(h.q, &buf[0], C.size_t(len(buf)), &n)
	h.mu.Unlock()
	fns := h.fns.Load()
	for i := range int(n) {
		e := eventOf(&buf[i])
		for _, fn := range *fns {
			deliver(fn, e)
		}
	}
	return int(n)
}

// deliver calls one callback; a panic in it is logged, and the next event
// is still delivered.
func deliver(fn func(Event), e Event) {
	defer func() {
		if r := recover(); r != nil {
			log.Printf("weir: OnEvent callback panicked on %s: %v", e.Kind, r)
		}
	}()
	fn(e)
}

func eventOf(e *C.weir_event) Event {
	return Event{
		Kind:   EventKind(e.kind),
		Reason: Reason(e.reason),
		At:     baseTime.Add(time.Duration(int64(uint64(e.at) - baseNanos))),
		Count:  uint64(e.count),
		Since:  baseTime.Add(time.Duration(int64(uint64(e.since) - baseNanos))),
	}
}

// close stops delivery before the handle is freed.
func (h *eventHub) close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	already := h.closed.Swap(true)
	h.mu.Unlock()
	if !already {
		close(h.stop)
	}
}

// dropped counts events nobody took in time (64 are kept).
func (h *eventHub) dropped() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return 0
	}
	var n C.uint64_t
	C.weir_events_dropped(h.q, &n)
	return uint64(n)
}

func shedderEvents(h *C.weir_shedder) *eventHub {
	var q *C.weir_events
	C.weir_shedder_events(h, &q)
	return newEventHub(q)
}

func throttleEvents(h *C.weir_throttle) *eventHub {
	var q *C.weir_events
	C.weir_throttle_events(h, &q)
	return newEventHub(q)
}

func budgetEvents(h *C.weir_retry_budget) *eventHub {
	var q *C.weir_events
	C.weir_retry_budget_events(h, &q)
	return newEventHub(q)
}

func keyedEvents(h *C.weir_keyed_limiter) *eventHub {
	var q *C.weir_events
	C.weir_keyed_limiter_events(h, &q)
	return newEventHub(q)
}

// OnEvent calls fn with the shedder's events (EventRefused,
// EventDroppingStarted, EventDroppingStopped) in order, on a goroutine the
// shedder owns: never on the caller's path. A panic in fn is logged.
func (s *Shedder) OnEvent(fn func(Event)) { s.events.on(fn) }

// OnEvent calls fn with the throttle's events (EventRefused,
// EventRefusingStarted, EventRefusingStopped) in order, off the caller's
// path. A panic in fn is logged.
func (t *Throttle) OnEvent(fn func(Event)) { t.events.on(fn) }

// OnEvent calls fn with the budget's events (EventRefused,
// EventBudgetExhausted, EventBudgetRecovered) in order, off the caller's
// path. A panic in fn is logged.
func (r *RetryBudget) OnEvent(fn func(Event)) { r.events.on(fn) }

// OnEvent calls fn with the table's events (EventRefused, EventTableFull,
// EventTableRecovered) in order, off the caller's path. A panic in fn is
// logged.
func (k *KeyedLimiter) OnEvent(fn func(Event)) { k.events.on(fn) }
