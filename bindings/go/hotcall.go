package weir

/*
#include "hot.h"
*/
import "C"

// The explicit-time calls (AllowN, the conformance vectors) take the same
// path as the hot ones; they are not hot, so they choose it here instead
// of at each call site. The hot methods choose at the call site, so that
// the direct call stays inlined into them.

func limiterAcquire(h uintptr, now, cost uint64, out *C.weir_decision) C.weir_status {
	if useDirect {
		return directLimiterAcquire(h, now, cost, out)
	}
	return cgoLimiterAcquire(h, now, cost, out)
}

func keyedAcquire(h uintptr, key, now, cost uint64, out *C.weir_decision) C.weir_status {
	if useDirect {
		return directKeyedAcquire(h, key, now, cost, out)
	}
	return cgoKeyedAcquire(h, key, now, cost, out)
}

func shedderAcquire(h uintptr, now uint64, out *C.weir_decision) C.weir_status {
	if useDirect {
		return directShedderAcquire(h, now, out)
	}
	return cgoShedderAcquire(h, now, out)
}

func shedderDone(h uintptr, started, now uint64) C.weir_status {
	if useDirect {
		return directShedderDone(h, started, now)
	}
	return cgoShedderDone(h, started, now)
}

func shedderAcquireSlot(h uintptr, slots *C.weir_shedder_slots, now uint64, out *C.weir_shedder_admission) C.weir_status {
	if useDirect {
		return directShedderAcquireSlot(h, slots, now, out)
	}
	return cgoShedderAcquireSlot(h, slots, now, out)
}

func throttleAcquire(h uintptr, now, draw uint64, out *C.weir_decision) C.weir_status {
	if useDirect {
		return directThrottleAcquire(h, now, draw, out)
	}
	return cgoThrottleAcquire(h, now, draw, out)
}

func throttleRecord(h uintptr, now uint64, success bool) C.weir_status {
	if useDirect {
		return directThrottleRecord(h, now, success)
	}
	return cgoThrottleRecord(h, now, success)
}

func pickerPick(h uintptr, now, draw uint64, out *C.weir_pick) C.weir_status {
	if useDirect {
		return directPickerPick(h, now, draw, out)
	}
	return cgoPickerPick(h, now, draw, out)
}

func pickerDone(h uintptr, pick *C.weir_pick, now, latency uint64, success bool, cpu int32) C.weir_status {
	if useDirect {
		return directPickerDone(h, pick, now, latency, success, cpu)
	}
	return cgoPickerDone(h, pick, now, latency, success, cpu)
}
