package weir

/*
#include "weir.h"
*/
import "C"

import (
	"runtime"
	"time"
	"unsafe"
)

// HotKeys finds the most requested keys of a stream in fixed memory
// (Space-Saving over 16-counter sets; 1,024 counters by default, whose
// counts halve every 10 s so a key that stops coming fades). Safe for
// concurrent use.
type HotKeys struct {
	h *C.weir_hot_keys
}

// HotKeysOption adjusts a detector.
type HotKeysOption func(*hotKeysCfg)

type hotKeysCfg struct {
	c    C.weir_hot_keys_config
	seed *HashSeed
}

// HotKeysCapacity sets the counters: a multiple of 16, up to 2^20.
func HotKeysCapacity(n int) HotKeysOption {
	return func(c *hotKeysCfg) { c.c.capacity = C.uint64_t(uint64(max(n, 0))) }
}

// HalfLife sets how often every count halves (>= 1 ms; math.MaxInt64
// never halves).
func HalfLife(d time.Duration) HotKeysOption {
	return func(c *hotKeysCfg) { c.c.half_life_ns = C.uint64_t(ceilingNs(d)) }
}

// HotKeysSeed hashes keys under seed, so callers who choose keys cannot
// crowd one set with crafted keys.
func HotKeysSeed(seed HashSeed) HotKeysOption { return func(c *hotKeysCfg) { c.seed = &seed } }

// HotKey is one key of a Top answer: it had at most Count requests
// (decayed) and at least Count - Error.
type HotKey struct {
	Key   string
	Hash  uint64 // what the detector counts it under
	Count uint64
	Error uint64
}

// NewHotKeys makes an empty detector; a bad option is a *ConfigError.
func NewHotKeys(opts ...HotKeysOption) (*HotKeys, error) {
	var c hotKeysCfg
	C.weir_hot_keys_config_default(&c.c)
	for _, o := range opts {
		o(&c)
	}
	k := &HotKeys{}
	seed := nativeSeed(c.seed)
	if err := create(func() C.weir_status { return C.weir_hot_keys_new(&c.c, seed, &k.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(k, (*HotKeys).Close)
	return k, nil
}

// Record counts one request for key.
func (k *HotKeys) Record(key string) {
	C.weir_hot_keys_record_now(k.h, (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(key))), C.size_t(len(key)))
	runtime.KeepAlive(k)
}

func (k *HotKeys) recordHashed(now, hash uint64) {
	C.weir_hot_keys_record_hashed(k.h, C.uint64_t(now), C.uint64_t(hash))
	runtime.KeepAlive(k)
}

// Top is the n keys that surely had the most requests, largest
// Count - Error first.
func (k *HotKeys) Top(n int) []HotKey { return k.top(Now(), n) }

func (k *HotKeys) top(now uint64, n int) []HotKey {
	if n <= 0 {
		return nil
	}
	raw := make([]C.weir_hot_key, n)
	keys := make([]byte, 64*n)
	var got, need C.size_t
	for {
		C.weir_hot_keys_top(k.h, C.uint64_t(now), &raw[0], C.size_t(n), (*C.uint8_t)(unsafe.Pointer(&keys[0])), C.size_t(len(keys)), &got, &need)
		if int(need) <= len(keys) {
			break
		}
		keys = make([]byte, int(need))
	}
	runtime.KeepAlive(k)
	out := make([]HotKey, 0, int(got))
	for _, r := range raw[:int(got)] {
		h := HotKey{Hash: uint64(r.hash), Count: uint64(r.count), Error: uint64(r.error)}
		if r.key_len != ^C.size_t(0) {
			h.Key = string(keys[int(r.key_offset) : int(r.key_offset)+int(r.key_len)])
		}
		out = append(out, h)
	}
	return out
}

// Estimate is what the detector knows of key: at most count requests, at
// least count - errorBound. A key without a counter gets its set's
// smallest count, all of it error.
func (k *HotKeys) Estimate(key string) (count, errorBound uint64) {
	var hash C.uint64_t
	C.weir_hot_keys_hash(k.h, (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(key))), C.size_t(len(key)), &hash)
	return k.estimate(Now(), uint64(hash))
}

func (k *HotKeys) estimate(now, hash uint64) (count, errorBound uint64) {
	var c, e C.uint64_t
	C.weir_hot_keys_estimate(k.h, C.uint64_t(now), C.uint64_t(hash), &c, &e)
	runtime.KeepAlive(k)
	return uint64(c), uint64(e)
}

func (k *HotKeys) total(now uint64) uint64 {
	var t C.uint64_t
	C.weir_hot_keys_total(k.h, C.uint64_t(now), &t)
	runtime.KeepAlive(k)
	return uint64(t)
}

// Close frees the detector. Idempotent.
func (k *HotKeys) Close() error {
	C.weir_hot_keys_free(&k.h)
	return nil
}
