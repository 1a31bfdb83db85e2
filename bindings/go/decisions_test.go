package weir

import (
	"path/filepath"
	"sync"
	"testing"
)

func TestLimiterDecisionsCountEveryAskByReason(t *testing.T) {
	l, err := NewLimiter(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.Decisions(); len(got) != 1 || got[Admitted] != 0 {
		t.Fatalf("fresh limiter: %v, want only Admitted: 0", got)
	}
	l.Allow()
	l.Acquire(1)
	l.Allow()    // the bucket of 2 is spent: rate limited
	l.Acquire(3) // more than the burst
	l.State()    // decides nothing
	got := l.Decisions()
	want := map[Reason]uint64{Admitted: 2, RateLimited: 1, CostExceedsBurst: 1}
	if len(got) != len(want) {
		t.Fatalf("decisions %v, want %v", got, want)
	}
	for r, n := range want {
		if got[r] != n {
			t.Fatalf("decisions %v, want %v", got, want)
		}
	}
}

func TestLimiterDecisionsLoseNoCountAcrossGoroutines(t *testing.T) {
	l, err := NewLimiter(1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				l.Allow()
			}
		}()
	}
	wg.Wait()
	got := l.Decisions()
	// Tokens come back at 1 a second: a slow machine may admit one more.
	if got[Admitted]+got[RateLimited] != 2000 || got[Admitted] < 1000 || got[Admitted] > 1002 {
		t.Fatalf("decisions %v, want 2000 in all, about 1000 admitted", got)
	}
}

func TestKeyedLimiterDecisionsCountEveryKey(t *testing.T) {
	k, err := NewKeyedLimiter(1, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	k.Allow("a")
	k.Allow("b")
	k.Allow("a")
	k.Acquire("c", 2)
	got := k.Decisions()
	if got[Admitted] != 2 || got[RateLimited] != 1 || got[CostExceedsBurst] != 1 || len(got) != 3 {
		t.Fatalf("decisions %v, want Admitted: 2, RateLimited: 1, CostExceedsBurst: 1", got)
	}
}

func TestSharedLimiterDecisionsAreThisHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "decisions")
	a, err := OpenSharedLimiter(path, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSharedLimiter(path, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Acquire(2)
	b.Allow()
	if got := a.Decisions(); got[Admitted] != 1 || len(got) != 1 {
		t.Fatalf("a: %v, want Admitted: 1 only", got)
	}
	if got := b.Decisions(); got[Admitted] != 0 || got[RateLimited] != 1 {
		t.Fatalf("b: %v, want Admitted: 0, RateLimited: 1", got)
	}
}

func TestShedderAndThrottleDecisions(t *testing.T) {
	s, err := NewShedder(MaxQueue(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done, err := s.Allow()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allow(); err == nil {
		t.Fatal("a second request past MaxQueue(1) was admitted")
	}
	done(nil)
	if done, err := s.Allow(); err == nil {
		done(nil)
	}
	if got := s.Decisions(); got[Admitted] != 2 || got[QueueFull] != 1 {
		t.Fatalf("shedder: %v, want Admitted: 2, QueueFull: 1", got)
	}

	th, err := NewThrottle(MinRequests(0), MaxRejectProbability(1))
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	var throttled uint64
	for range 50 {
		if err := th.Allow(); err != nil {
			throttled++
			continue
		}
		th.Record(false)
	}
	got := th.Decisions()
	if throttled == 0 || got[Throttled] != throttled || got[Admitted] != 50-throttled {
		t.Fatalf("throttle: %v, want Throttled: %d, Admitted: %d", got, throttled, 50-throttled)
	}
}
