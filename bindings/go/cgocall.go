package weir

/*
#include "hot.h"
*/
import "C"

import "unsafe"

// The hot-path calls through cgo, in every build: the path of builds
// without the direct call (see fastcall.go), and the reference the direct
// call is tested against. Handles are uintptr (see hot.h); pointer
// arguments point to the caller's stack and do not escape (noescape).

func cgoLimiterAcquireNow(h uintptr, cost uint64, out *C.weir_decision) C.weir_status {
	return C.weir_go_limiter_acquire_now(C.uintptr_t(h), C.uint64_t(cost), out)
}

func cgoLimiterAcquire(h uintptr, now, cost uint64, out *C.weir_decision) C.weir_status {
	return C.weir_go_limiter_acquire(C.uintptr_t(h), C.uint64_t(now), C.uint64_t(cost), out)
}

func cgoKeyedAcquireBytesNow(h uintptr, key string, cost uint64, out *C.weir_decision) C.weir_status {
	return C.weir_go_keyed_limiter_acquire_bytes_now(C.uintptr_t(h), (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(key))),
		C.size_t(len(key)), C.uint64_t(cost), out)
}

func cgoKeyedAcquire(h uintptr, key, now, cost uint64, out *C.weir_decision) C.weir_status {
	return C.weir_go_keyed_limiter_acquire(C.uintptr_t(h), C.uint64_t(key), C.uint64_t(now), C.uint64_t(cost), out)
}

func cgoConcurrencyAcquire(h uintptr, out *C.weir_decision) C.weir_status {
	return C.weir_go_concurrency_limiter_acquire(C.uintptr_t(h), out)
}

func cgoConcurrencyRelease(h uintptr, handedOff *C.bool, token *C.uint64_t) C.weir_status {
	return C.weir_go_concurrency_limiter_release(C.uintptr_t(h), handedOff, token)
}

func cgoShedderAcquireNow(h uintptr, out *C.weir_decision, started *C.uint64_t) C.weir_status {
	return C.weir_go_shedder_acquire_now(C.uintptr_t(h), out, started)
}

func cgoShedderAcquire(h uintptr, now uint64, out *C.weir_decision) C.weir_status {
	return C.weir_go_shedder_acquire(C.uintptr_t(h), C.uint64_t(now), out)
}

func cgoShedderAcquireSlotNow(h uintptr, slots *C.weir_shedder_slots, out *C.weir_shedder_admission) C.weir_status {
	return C.weir_go_shedder_acquire_slot_now(C.uintptr_t(h), slots, out)
}

func cgoShedderAcquireSlot(h uintptr, slots *C.weir_shedder_slots, now uint64, out *C.weir_shedder_admission) C.weir_status {
	return C.weir_go_shedder_acquire_slot(C.uintptr_t(h), slots, C.uint64_t(now), out)
}

func cgoShedderDoneNow(h uintptr, started uint64) C.weir_status {
	return C.weir_go_shedder_done_now(C.uintptr_t(h), C.uint64_t(started))
}

func cgoShedderDone(h uintptr, started, now uint64) C.weir_status {
	return C.weir_go_shedder_done(C.uintptr_t(h), C.uint64_t(started), C.uint64_t(now))
}

func cgoThrottleAcquireNow(h uintptr, out *C.weir_decision) C.weir_status {
	return C.weir_go_throttle_acquire_now(C.uintptr_t(h), out)
}

func cgoThrottleAcquire(h uintptr, now, draw uint64, out *C.weir_decision) C.weir_status {
	return C.weir_go_throttle_acquire(C.uintptr_t(h), C.uint64_t(now), C.uint64_t(draw), out)
}

func cgoThrottleRecordNow(h uintptr, success bool) C.weir_status {
	return C.weir_go_throttle_record_now(C.uintptr_t(h), C.bool(success))
}

func cgoThrottleRecord(h uintptr, now uint64, success bool) C.weir_status {
	return C.weir_go_throttle_record(C.uintptr_t(h), C.uint64_t(now), C.bool(success))
}

func cgoPickerPickNow(h uintptr, out *C.weir_pick) C.weir_status {
	return C.weir_go_picker_pick_now(C.uintptr_t(h), out)
}

func cgoPickerPick(h uintptr, now, draw uint64, out *C.weir_pick) C.weir_status {
	return C.weir_go_picker_pick(C.uintptr_t(h), C.uint64_t(now), C.uint64_t(draw), out)
}

func cgoPickerDoneNow(h uintptr, pick *C.weir_pick, success bool, cpu int32) C.weir_status {
	return C.weir_go_picker_done_now(C.uintptr_t(h), pick, C.bool(success), C.int32_t(cpu))
}

func cgoPickerDone(h uintptr, pick *C.weir_pick, now, latency uint64, success bool, cpu int32) C.weir_status {
	return C.weir_go_picker_done(C.uintptr_t(h), pick, C.uint64_t(now), C.uint64_t(latency), C.bool(success), C.int32_t(cpu))
}
