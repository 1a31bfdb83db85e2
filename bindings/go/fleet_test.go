package weir

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// redisURL is the redis-server the fleet tests lease from. A plain `go test`
// without one skips them; `make test` starts one and sets WEIR_REQUIRE_REDIS,
// so CI cannot pass with the fleet tests silently skipped.
func redisURL(t *testing.T) string {
	url := os.Getenv("WEIR_REDIS_URL")
	if url == "" {
		const why = "WEIR_REDIS_URL is not set: the fleet tests need a redis-server (see ci/suites/40-ffi-go.sh)"
		if os.Getenv("WEIR_REQUIRE_REDIS") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	return url
}

// hammer asks from `workers` goroutines, one request every ~200 us each,
// for `d`; it returns how many were admitted.
func hammer(f *FleetLimiter, workers int, d time.Duration) int64 {
	var admitted atomic.Int64
	var wg sync.WaitGroup
	until := time.Now().Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(until) {
				if f.Allow() {
					admitted.Add(1)
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	return admitted.Load()
}

func TestFleetLimiterLeasesFromRedis(t *testing.T) {
	key := fmt.Sprintf("weir:go:fleet:%d:%d", os.Getpid(), time.Now().UnixNano())
	f, err := NewFleetLimiter(redisURL(t), key, 2000, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bound, maxBatch := f.Bound()
	if bound <= 0 || bound >= 1 || maxBatch != 200 {
		t.Fatalf("bound %v, max batch %d", bound, maxBatch)
	}
	start := time.Now()
	admitted := hammer(f, 4, 800*time.Millisecond)
	elapsed := time.Since(start).Seconds()
	s := f.Stats()
	t.Logf("%d admitted in %.2f s, %d Redis calls, %d leases", admitted, elapsed, s.RedisCalls, s.Leases)
	if s.Admitted != uint64(admitted) || s.InFallback || s.Fallbacks != 0 || s.Leases == 0 {
		t.Fatalf("stats %+v after %d admitted", s, admitted)
	}
	// A fresh key starts empty and fills at the limit's rate.
	if admitted == 0 || float64(admitted) > 2000*elapsed+2000*bound {
		t.Fatalf("%d admitted in %.2f s of a 2000/s limit (bound %.3f)", admitted, elapsed, bound)
	}
	if s.RedisCalls*4 > uint64(admitted) {
		t.Fatalf("%d Redis calls for %d admitted: not batching", s.RedisCalls, admitted)
	}
	if d := f.Acquire(int(maxBatch) + 1); d.Reason != CostExceedsBurst || d.RetryAfter != Never {
		t.Fatalf("cost above the batch: %+v", d)
	}
}

func TestFleetLimiterRedisDownServesOnlyTheShare(t *testing.T) {
	// Nothing listens on port 1: every connection is refused at once.
	f, err := NewFleetLimiter("redis://127.0.0.1:1", "weir:go:down", 200, time.Second, FleetNodes(2))
	if err != nil {
		t.Fatalf("Redis down must not be an error: %v", err)
	}
	defer f.Close()
	deadline := time.Now().Add(2 * time.Second)
	for !f.Stats().InFallback && time.Now().Before(deadline) {
		f.Allow() // demand makes the refill thread ask Redis
		time.Sleep(time.Millisecond)
	}
	s := f.Stats()
	if !s.InFallback || s.Admitted != s.FallbackAdmitted {
		t.Fatalf("not on the share: %+v", s)
	}
	// The share is 200 / 2 = 100/s with a burst of 1, however hard we ask.
	start := time.Now()
	var admitted int
	for time.Since(start) < 300*time.Millisecond {
		if f.Allow() {
			admitted++
		}
	}
	elapsed := time.Since(start).Seconds()
	if admitted < 5 || float64(admitted) > 100*elapsed+2 {
		t.Fatalf("%d admitted in %.2f s on a 100/s share", admitted, elapsed)
	}
	if s := f.Stats(); s.Leases != 0 || s.Fallbacks == 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFleetLimiterConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		field string
		make  func() (*FleetLimiter, error)
	}{
		{"limit", func() (*FleetLimiter, error) { return NewFleetLimiter("redis://127.0.0.1:1", "k", 0, time.Second) }},
		{"limit", func() (*FleetLimiter, error) { return NewFleetLimiter("redis://127.0.0.1:1", "k", -5, time.Second) }},
		{"period", func() (*FleetLimiter, error) { return NewFleetLimiter("redis://127.0.0.1:1", "k", 10, 0) }},
		{"key", func() (*FleetLimiter, error) { return NewFleetLimiter("redis://127.0.0.1:1", "", 10, time.Second) }},
		{"key", func() (*FleetLimiter, error) {
			return NewFleetLimiter("redis://127.0.0.1:1", "a\x00b", 10, time.Second)
		}},
		{"redis_url", func() (*FleetLimiter, error) { return NewFleetLimiter("http://127.0.0.1:1", "k", 10, time.Second) }},
		{"redis_url", func() (*FleetLimiter, error) { return NewFleetLimiter("redis://\x00", "k", 10, time.Second) }},
		{"nodes", func() (*FleetLimiter, error) {
			return NewFleetLimiter("redis://127.0.0.1:1", "k", 10, time.Second, FleetNodes(11))
		}},
		{"redis_timeout", func() (*FleetLimiter, error) {
			return NewFleetLimiter("redis://127.0.0.1:1", "k", 10, time.Second, FleetRedisTimeout(-time.Second))
		}},
		{"max_batch", func() (*FleetLimiter, error) {
			return NewFleetLimiter("redis://127.0.0.1:1", "k", 10, time.Second, FleetBatches(0, 1<<30))
		}},
	}
	for _, c := range cases {
		f, err := c.make()
		var ce *ConfigError
		if f != nil || !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("want a ConfigError naming %s, got %v (%#v)", c.field, err, ce)
		}
	}
}

func TestFleetLimiterCloseIsIdempotent(t *testing.T) {
	f, err := NewFleetLimiter("redis://127.0.0.1:1", "weir:go:close", 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	f.Close()
	if f.Allow() || f.Acquire(1).Admitted() {
		t.Fatal("a closed limiter admitted")
	}
	if s := f.Stats(); s != (FleetStats{}) {
		t.Fatalf("stats of a closed limiter: %+v", s)
	}
}
