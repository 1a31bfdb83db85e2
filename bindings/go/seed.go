package weir

/*
#include "weir.h"
*/
import "C"

import "unsafe"

// HashSeed is the 128-bit secret a KeyedLimiter or Group hashes its keys
// under. Without one a key's place in the table is public, so anyone who
// chooses keys (a header, a path, a user name) can compute offline keys
// that crowd another key's set and keep it refused TableFull. Keep it
// secret; processes that share keyed state share the seed.
type HashSeed struct{ K0, K1 uint64 }

// HashSeedFromSecret derives the seed of a secret of any length (a
// passphrase, a random string from a secret store), the same seed every
// weir runtime derives from those bytes. An empty secret gives a seed
// everyone can compute: use a real one.
func HashSeedFromSecret(secret []byte) HashSeed {
	var s C.weir_hash_seed
	var p *C.uint8_t
	if len(secret) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&secret[0]))
	}
	C.weir_hash_seed_from_secret(p, C.size_t(len(secret)), &s)
	return HashSeed{K0: uint64(s.k0), K1: uint64(s.k1)}
}

// HashKeySeeded is the hash of key under seed: where a table made with
// Seed(seed) places it, in every weir runtime.
func HashKeySeeded(seed HashSeed, key []byte) uint64 {
	var p *C.uint8_t
	if len(key) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&key[0]))
	}
	return uint64(C.weir_hash_key_seeded(seed.native(), p, C.size_t(len(key))))
}

// Seed makes a KeyedLimiter hash its keys under seed. Limiters without
// keys have nothing to hash and ignore it.
func Seed(seed HashSeed) LimiterOption {
	return func(c *limiterCfg) { c.seed = &seed }
}

// GroupOption adjusts a Group.
type GroupOption func(*groupCfg)

type groupCfg struct{ seed *HashSeed }

// GroupSeed makes a Group hash its keys under seed, so no caller can pick
// keys that occupy another key's slot and leave its callers unshared.
func GroupSeed(seed HashSeed) GroupOption {
	return func(c *groupCfg) { c.seed = &seed }
}

func (s HashSeed) native() C.weir_hash_seed {
	return C.weir_hash_seed{k0: C.uint64_t(s.K0), k1: C.uint64_t(s.K1)}
}

// nativeSeed is the constructor's seed argument: NULL for none.
func nativeSeed(s *HashSeed) *C.weir_hash_seed {
	if s == nil {
		return nil
	}
	n := s.native()
	return &n
}
