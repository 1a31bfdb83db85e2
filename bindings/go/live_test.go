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
	// 10 spent of 20: 10 free, not 20.
	if l.Acquire(11).Admitted() || !l.Acquire(10).Admitted() {
		t.Fatal("a larger burst forgot what was spent")
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

func TestSetLimitAtAndSetBurstAtTakeTheTimeGiven(t *testing.T) {
	l, err := NewLimiter(10, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	if !l.AllowN(start, 10) {
		t.Fatal("burst refused")
	}
	// As of 500 ms later, 5 of the 10 tokens are back; at 1/s the 5 still
	// spent are 5 s of debt, so 5 pass then and a sixth waits.
	later := start.Add(500 * time.Millisecond)
	if err := l.SetLimitAt(later, 1); err != nil {
		t.Fatal(err)
	}
	if !l.AllowN(later, 5) || l.AllowN(later, 1) {
		t.Fatal("SetLimitAt did not keep what was spent as of its time")
	}
	// 10 spent (10 s of debt at 1/s) of a burst of 20: 10 free.
	if err := l.SetBurstAt(later, 20); err != nil {
		t.Fatal(err)
	}
	if l.AllowN(later, 11) || !l.AllowN(later, 10) || l.AllowN(later, 1) || !l.AllowN(later.Add(time.Second), 1) {
		t.Fatal("SetBurstAt did not keep what was spent, or the rate did not refill")
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
