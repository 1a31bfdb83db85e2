package weir

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLatencyQuantilesReadsTheWindow(t *testing.T) {
	q, err := NewLatencyQuantiles(QuantileWindow(time.Minute, 4))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Quantile(0.5); !errors.Is(err, ErrNoSamples) {
		t.Fatalf("empty window: %v", err)
	}
	for i := 1; i <= 100; i++ {
		q.Record(time.Duration(i) * time.Millisecond)
	}
	p95, err := q.Quantile(0.95)
	if err != nil || p95 < 93*time.Millisecond || p95 > 97*time.Millisecond {
		t.Fatalf("p95 of 1..100 ms: %v, %v", p95, err)
	}
	s := q.Snapshot()
	if s.Count != 100 || q.Count() != 100 || len(s.Buckets) == 0 || s.Buckets[0].Lower > uint64(time.Millisecond) {
		t.Fatalf("snapshot: %+v", s)
	}
	var ce *ConfigError
	if _, err := q.Quantile(1.5); !errors.As(err, &ce) || ce.Field != "q" {
		t.Fatalf("q 1.5: %v", err)
	}
	if _, err := NewLatencyQuantiles(QuantileWindow(time.Second, 5)); !errors.As(err, &ce) || ce.Field != "sub_windows" {
		t.Fatalf("5 sub-windows: %v", err)
	}
}

func TestHotKeysTopNamesTheCallersKeys(t *testing.T) {
	k, err := NewHotKeys(HotKeysCapacity(64), HotKeysSeed(HashSeedFromSecret([]byte("s3cret"))))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for i := 0; i < 3000; i++ {
		switch {
		case i%3 == 0:
			k.Record("user:42")
		case i%5 == 0:
			k.Record("user:7")
		default:
			k.Record(fmt.Sprintf("user:%d", 1000+i))
		}
	}
	top := k.Top(2)
	if len(top) != 2 || top[0].Key != "user:42" || top[1].Key != "user:7" {
		t.Fatalf("top 2: %+v", top)
	}
	if top[0].Count-top[0].Error > 1000 || top[0].Count < 1000 {
		t.Fatalf("user:42 had 1000 requests: %+v", top[0])
	}
	if c, e := k.Estimate("user:42"); c != top[0].Count || e != top[0].Error {
		t.Fatalf("estimate %d/%d, top %+v", c, e, top[0])
	}
	var ce *ConfigError
	if _, err := NewHotKeys(HotKeysCapacity(10)); !errors.As(err, &ce) || ce.Field != "capacity" {
		t.Fatalf("capacity 10: %v", err)
	}
}

func TestHedgeSendsASecondCopyAndCancelsTheLoser(t *testing.T) {
	c := DefaultHedgeConfig()
	c.Ceiling = 20 * time.Millisecond // no samples yet: the delay is the ceiling
	h, err := NewHedger(c)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	p, err := NewPicker(4)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for id := uint64(1); id <= 2; id++ {
		if _, err := p.Add(id); err != nil {
			t.Fatal(err)
		}
	}
	var loserCancelled atomic.Bool
	var nodes sync.Map
	start := time.Now()
	got, err := Hedge(context.Background(), h, func(ctx context.Context, a Attempt) (int, error) {
		nodes.Store(a.N, a.Node)
		if a.N == 0 {
			select {
			case <-ctx.Done():
				loserCancelled.Store(true)
				return 0, ctx.Err()
			case <-time.After(2 * time.Second):
				return 0, nil
			}
		}
		return 7, nil
	}, HedgePicker(p))
	if err != nil || got != 7 {
		t.Fatalf("hedged call: %v, %v", got, err)
	}
	if waited := time.Since(start); waited >= 2*time.Second {
		t.Fatalf("waited for the slow copy: %v", waited)
	}
	first, _ := nodes.Load(0)
	second, _ := nodes.Load(1)
	if first == second || first.(int) < 0 || second.(int) < 0 {
		t.Fatalf("copies on nodes %v and %v: want two different nodes", first, second)
	}
	deadline := time.Now().Add(time.Second)
	for !loserCancelled.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !loserCancelled.Load() {
		t.Fatal("the slow copy's ctx was not cancelled")
	}
	if s := h.Stats(); s.Requests != 1 || s.Hedges != 1 {
		t.Fatalf("stats: %+v", s)
	}
	n0, _ := p.Node(first.(int))
	n1, _ := p.Node(second.(int))
	if n0.InFlight != 0 || n1.InFlight != 0 {
		t.Fatalf("picks left in flight: %d, %d", n0.InFlight, n1.InFlight)
	}
}

func TestHedgeStopsWhenTheBudgetIsSpent(t *testing.T) {
	c := DefaultHedgeConfig()
	c.Ceiling = time.Millisecond
	c.Budget.Ratio, c.Budget.MinPerSecond = 0, 0
	h, err := NewHedger(c)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var calls atomic.Int32
	_, err = Hedge(context.Background(), h, func(ctx context.Context, a Attempt) (struct{}, error) {
		calls.Add(1)
		time.Sleep(10 * time.Millisecond)
		return struct{}{}, errors.New("boom")
	})
	if err == nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls: want the one copy's error", err, calls.Load())
	}
	if s := h.Stats(); s.Hedges != 0 || s.RefusedBudget != 1 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestHotCacheHoldsOnlyHotKeys(t *testing.T) {
	hot, err := NewHotKeys(HotKeysCapacity(64))
	if err != nil {
		t.Fatal(err)
	}
	defer hot.Close()
	g, err := NewGroup(64)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	cache := NewHotCache[string](hot, g, 2, time.Hour)
	var loads atomic.Int32
	load := func(key string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { loads.Add(1); return "v:" + key, nil }
	}
	for i := 0; i < 50; i++ {
		hot.Record("a")
	}
	cache.refresh(time.Now()) // read the top keys now rather than after an hour
	for i := 0; i < 10; i++ {
		if v, err := cache.Get(context.Background(), "a", load("a")); err != nil || v != "v:a" {
			t.Fatalf("get a: %q, %v", v, err)
		}
		if _, err := cache.Get(context.Background(), fmt.Sprintf("cold:%d", i), load("cold")); err != nil {
			t.Fatal(err)
		}
	}
	if loads.Load() != 11 || cache.Len() != 1 {
		t.Fatalf("%d loads, %d held: want a loaded once and no cold key held", loads.Load(), cache.Len())
	}
}
