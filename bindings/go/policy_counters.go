package weir

/*
#include "weir.h"
*/
import "C"

import (
	"regexp"
	"runtime"
	"unsafe"
)

// PolicyCounter is one counter of a policy: `weir.<rule>.<outcome>`, the
// Envoy filter's name, and its total since the policy was made (across
// reloads for names kept).
type PolicyCounter struct {
	Name  string
	Value uint64
}

// Counters is every counter the loaded document defines, in rule order,
// as the engine counts them: metrics exporters read this on scrape.
func (p *Policy) Counters() []PolicyCounter {
	var snapshot *C.weir_counters
	if C.weir_policy_counters(p.h, &snapshot) != C.WEIR_STATUS_OK {
		return nil
	}
	runtime.KeepAlive(p)
	defer C.weir_counters_free(&snapshot)
	n := int(C.weir_counters_len(snapshot))
	out := make([]PolicyCounter, 0, n)
	for i := range n {
		var c C.weir_counter
		if C.weir_counters_get(snapshot, C.size_t(i), &c) != C.WEIR_STATUS_OK {
			break
		}
		out = append(out, PolicyCounter{
			Name:  C.GoStringN((*C.char)(unsafe.Pointer(c.name)), C.int(c.name_len)),
			Value: uint64(c.value),
		})
	}
	return out
}

// The filter's stats tag regex, without Envoy's `wasmcustom.` namespace.
var (
	counterName = regexp.MustCompile(`^weir\.(.+?)\.([a-z_]+|picked\..+)$`)
	unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)
)

// MetricName is the metric name and the rule of a policy counter as Envoy
// exports the filter's to Prometheus (`weir.api.limited` -> `weir_limited`,
// rule `api`), for exporters of a Policy's counters.
func MetricName(counter string) (name, rule string) {
	found := counterName.FindStringSubmatch(counter)
	if found == nil {
		return unsafeChars.ReplaceAllString(counter, "_"), ""
	}
	return "weir_" + unsafeChars.ReplaceAllString(found[2], "_"), found[1]
}
