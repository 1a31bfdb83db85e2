package weir

/*
#include "hot.h"
*/
import "C"

import (
	"runtime"
	"time"
)

// Rate is one limit of a MultiLimiter: Limit tokens per Per (a second when
// zero), bursts of Burst.
type Rate struct {
	Limit float64
	Per   time.Duration
	Burst int
}

// MultiLimiter holds several rates (10 a second and 1000 an hour) decided
// in one call: a request is admitted only if every rate admits it, and a
// refusal spends from none. Safe for concurrent use.
type MultiLimiter struct {
	h *C.weir_multi_limiter
}

// NewMultiLimiter makes a limiter of 1 to 4 rates, each with a full bucket.
// A bad rate is a *ConfigError naming the field.
func NewMultiLimiter(rates ...Rate) (*MultiLimiter, error) {
	cfgs := make([]C.weir_limiter_config, len(rates))
	for i, r := range rates {
		per := r.Per
		if per == 0 {
			per = time.Second
		}
		cfg, err := limiterConfig(r.Limit, r.Burst, []LimiterOption{Per(per)})
		if err != nil {
			return nil, err
		}
		cfgs[i] = cfg
	}
	return newMulti(cfgs)
}

// newMultiKernel builds from core's configs as they are, for the replays.
func newMultiKernel(ks []kernelLimiterConfig) (*MultiLimiter, error) {
	cfgs := make([]C.weir_limiter_config, len(ks))
	for i, k := range ks {
		cfgs[i] = k.native()
	}
	return newMulti(cfgs)
}

func newMulti(cfgs []C.weir_limiter_config) (*MultiLimiter, error) {
	m := &MultiLimiter{}
	// One spare element, so the pointer is valid even for no rates (which
	// the native side refuses by name). The configs hold no Go pointers, so
	// cgo lets C read them in place.
	buf := append(cfgs[:len(cfgs):len(cfgs)], C.weir_limiter_config{})
	err := create(func() C.weir_status { return C.weir_multi_limiter_new(&buf[0], C.size_t(len(cfgs)), &m.h) })
	if err != nil {
		return nil, err
	}
	runtime.SetFinalizer(m, (*MultiLimiter).Close)
	return m, nil
}

// Allow takes one token from every rate now, or none.
func (m *MultiLimiter) Allow() bool { return m.Acquire(1).Admitted() }

// Acquire asks every rate for `cost` tokens now. Admitted: Remaining is the
// fewest any rate has left. Refused: the refusal of the rate that waits
// longest (when it admits, so does every other), nothing spent.
func (m *MultiLimiter) Acquire(cost int) Decision {
	var d C.weir_decision
	s := C.weir_multi_limiter_acquire_now(m.h, C.uint64_t(max(cost, 0)), &d)
	runtime.KeepAlive(m)
	return decided(s, &d, RateLimited)
}

func (m *MultiLimiter) acquire(now, cost uint64) Decision {
	var d C.weir_decision
	s := C.weir_multi_limiter_acquire(m.h, C.uint64_t(now), C.uint64_t(cost), &d)
	runtime.KeepAlive(m)
	return decided(s, &d, RateLimited)
}

// SetRate changes rate `index` (in the order given) now, keeping what it
// spent (the rule of Limiter.SetRate).
func (m *MultiLimiter) SetRate(index int, rate Rate) error {
	per := rate.Per
	if per == 0 {
		per = time.Second
	}
	cfg, err := limiterConfig(rate.Limit, rate.Burst, []LimiterOption{Per(per)})
	if err != nil {
		return err
	}
	return m.setNative(uint64(Now()), index, cfg)
}

func (m *MultiLimiter) setKernel(now uint64, index int, k kernelLimiterConfig) error {
	return m.setNative(now, index, k.native())
}

func (m *MultiLimiter) setNative(now uint64, index int, cfg C.weir_limiter_config) error {
	err := create(func() C.weir_status {
		return C.weir_multi_limiter_set_config(m.h, C.size_t(max(index, 0)), &cfg, C.uint64_t(now))
	})
	runtime.KeepAlive(m)
	return err
}

// Close frees the native limiter; later calls refuse. Idempotent.
func (m *MultiLimiter) Close() error {
	C.weir_multi_limiter_free(&m.h)
	runtime.SetFinalizer(m, nil)
	return nil
}
