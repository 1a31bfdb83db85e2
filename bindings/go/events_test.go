package weir

import (
	"math"
	"sync"
	"testing"
	"time"
)

// recorder collects events from OnEvent; a callback that panics on every
// event is registered first, so each test also shows that a panicking
// callback neither stops delivery nor touches a decision.
type recorder struct {
	mu     sync.Mutex
	events []Event
	seen   chan struct{}
}

func listen(t *testing.T, on func(func(Event))) *recorder {
	t.Helper()
	on(func(Event) { panic("a listener's bug") })
	return record(t, on)
}

// record registers only the recorder: where events are queued before any
// listener, the first registration may be drained at once, so a recorder
// registered after another listener could find the queue already empty.
func record(t *testing.T, on func(func(Event))) *recorder {
	t.Helper()
	r := &recorder{seen: make(chan struct{}, 1024)}
	on(func(e Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
		r.seen <- struct{}{}
	})
	return r
}

// edges waits until the edges (every kind but EventRefused) number `want`
// and the refusals counted add up to `refusals`, and returns the edges.
func (r *recorder) edges(t *testing.T, want int, refusals uint64) []Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		var edges []Event
		var counted uint64
		for _, e := range r.events {
			if e.Kind == EventRefused {
				counted += e.Count
			} else {
				edges = append(edges, e)
			}
		}
		r.mu.Unlock()
		if len(edges) >= want && counted >= refusals {
			if len(edges) != want || counted != refusals {
				t.Fatalf("got %d edges %v and %d refusals counted, want %d and %d", len(edges), edges, counted, want, refusals)
			}
			return edges
		}
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatalf("timed out with edges %v and %d refusals counted, want %d and %d", edges, counted, want, refusals)
		}
	}
}

func kinds(events []Event) []EventKind {
	out := make([]EventKind, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

func sameKinds(t *testing.T, got []Event, want ...EventKind) {
	t.Helper()
	g := kinds(got)
	if len(g) != len(want) {
		t.Fatalf("kinds %v, want %v", g, want)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Fatalf("kinds %v, want %v", g, want)
		}
	}
}

func TestShedderEventsDroppingStartsAndStopsOnce(t *testing.T) {
	s, err := NewShedder(MaxQueue(1), CoolOff(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := listen(t, s.OnEvent)
	t0 := Now()
	if d := s.acquire(t0); !d.Admitted() {
		t.Fatalf("first request refused: %v", d)
	}
	for i := range uint64(3) {
		if d := s.acquire(t0 + 1 + i); d.Reason != QueueFull {
			t.Fatalf("a second request in flight was %v, want QueueFull", d.Reason)
		}
	}
	s.done(t0, t0+10)
	// Inside the cool-off an admission leaves the shedder dropping.
	if d := s.acquire(t0 + 500_000_000); !d.Admitted() {
		t.Fatalf("refused with nothing in flight: %v", d)
	}
	s.done(t0+500_000_000, t0+500_000_010)
	if d := s.acquire(t0 + 2_000_000_000); !d.Admitted() {
		t.Fatalf("refused with nothing in flight: %v", d)
	}
	edges := r.edges(t, 2, 3)
	sameKinds(t, edges, EventDroppingStarted, EventDroppingStopped)
	if edges[0].Reason != QueueFull || edges[1].Count != 3 {
		t.Fatalf("started by %v, stopped after %d refusals; want QueueFull and 3", edges[0].Reason, edges[1].Count)
	}
	if got := edges[1].At.Sub(edges[1].Since); got != 2_000_000_000-1 {
		t.Fatalf("dropping lasted %v, want 2s - 1ns", got)
	}
	if EventDroppingStarted.String() != "dropping_started" {
		t.Fatalf("name %q", EventDroppingStarted.String())
	}
}

func TestThrottleEventsRefusingStartsAndStops(t *testing.T) {
	th, err := NewThrottle(K(1), MinRequests(1), MaxRejectProbability(1))
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	r := listen(t, th.OnEvent)
	t0 := Now()
	th.acquire(t0, 0) // below min_requests: admitted
	refused := uint64(0)
	for i := range uint64(4) {
		if d := th.acquire(t0+1+i, 0); d.Reason == Throttled {
			refused++
		}
	}
	if refused != 4 {
		t.Fatalf("refused %d of 4 with nothing accepted", refused)
	}
	// A bucket (250 ms) later, a draw above the probability is admitted.
	if d := th.acquire(t0+uint64(time.Second), math.MaxUint64); !d.Admitted() {
		t.Fatalf("the highest draw was refused: %v", d)
	}
	sameKinds(t, r.edges(t, 2, 4), EventRefusingStarted, EventRefusingStopped)
}

func TestRetryBudgetEventsExhaustedThenRecovered(t *testing.T) {
	b, err := NewRetryBudget(RetryBudgetConfig{Ratio: 1, MinPerSecond: 0, Window: 10 * time.Second, Buckets: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := listen(t, b.OnEvent)
	t0 := Now()
	b.deposit(t0)
	if d := b.withdraw(t0, 0, math.MaxUint64); !d.Admitted() {
		t.Fatalf("one retry per request was refused: %v", d)
	}
	for range 2 {
		if d := b.withdraw(t0+1, 0, math.MaxUint64); d.Reason != BudgetExhausted {
			t.Fatalf("a second retry was %v, want BudgetExhausted", d.Reason)
		}
	}
	later := t0 + 2*uint64(time.Second)
	b.deposit(later)
	if d := b.withdraw(later, 0, math.MaxUint64); !d.Admitted() {
		t.Fatalf("a retry after a new request was refused: %v", d)
	}
	sameKinds(t, r.edges(t, 2, 2), EventBudgetExhausted, EventBudgetRecovered)
}

func TestKeyedLimiterEventsTableFullThenRecovered(t *testing.T) {
	k, err := NewKeyedLimiter(1, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	r := listen(t, k.OnEvent)
	t0 := Now()
	for key := range uint64(8) {
		if d := k.acquire(key, t0, 1); !d.Admitted() {
			t.Fatalf("key %d of 8 refused: %v", key, d)
		}
	}
	if d := k.acquire(8, t0, 1); d.Reason != TableFull {
		t.Fatalf("a ninth key was %v, want TableFull", d.Reason)
	}
	// A second later the first key finds an entry again.
	k.acquire(0, t0+uint64(time.Second), 1)
	edges := r.edges(t, 2, 1)
	sameKinds(t, edges, EventTableFull, EventTableRecovered)
}

func TestNoListenerNoDelivery(t *testing.T) {
	k, err := NewKeyedLimiter(1, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	for key := range uint64(9) {
		k.acquire(key, 1, 1)
	}
	if k.events.fns.Load() != nil {
		t.Fatal("a listener appeared")
	}
	// Registering late delivers what was queued before.
	r := record(t, k.OnEvent)
	sameKinds(t, r.edges(t, 1, 1), EventTableFull)
	k.Close()
	k.Close()
}
