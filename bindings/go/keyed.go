package weir

/*
#include "hot.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// KeyedLimiter keeps one token bucket per key in a table whose memory is
// fixed when it is made: a new key that finds its set full of live keys is
// refused (TableFull) rather than evicting one.
type KeyedLimiter struct {
	h      *C.weir_keyed_limiter
	events *eventHub
}

// NewKeyedLimiter makes a table of `capacity` entries (a multiple of 8)
// sharing one rate (per second, or Per(period)) and burst. When callers
// choose the keys, pass Seed(HashSeedFromSecret(secret)): unseeded, anyone
// can compute keys that fill another key's set and keep it refused.
func NewKeyedLimiter(rate float64, burst int, capacity int, opts ...LimiterOption) (*KeyedLimiter, error) {
	cfg, err := limiterConfig(rate, burst, opts)
	if err != nil {
		return nil, err
	}
	var c limiterCfg
	for _, o := range opts {
		o(&c)
	}
	seed := nativeSeed(c.seed)
	k := &KeyedLimiter{}
	err = create(func() C.weir_status {
		return C.weir_keyed_limiter_new(&cfg, C.uint64_t(uint64(max(capacity, 0))), seed, &k.h)
	})
	if err != nil {
		return nil, err
	}
	k.events = keyedEvents(k.h)
	runtime.SetFinalizer(k, (*KeyedLimiter).Close)
	return k, nil
}

// SetRate changes every key's rate to `rate` per second (or per
// Per(period)) now, keeping the burst. No key gains tokens from a change:
// each key's bucket keeps the later of its rescaled refill time (as
// Limiter.SetRate) and its old one, so after a faster rate or a smaller
// burst a key drains at the new rate from where it was.
func (k *KeyedLimiter) SetRate(rate float64, opts ...LimiterOption) error {
	per := perOf(opts)
	err := create(func() C.weir_status {
		return C.weir_keyed_limiter_set_rate(k.h, C.double(rate), nanosOf(per), C.weir_now())
	})
	runtime.KeepAlive(k)
	return given(err, rate, per, 0)
}

// SetLimit is SetRate per second, named as in golang.org/x/time/rate.
func (k *KeyedLimiter) SetLimit(rate float64) error { return k.SetRate(rate) }

// SetBurst changes every key's burst now, keeping the rate (the rule of SetRate).
func (k *KeyedLimiter) SetBurst(burst int) error {
	err := create(func() C.weir_status { return C.weir_keyed_limiter_set_burst(k.h, C.double(burst), C.weir_now()) })
	runtime.KeepAlive(k)
	return given(err, 0, 0, burst)
}

func (k *KeyedLimiter) setKernel(now uint64, c kernelLimiterConfig) error {
	cfg := c.native()
	err := create(func() C.weir_status { return C.weir_keyed_limiter_set_config(k.h, &cfg, C.uint64_t(now)) })
	runtime.KeepAlive(k)
	return err
}

// Allow takes one token for `key` now.
func (k *KeyedLimiter) Allow(key string) bool { return k.Acquire(key, 1).Admitted() }

// Acquire asks for `cost` tokens for `key` now. Keys hash as in every weir
// runtime (under the table's seed, if it has one), so a key means the same
// table slot everywhere.
func (k *KeyedLimiter) Acquire(key string, cost int) Decision {
	var d C.weir_decision
	var s C.weir_status
	if useDirect {
		s = directKeyedAcquireBytesNow(handle(unsafe.Pointer(k.h)), key, uint64(max(cost, 0)), &d)
	} else {
		s = cgoKeyedAcquireBytesNow(handle(unsafe.Pointer(k.h)), key, uint64(max(cost, 0)), &d)
	}
	runtime.KeepAlive(k)
	k.events.after()
	return decided(s, &d, TableFull)
}

func (k *KeyedLimiter) acquire(key, now, cost uint64) Decision {
	var d C.weir_decision
	s := keyedAcquire(handle(unsafe.Pointer(k.h)), key, now, cost, &d)
	runtime.KeepAlive(k)
	k.events.after()
	return decided(s, &d, TableFull)
}

// Live counts keys whose bucket is not full now (a gauge; walks the table).
func (k *KeyedLimiter) Live() int { return k.live(Now()) }

func (k *KeyedLimiter) live(now uint64) int {
	var n C.uint64_t
	C.weir_keyed_limiter_live(k.h, C.uint64_t(now), &n)
	runtime.KeepAlive(k)
	return int(n)
}

// Decisions is how many decisions the table has made so far (every key's,
// from every goroutine), by reason: Admitted always, each refusal reason
// (RateLimited, TableFull, ...) once it has happened.
func (k *KeyedLimiter) Decisions() map[Reason]uint64 {
	var c C.weir_decision_counts
	C.weir_keyed_limiter_decisions(k.h, &c)
	runtime.KeepAlive(k)
	return decisionCounts(&c)
}

// Close frees the table. Idempotent.
func (k *KeyedLimiter) Close() error {
	k.events.close()
	C.weir_keyed_limiter_free(&k.h)
	runtime.SetFinalizer(k, nil)
	return nil
}

// HashKey is the stable, unseeded 64-bit key hash every weir runtime gives
// a key of an unseeded table. Anyone can compute it; see HashKeySeeded.
func HashKey(key []byte) uint64 {
	if len(key) == 0 {
		return uint64(C.weir_hash_key(nil, 0))
	}
	return uint64(C.weir_hash_key((*C.uint8_t)(unsafe.Pointer(&key[0])), C.size_t(len(key))))
}
