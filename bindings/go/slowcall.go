//go:build !(linux && amd64) || !weir_direct || msan || asan

package weir

/*
#include "hot.h"
*/
import "C"

// By default (and on other platforms, and in sanitizer builds: cgo tells
// -msan and -asan about memory C code writes, a direct call would not)
// every hot path is a plain cgo call; only the opt-in weir_direct tag
// changes that. useDirect is a
// constant false, so the compiler drops the direct branches and these
// stand-ins are never called.

const useDirect = false

func directLimiterAcquireNow(h uintptr, cost uint64, out *C.weir_decision) C.weir_status {
	return cgoLimiterAcquireNow(h, cost, out)
}

func directLimiterAcquire(h uintptr, now, cost uint64, out *C.weir_decision) C.weir_status {
	return cgoLimiterAcquire(h, now, cost, out)
}

func directKeyedAcquireBytesNow(h uintptr, key string, cost uint64, out *C.weir_decision) C.weir_status {
	return cgoKeyedAcquireBytesNow(h, key, cost, out)
}

func directKeyedAcquire(h uintptr, key, now, cost uint64, out *C.weir_decision) C.weir_status {
	return cgoKeyedAcquire(h, key, now, cost, out)
}

func directConcurrencyAcquire(h uintptr, out *C.weir_decision) C.weir_status {
	return cgoConcurrencyAcquire(h, out)
}

// Never called (useDirect is false); were it, the caller would take the
// cgo release that hands the permit over.
func directConcurrencyRelease(h uintptr) C.weir_status {
	return C.WEIR_STATUS_UNAVAILABLE
}

func directShedderAcquireNow(h uintptr, out *C.weir_decision, started *C.uint64_t) C.weir_status {
	return cgoShedderAcquireNow(h, out, started)
}

func directShedderAcquire(h uintptr, now uint64, out *C.weir_decision) C.weir_status {
	return cgoShedderAcquire(h, now, out)
}

func directShedderAcquireSlotNow(h uintptr, slots *C.weir_shedder_slots, out *C.weir_shedder_admission) C.weir_status {
	return cgoShedderAcquireSlotNow(h, slots, out)
}

func directShedderAcquireSlot(h uintptr, slots *C.weir_shedder_slots, now uint64, out *C.weir_shedder_admission) C.weir_status {
	return cgoShedderAcquireSlot(h, slots, now, out)
}

func directShedderDoneNow(h uintptr, started uint64) C.weir_status {
	return cgoShedderDoneNow(h, started)
}

func directShedderDone(h uintptr, started, now uint64) C.weir_status {
	return cgoShedderDone(h, started, now)
}

func directThrottleAcquireNow(h uintptr, out *C.weir_decision) C.weir_status {
	return cgoThrottleAcquireNow(h, out)
}

func directThrottleAcquire(h uintptr, now, draw uint64, out *C.weir_decision) C.weir_status {
	return cgoThrottleAcquire(h, now, draw, out)
}

func directThrottleRecordNow(h uintptr, success bool) C.weir_status {
	return cgoThrottleRecordNow(h, success)
}

func directThrottleRecord(h uintptr, now uint64, success bool) C.weir_status {
	return cgoThrottleRecord(h, now, success)
}

func directPickerPickNow(h uintptr, out *C.weir_pick) C.weir_status {
	return cgoPickerPickNow(h, out)
}

func directPickerPick(h uintptr, now, draw uint64, out *C.weir_pick) C.weir_status {
	return cgoPickerPick(h, now, draw, out)
}

func directPickerDoneNow(h uintptr, pick *C.weir_pick, success bool, cpu int32) C.weir_status {
	return cgoPickerDoneNow(h, pick, success, cpu)
}

func directPickerDone(h uintptr, pick *C.weir_pick, now, latency uint64, success bool, cpu int32) C.weir_status {
	return cgoPickerDone(h, pick, now, latency, success, cpu)
}
