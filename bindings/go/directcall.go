//go:build linux && amd64 && weir_direct && !msan && !asan

package weir

/*
#include "weir.h"
*/
import "C"

import (
	"os"
	"unsafe"

	"github.com/weir-rs/weir/bindings/go/internal/direct"
)

// The hot paths call libweir directly, without cgo's hand-off to the
// scheduler (most of a cgo call's cost): internal/direct runs the C
// function on the goroutine's stack, in 16 KiB its trampoline reserves.
// internal/direct says what that asks of a function; the functions in the
// table below give it:
//
//   - They are short and never block or wait on Go: lock-free CAS loops
//     over atomics (a keyed-table set's claim, a spin lock, is held for a
//     few instructions), no syscall but the clock read (rdtsc; quanta's
//     kernel fallback is a vDSO clock_gettime), no allocation, no
//     callback into Go, no thread-local with a destructor (the random
//     draw's per-thread state is a plain Cell, seeded from the clock on a
//     thread's first draw). The error paths they can take (a NULL handle or out-pointer)
//     return a status without touching the thread's last error.
//   - They never unwind into Go: each entry point runs its body under
//     catch_unwind (ffi/src/status.rs), and none has a panicking path
//     (saturating arithmetic, checked handles). A panic would be a bug;
//     it would run Rust's panic hook on this stack (README.md gives its
//     measured use against the reserved 16 KiB).
//   - They fit: TestDirectCallStackUse measures each one, on threads that
//     never ran it and on warm ones, at a few hundred bytes at most, and
//     fails past a sixteenth of the reserve.
//   - The first read of the native clock calibrates the TSC (allocates,
//     spins for ~0.6 ms, ~830 bytes of stack); weir_now does it through
//     cgo before the table exists (directTable), so no direct call is the
//     first read.
//
// Under -race each direct call also tells the race detector what a cgo
// call does (race.go). Everything else (constructors, Close, stats,
// singleflight, the fleet limiter, which wakes its lease thread) stays a
// cgo call.

// useDirect is false when Rust's panic hook would print a backtrace: see
// rustBacktraces.
var useDirect = !rustBacktraces(os.Getenv("RUST_BACKTRACE"))

// directFns are the addresses of the exported C functions (the real
// symbols of libweir.a, not hot.h's inline shims).
type directFns struct {
	limiterAcquireNow, limiterAcquire      uintptr
	keyedAcquireBytesNow, keyedAcquire     uintptr
	concurrencyAcquire, concurrencyRelease uintptr
	shedderAcquireNow, shedderAcquire      uintptr
	shedderDoneNow, shedderDone            uintptr
	throttleAcquireNow, throttleAcquire    uintptr
	throttleRecordNow, throttleRecord      uintptr
	pickerPickNow, pickerPick              uintptr
	pickerDoneNow, pickerDone              uintptr

	// A shedder's acquire through its slots (shedder_slots.go).
	shedderAcquireSlotNow, shedderAcquireSlot uintptr
}

var fns = directTable()

// directTable reads the native clock once through cgo, which calibrates
// it, and only then hands out the addresses: every direct call goes
// through this table, so none can come first.
func directTable() directFns {
	C.weir_now()
	return directFns{
		limiterAcquireNow:    fnAddr(C.weir_limiter_acquire_now),
		limiterAcquire:       fnAddr(C.weir_limiter_acquire),
		keyedAcquireBytesNow: fnAddr(C.weir_keyed_limiter_acquire_bytes_now),
		keyedAcquire:         fnAddr(C.weir_keyed_limiter_acquire),
		concurrencyAcquire:   fnAddr(C.weir_concurrency_limiter_acquire),
		concurrencyRelease:   fnAddr(C.weir_concurrency_limiter_release_fast),
		shedderAcquireNow:    fnAddr(C.weir_shedder_acquire_now),
		shedderAcquire:       fnAddr(C.weir_shedder_acquire),
		shedderDoneNow:       fnAddr(C.weir_shedder_done_now),
		shedderDone:          fnAddr(C.weir_shedder_done),
		throttleAcquireNow:   fnAddr(C.weir_throttle_acquire_now),
		throttleAcquire:      fnAddr(C.weir_throttle_acquire),
		throttleRecordNow:    fnAddr(C.weir_throttle_record_now),
		throttleRecord:       fnAddr(C.weir_throttle_record),
		pickerPickNow:        fnAddr(C.weir_picker_pick_now),
		pickerPick:           fnAddr(C.weir_picker_pick),
		pickerDoneNow:        fnAddr(C.weir_picker_done_now),
		pickerDone:           fnAddr(C.weir_picker_done),

		shedderAcquireSlotNow: fnAddr(C.weir_shedder_acquire_slot_now),
		shedderAcquireSlot:    fnAddr(C.weir_shedder_acquire_slot),
	}
}

// rustBacktraces reports whether Rust's panic hook would capture and
// print a backtrace: symbolising one takes tens of KiB of stack, more than
// a direct call reserves, so then every call goes through cgo (on the
// thread's own stack). A panic in these functions would be a bug; this
// keeps even that from overrunning a goroutine's stack.
func rustBacktraces(v string) bool { return v != "" && v != "0" }

