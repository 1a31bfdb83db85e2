package weir

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

var errBackend = errors.New("backend failed")

func TestBreakerOpensRefusesAndReportsStateChanges(t *testing.T) {
	var mu sync.Mutex
	var changes []StateChange
	delivered := make(chan struct{}, 8)
	b, err := NewBreaker(WindowCalls(4), MinimumCalls(4), OpenDuration(time.Hour),
		OnStateChange(func(c StateChange) {
			mu.Lock()
			changes = append(changes, c)
			mu.Unlock()
			delivered <- struct{}{}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for i, fail := range []bool{false, true, false, true} {
		got := b.Do(ctx, func(context.Context) error {
			if fail {
				return errBackend
			}
			return nil
		})
		if (got != nil) != fail {
			t.Fatalf("call %d: %v", i, got)
		}
	}
	called := false
	err = b.Do(ctx, func(context.Context) error { called = true; return nil })
	var rejected *RejectedError
	if !errors.As(err, &rejected) || rejected.Decision.Reason != CircuitOpen || called {
		t.Fatalf("an open breaker must refuse without calling: %v, called %v", err, called)
	}
	if ra := rejected.Decision.RetryAfter; ra <= 59*time.Minute || ra > time.Hour {
		t.Fatalf("retry after is the time left in open, got %s", ra)
	}
	select {
	case <-delivered:
	case <-time.After(5 * time.Second):
		t.Fatal("OnStateChange was not called")
	}
	mu.Lock()
	c := changes[0]
	mu.Unlock()
	if c.From != BreakerClosed || c.To != BreakerOpen || c.Cause != "failure_rate" || c.Calls != 4 || c.Failures != 2 {
		t.Fatalf("change %+v", c)
	}
	if d := time.Since(c.At); d < 0 || d > time.Minute {
		t.Fatalf("change time %s is not now", c.At)
	}
	s := b.Stats()
	if s.State != BreakerOpen || s.Admitted != 4 || s.RefusedOpen != 1 {
		t.Fatalf("stats %+v", s)
	}
	b.Reset()
	<-delivered
	if b.State() != BreakerClosed {
		t.Fatalf("reset: %s", b.State())
	}
}

func TestBreakerGivesBackWhatSaysNothingAboutTheService(t *testing.T) {
	b, err := NewBreaker(ConsecutiveFailures(1), FailureRateThreshold(0), SlowCalls(0, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	_ = b.Do(ctx, func(context.Context) error { cancel(); return context.Canceled })
	_ = b.Do(context.Background(), func(context.Context) error { return &RejectedError{Decision: Decision{Reason: RateLimited}} })
	if s := b.Stats(); s.State != BreakerClosed || s.Calls != 0 {
		t.Fatalf("cancelled and locally refused calls must not count: %+v", s)
	}
	quiet, _ := NewBreaker(ConsecutiveFailures(1), IsFailure(func(err error) bool { return !errors.Is(err, errBackend) }))
	defer quiet.Close()
	done, err := quiet.Allow()
	if err != nil {
		t.Fatal(err)
	}
	done(errBackend)
	done(errors.New("a second report is ignored"))
	if s := quiet.Stats(); s.State != BreakerClosed || s.Failures != 0 {
		t.Fatalf("IsFailure decides what fails: %+v", s)
	}
}

func TestBreakerBadConfigNamesFieldRuleAndValue(t *testing.T) {
	cases := []struct {
		opt   BreakerOption
		field string
		got   string
	}{
		{WindowCalls(0), "window_calls", "got 0"},
		{HalfOpenProbes(31), "half_open_probes", "got 31"},
		{FailureRateThreshold(101), "failure_rate_threshold", "got 101"},
		{MinimumCalls(-3), "minimum_calls", "got -3"},
		{OpenDuration(-time.Second), "open_ns", "got -1s"},
		{WindowDuration(time.Second, 3), "window_ns", "got 1000000000"},
	}
	for _, c := range cases {
		_, err := NewBreaker(c.opt)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(ce.Message, c.got) {
			t.Errorf("want a config error on %s (%s), got %v", c.field, c.got, err)
		}
	}
}

func TestAdaptiveLimiterRefusesAtTheLimitAndLearns(t *testing.T) {
	l, err := NewAdaptiveLimiter(InitialLimit(2), LimitBounds(1, 50))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r1, d1 := l.Acquire()
	r2, d2 := l.Acquire()
	_, d3 := l.Acquire()
	if !d1.Admitted() || !d2.Admitted() || d3.Reason != ConcurrencyLimited {
		t.Fatalf("limit 2: %v %v %v", d1, d2, d3)
	}
	time.Sleep(2 * time.Millisecond)
	r1(OutcomeSuccess)
	r1(OutcomeSuccess)
	r2(OutcomeIgnored)
	s := l.Stats()
	if s.InFlight != 0 || s.Admitted != 2 || s.Refused != 1 || s.BaselineRTT < time.Millisecond {
		t.Fatalf("stats %+v", s)
	}
	err = l.Do(context.Background(), func(context.Context) error { return nil })
	if err != nil || l.Stats().InFlight != 0 {
		t.Fatalf("Do: %v", err)
	}
	if _, err := NewAdaptiveLimiter(Algorithm(Vegas), LimitBounds(10, 5)); err == nil {
		t.Fatal("max below min must be refused")
	} else if ce := (*ConfigError)(nil); !errors.As(err, &ce) || ce.Field != "max_limit" {
		t.Fatalf("want max_limit, got %v", err)
	}
	if _, err := NewAdaptiveLimiter(Algorithm(AIMD), BackoffRatio(1, time.Second)); err == nil {
		t.Fatal("a backoff ratio of 1 must be refused")
	}
	if c := DefaultAdaptiveConfig(Vegas); c.MinLimit != 1 || c.MaxLimit != 1000 || c.Smoothing != 1 {
		t.Fatalf("vegas defaults %+v", c)
	}
}
