package weir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSetRateKeepsWhatWasSpent(t *testing.T) {
	l, err := NewLimiter(10, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if d := l.Acquire(10); !d.Admitted() {
		t.Fatalf("burst refused: %+v", d)
	}
	if err := l.SetLimit(100); err != nil {
		t.Fatal(err)
	}
	// The 10 tokens spent at 10/s stay spent at 100/s: no new burst, and
	// the next token is due within one new interval (10 ms).
	d := l.Acquire(1)
	if d.Admitted() || d.RetryAfter > 10*time.Millisecond {
		t.Fatalf("after SetLimit: %+v", d)
	}
	if err := l.SetBurst(20); err != nil {
		t.Fatal(err)
	}
	if l.Acquire(11).Admitted() {
		t.Fatal("a larger burst granted tokens at once")
	}
	var ce *ConfigError
	if err := l.SetRate(-1); !errors.As(err, &ce) || ce.Field != "rate" || !strings.HasSuffix(ce.Message, "got -1") {
		t.Fatalf("SetRate(-1): %v", err)
	}
	if err := l.SetBurst(0); !errors.As(err, &ce) || ce.Field != "burst" || !strings.HasSuffix(ce.Message, "got 0") {
		t.Fatalf("SetBurst(0): %v", err)
	}
	if err := l.SetRate(1, Per(-time.Second)); !errors.As(err, &ce) || ce.Field != "per" {
		t.Fatalf("SetRate per -1s: %v", err)
	}
}

func TestKeyedAndSharedSetRateKeepWhatWasSpent(t *testing.T) {
	k, err := NewKeyedLimiter(10, 10, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if !k.Acquire("a", 10).Admitted() {
		t.Fatal("burst refused")
	}
	if err := k.SetRate(100); err != nil {
		t.Fatal(err)
	}
	if k.Allow("a") {
		t.Fatal("the change granted key a a token")
	}
	if !k.Acquire("b", 10).Admitted() {
		t.Fatal("a new key did not start full")
	}

	path := filepath.Join(t.TempDir(), "bucket")
	a, err := OpenSharedLimiter(path, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSharedLimiter(path, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !a.Acquire(10).Admitted() {
		t.Fatal("shared burst refused")
	}
	if err := b.SetLimit(100); err != nil {
		t.Fatal(err)
	}
	if d := a.Acquire(1); d.Admitted() || d.RetryAfter > 10*time.Millisecond {
		t.Fatalf("other handle after SetLimit: %+v", d)
	}
	var ce *ConfigError
	if err := a.SetBurst(0); !errors.As(err, &ce) || ce.Field != "burst" {
		t.Fatalf("SetBurst(0): %v", err)
	}
	_ = os.Remove(path)
}

func TestConcurrentCallersRacingSetBurstStayExact(t *testing.T) {
	// A slow rate (1 an hour) so nothing refills during the test: burst
	// 100 -> 50 while 4 goroutines spend. At most the old burst passes, at
	// least the new one, and afterwards the bucket is empty.
	for round := 0; round < 20; round++ {
		l, err := NewLimiter(1, 100, Per(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 60; i++ {
					if l.Allow() {
						admitted.Add(1)
					}
				}
			}()
		}
		if err := l.SetBurst(50); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if n := admitted.Load(); n < 50 || n > 100 {
			t.Fatalf("round %d: admitted %d", round, n)
		}
		if l.Allow() {
			t.Fatalf("round %d: a token left after the change", round)
		}
		l.Close()
	}
}

func TestMultiLimiterIsAllOrNothing(t *testing.T) {
	m, err := NewMultiLimiter(Rate{Limit: 10, Burst: 5}, Rate{Limit: 2, Per: time.Hour, Burst: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Acquire(2).Admitted() {
		t.Fatal("first request refused")
	}
	d := m.Acquire(1)
	if d.Admitted() || d.RetryAfter < 29*time.Minute {
		t.Fatalf("the hourly rate should refuse for ~30 min: %+v", d)
	}
	// The refusal spent nothing from the per-second rate: with the hourly
	// burst raised, its 3 remaining tokens all pass.
	if err := m.SetRate(1, Rate{Limit: 2, Per: time.Hour, Burst: 5}); err != nil {
		t.Fatal(err)
	}
	if !m.Acquire(3).Admitted() {
		t.Fatal("the refused request spent from the first rate")
	}
	var ce *ConfigError
	if _, err := NewMultiLimiter(); !errors.As(err, &ce) || ce.Field != "rates" {
		t.Fatalf("no rates: %v", err)
	}
	if _, err := NewMultiLimiter(Rate{Limit: 1, Burst: 0}); !errors.As(err, &ce) || ce.Field != "burst" {
		t.Fatalf("burst 0: %v", err)
	}
	if err := m.SetRate(7, Rate{Limit: 1, Burst: 1}); !errors.As(err, &ce) || ce.Field != "index" {
		t.Fatalf("index 7: %v", err)
	}
}