func fnAddr(fn unsafe.Pointer) uintptr { return uintptr(fn) }

func flag(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}

func directLimiterAcquireNow(h uintptr, cost uint64, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP2(fns.limiterAcquireNow, h, uintptr(cost), unsafe.Pointer(out), 0, 0, 0))
	raceAfterC()
	return s
}

func directLimiterAcquire(h uintptr, now, cost uint64, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP3(fns.limiterAcquire, h, uintptr(now), uintptr(cost), unsafe.Pointer(out), 0, 0))
	raceAfterC()
	return s
}

func directKeyedAcquireBytesNow(h uintptr, key string, cost uint64, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP14(fns.keyedAcquireBytesNow, h, unsafe.Pointer(unsafe.StringData(key)),
		uintptr(len(key)), uintptr(cost), unsafe.Pointer(out), 0))
	raceAfterC()
	return s
}

func directKeyedAcquire(h uintptr, key, now, cost uint64, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP4(fns.keyedAcquire, h, uintptr(key), uintptr(now), uintptr(cost), unsafe.Pointer(out), 0))
	raceAfterC()
	return s
}

func directConcurrencyAcquire(h uintptr, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP1(fns.concurrencyAcquire, h, unsafe.Pointer(out), 0, 0, 0, 0))
	raceAfterC()
	return s
}

func directConcurrencyRelease(h uintptr) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.Call(fns.concurrencyRelease, h, 0, 0, 0, 0, 0))
	raceAfterC()
	return s
}

func directShedderAcquireNow(h uintptr, out *C.weir_decision, started *C.uint64_t) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP12(fns.shedderAcquireNow, h, unsafe.Pointer(out), unsafe.Pointer(started), 0, 0, 0))
	raceAfterC()
	return s
}

func directShedderAcquire(h uintptr, now uint64, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP2(fns.shedderAcquire, h, uintptr(now), unsafe.Pointer(out), 0, 0, 0))
	raceAfterC()
	return s
}

func directShedderDoneNow(h uintptr, started uint64) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.Call(fns.shedderDoneNow, h, uintptr(started), 0, 0, 0, 0))
	raceAfterC()
	return s
}

func directShedderDone(h uintptr, started, now uint64) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.Call(fns.shedderDone, h, uintptr(started), uintptr(now), 0, 0, 0))
	raceAfterC()
	return s
}

// The slots are heap memory, which does not move: only `out`, on the
// goroutine's stack, needs a pointer argument.

func directShedderAcquireSlotNow(h uintptr, slots *C.weir_shedder_slots, out *C.weir_shedder_admission) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP2(fns.shedderAcquireSlotNow, h, uintptr(unsafe.Pointer(slots)), unsafe.Pointer(out),
		0, 0, 0))
	raceAfterC()
	return s
}

func directShedderAcquireSlot(h uintptr, slots *C.weir_shedder_slots, now uint64, out *C.weir_shedder_admission) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP3(fns.shedderAcquireSlot, h, uintptr(unsafe.Pointer(slots)), uintptr(now),
		unsafe.Pointer(out), 0, 0))
	raceAfterC()
	return s
}

func directThrottleAcquireNow(h uintptr, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP1(fns.throttleAcquireNow, h, unsafe.Pointer(out), 0, 0, 0, 0))
	raceAfterC()
	return s
}

func directThrottleAcquire(h uintptr, now, draw uint64, out *C.weir_decision) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP3(fns.throttleAcquire, h, uintptr(now), uintptr(draw), unsafe.Pointer(out), 0, 0))
	raceAfterC()
	return s
}

func directThrottleRecordNow(h uintptr, success bool) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.Call(fns.throttleRecordNow, h, flag(success), 0, 0, 0, 0))
	raceAfterC()
	return s
}

func directThrottleRecord(h uintptr, now uint64, success bool) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.Call(fns.throttleRecord, h, uintptr(now), flag(success), 0, 0, 0))
	raceAfterC()
	return s
}

func directPickerPickNow(h uintptr, out *C.weir_pick) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP1(fns.pickerPickNow, h, unsafe.Pointer(out), 0, 0, 0, 0))
	raceAfterC()
	return s
}

func directPickerPick(h uintptr, now, draw uint64, out *C.weir_pick) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP3(fns.pickerPick, h, uintptr(now), uintptr(draw), unsafe.Pointer(out), 0, 0))
	raceAfterC()
	return s
}

// cpu is sign-extended into the register; the callee reads its low 32 bits.
func directPickerDoneNow(h uintptr, pick *C.weir_pick, success bool, cpu int32) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP1(fns.pickerDoneNow, h, unsafe.Pointer(pick), flag(success), uintptr(cpu), 0, 0))
	raceAfterC()
	return s
}

func directPickerDone(h uintptr, pick *C.weir_pick, now, latency uint64, success bool, cpu int32) C.weir_status {
	raceBeforeC()
	s := C.weir_status(direct.CallP1(fns.pickerDone, h, unsafe.Pointer(pick), uintptr(now), uintptr(latency),
		flag(success), uintptr(cpu)))
	raceAfterC()
	return s
}
