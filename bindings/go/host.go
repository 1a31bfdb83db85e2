package weir

/*
#include "weir.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// CPUSampler reads this process's CPU use in permille of what it may use
// (cgroup v2 quota, else the whole machine from /proc/stat).
type CPUSampler struct {
	mu sync.Mutex
	h  *C.weir_cpu_sampler
}

// NewCPUSampler makes a sampler; the first Sample has nothing to compare
// with and reports false.
func NewCPUSampler() (*CPUSampler, error) {
	s := &CPUSampler{}
	if err := create(func() C.weir_status { return C.weir_cpu_sampler_new(&s.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*CPUSampler).Close)
	return s, nil
}

// Sample is the CPU use since the previous call, permille; false when
// there is no reading (the first call, or an unreadable source).
func (s *CPUSampler) Sample() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p C.uint64_t
	ok := C.weir_cpu_sampler_sample(s.h, &p) == C.WEIR_STATUS_OK
	return uint64(p), ok
}

// Close frees the sampler. Idempotent.
func (s *CPUSampler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	C.weir_cpu_sampler_free(&s.h)
	runtime.SetFinalizer(s, nil)
	return nil
}
