package weir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestKeyHashVectors replays host/tests/vectors/key-hash.json: the seed a
// secret derives, and each key's seeded and unseeded hash, as in every
// weir runtime.
func TestKeyHashVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "host", "tests", "vectors", "key-hash.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Secret, Key, Seeded, Unseeded string
			Seed                          [2]string
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 18 {
		t.Fatalf("only %d cases", len(file.Cases))
	}
	u64 := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("not a decimal u64: %q", s)
		}
		return v
	}
	for _, c := range file.Cases {
		seed := HashSeedFromSecret([]byte(c.Secret))
		if want := (HashSeed{u64(c.Seed[0]), u64(c.Seed[1])}); seed != want {
			t.Errorf("seed of %q: got %v, want %v", c.Secret, seed, want)
		}
		if got := HashKeySeeded(seed, []byte(c.Key)); got != u64(c.Seeded) {
			t.Errorf("seeded %q under %q: got %d, want %s", c.Key, c.Secret, got, c.Seeded)
		}
		if got := HashKey([]byte(c.Key)); got != u64(c.Unseeded) {
			t.Errorf("unseeded %q: got %d, want %s", c.Key, got, c.Unseeded)
		}
	}
}

// setOf is core's keyed-table placement (weir_core::limiter::set_index),
// written out as an attacker reading the source would.
func setOf(hash uint64, sets uint64) uint64 {
	mixed := (hash * 0x9E3779B97F4A7C15) >> 32
	return (mixed * sets) >> 32
}

// victimAfterAttack makes an hourly table of 1024 keys (128 sets of 8),
// spends one token for each of eight keys crafted offline to share
// "tenant-7"'s set under the public hash, then asks for the victim's first.
func victimAfterAttack(t *testing.T, opts ...LimiterOption) Decision {
	const capacity, ways = 1024, 8
	target := setOf(HashKey([]byte("tenant-7")), capacity/ways)
	var crafted []string
	for i := 0; len(crafted) < ways; i++ {
		if k := fmt.Sprintf("attacker-%d", i); setOf(HashKey([]byte(k)), capacity/ways) == target {
			crafted = append(crafted, k)
		}
	}
	k, err := NewKeyedLimiter(1, 1, capacity, append([]LimiterOption{Per(time.Hour)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, key := range crafted {
		if !k.Allow(key) {
			t.Fatalf("crafted key %s refused", key)
		}
	}
	return k.Acquire("tenant-7", 1)
}

func TestSeededKeyedLimiterIgnoresCraftedKeys(t *testing.T) {
	if d := victimAfterAttack(t); d.Admitted() || d.Reason != TableFull {
		t.Fatalf("unseeded: crafted keys should fill the victim's set, got %+v", d)
	}
	seed := HashSeedFromSecret([]byte("a deployment's own secret"))
	if d := victimAfterAttack(t, Seed(seed)); !d.Admitted() {
		t.Fatalf("seeded: the victim's first request should be admitted, got %+v", d)
	}
}

func TestSeededKeyedLimiterHashesUnderItsSeed(t *testing.T) {
	seed := HashSeedFromSecret([]byte("s3cret"))
	k, err := NewKeyedLimiter(1, 1, 64, Per(time.Hour), Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if !k.Allow("alice") {
		t.Fatal("first token")
	}
	now := Now()
	if k.acquire(HashKeySeeded(seed, []byte("alice")), now, 1).Admitted() {
		t.Fatal("the string key should have spent the seeded hash's token")
	}
	if !k.acquire(HashKey([]byte("alice")), now, 1).Admitted() {
		t.Fatal("the public hash is another key in a seeded table")
	}
}

func TestAZeroSeedIsRefused(t *testing.T) {
	for name, err := range map[string]error{
		"keyed": second(NewKeyedLimiter(1, 1, 64, Seed(HashSeed{}))),
		"group": second(NewGroup(16, GroupSeed(HashSeed{}))),
	} {
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "seed" {
			t.Errorf("%s: want a ConfigError on seed, got %v", name, err)
		}
	}
	g, err := NewGroup(16, GroupSeed(HashSeedFromSecret([]byte("s3cret"))))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
}
