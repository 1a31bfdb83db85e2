package weir

/*
#cgo nocallback weir_shedder_drain
#include "hot.h"
*/
import "C"

import (
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/weir-rs/weir/bindings/go/internal/ticks"
)

// shedSlots ends a shedder's requests without a cgo call: the Go half of
// a weir_shedder_slots (weir.h has the protocol). An admitted request gets
// a held slot; its done stores the end (the CPU's raw counter, which
// libweir scales to its clock, or "cancelled") and sets the slot's ready
// bit. A request admitted with every held slot taken ends through a spare
// slot, claimed when it ends. The next Allow's one call applies every
// ready end before it decides, so the in-flight count it decides on has
// every done that returned before it (one that another Allow is applying
// at that instant still counts as in flight: the error is only ever
// toward refusing, never fail-open). No timer flushes them, and none is
// needed: an end waiting in a slot is seen by nothing, since Allow and
// Stats, the only readers of the shedder's state, apply the waiting ends
// first; and a waiting end is recorded by its own time, so applied late
// it leaves the window as it would have on time.
type shedSlots struct {
	mem  *C.weir_shedder_slots // Go heap, pointer-free: handed to each call, kept by none
	ends [C.WEIR_SHEDDER_SLOTS]slotEnd
}

// slotEnd is the done of the request in one slot. Its done field is its
// finish method bound once, so handing it out is free.
type slotEnd struct {
	slots *shedSlots
	index uint32
	live  bool
	done  func(error)
}

// newShedSlots gives the shedder slots when this platform reads the
// counter libweir's clock reads; else nil, and every done is a cgo call.
func newShedSlots() *shedSlots {
	var counter C.uint32_t
	if !ticks.Available || C.weir_ticks(&counter) != C.WEIR_STATUS_OK || counter != C.WEIR_TICKS_X86_TSC {
		return nil
	}
	return makeShedSlots()
}

func makeShedSlots() *shedSlots {
	sl := &shedSlots{mem: new(C.weir_shedder_slots)}
	for i := range sl.ends {
		e := &sl.ends[i]
		e.slots, e.index = sl, uint32(i)
		e.done = e.finish
	}
	return sl
}

// allow is Allow through the slots: one cgo call.
func (sl *shedSlots) allow(s *Shedder) (func(error), error) {
	var a C.weir_shedder_admission
	var st C.weir_status
	if useDirect {
		st = directShedderAcquireSlotNow(handle(unsafe.Pointer(s.h)), sl.mem, &a)
	} else {
		st = cgoShedderAcquireSlotNow(handle(unsafe.Pointer(s.h)), sl.mem, &a)
		raceAfterC() // the slot may have been freed by the call: see end
	}
	runtime.KeepAlive(s)
	s.events.after()
	if st != C.WEIR_STATUS_OK {
		return nil, ErrClosed
	}
	if a.decision.admitted == 0 {
		return nil, &RejectedError{Decision: decision(&a.decision)}
	}
	if a.slot < C.WEIR_SHEDDER_SLOTS {
		e := &sl.ends[a.slot]
		e.live = true
		return e.done, nil
	}
	return s.ticket(uint64(a.started_at)), nil
}

// acquireAt is allow at an explicit time, for the conformance vectors:
// the decision, and the slot (WEIR_SHEDDER_SLOTS if none).
func (sl *shedSlots) acquireAt(s *Shedder, now uint64) (Decision, uint32) {
	var a C.weir_shedder_admission
	shedderAcquireSlot(handle(unsafe.Pointer(s.h)), sl.mem, now, &a)
	raceAfterC()
	runtime.KeepAlive(s)
	s.events.after()
	return decision(&a.decision), uint32(a.slot)
}

// endAt ends the request in slot i at ended nanoseconds, on the clock of
// acquireAt's now.
func (sl *shedSlots) endAt(i uint32, ended uint64) { sl.end(i, ended, C.WEIR_SHEDDER_ENDED_AT_NS) }

// finish ends the request: the counter is read first, as close to the end
// as Go gets. A second call before the slot is reused does nothing.
func (e *slotEnd) finish(err error) {
	ended := ticks.Read()
	if !e.live {
		return
	}
	e.live = false
	if isLocalRefusal(err) {
		e.slots.end(e.index, 0, C.WEIR_SHEDDER_CANCELLED)
		return
	}
	e.slots.end(e.index, ended, C.WEIR_SHEDDER_ENDED_AT_TICKS)
}

// end hands slot i's end over: two stores, then the ready bit, after
// which the slot is libweir's until an acquire gives it out again. The
// race detector cannot see libweir take the slot over, so the handover
// is told to it as a cgo call would be (race.go).
func (sl *shedSlots) end(i uint32, ended uint64, how C.uint64_t) {
	slot := &sl.mem.held.slot[i]
	slot.ended = C.uint64_t(ended)
	slot.how = how
	raceBeforeC()
	atomic.OrUint64((*uint64)(unsafe.Pointer(&sl.mem.held.ready)), 1<<i)
}

// endSpare ends a request admitted at started without a held slot,
// through a spare one; false when every spare slot holds an end the next
// Allow has yet to apply (then the end is a cgo call).
func (sl *shedSlots) endSpare(started uint64, err error) bool {
	ended, how := ticks.Read(), C.uint64_t(C.WEIR_SHEDDER_ENDED_AT_TICKS)
	if isLocalRefusal(err) {
		ended, how = 0, C.WEIR_SHEDDER_CANCELLED
	}
	owned := (*uint64)(unsafe.Pointer(&sl.mem.spare.owned))
	for {
		taken := atomic.LoadUint64(owned)
		if taken == math.MaxUint64 {
			return false
		}
		i := bits.TrailingZeros64(^taken)
		if !atomic.CompareAndSwapUint64(owned, taken, taken|1<<i) {
			continue
		}
		raceAfterC() // libweir freed the slot after its last end: see end
		slot := &sl.mem.spare.slot[i]
		slot.started_at, slot.ended, slot.how = C.uint64_t(started), C.uint64_t(ended), how
		raceBeforeC()
		atomic.OrUint64((*uint64)(unsafe.Pointer(&sl.mem.spare.ready)), 1<<i)
		return true
	}
}

// drain applies the ready ends at now, before a snapshot.
func (sl *shedSlots) drain(s *Shedder, now uint64) {
	if sl == nil || atomic.LoadUint64((*uint64)(unsafe.Pointer(&sl.mem.held.ready)))|
		atomic.LoadUint64((*uint64)(unsafe.Pointer(&sl.mem.spare.ready))) == 0 {
		return
	}
	C.weir_shedder_drain(s.h, sl.mem, C.uint64_t(now))
	raceAfterC()
	runtime.KeepAlive(s)
}
