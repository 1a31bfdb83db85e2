package weir

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterAllowsBurstThenRefusesWithDelay(t *testing.T) {
	l, err := NewLimiter(10, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 3; i++ {
		if !l.Allow() {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	r := l.Reserve()
	if !r.OK() || r.Delay() <= 0 || r.Delay() > 100*time.Millisecond {
		t.Fatalf("reservation after the burst: ok=%v delay=%v", r.OK(), r.Delay())
	}
	if l.AllowN(time.Now(), 4) {
		t.Fatal("AllowN beyond the burst admitted")
	}
	if d := l.Acquire(4); d.Reason != CostExceedsBurst || d.RetryAfter != Never {
		t.Fatalf("cost above burst: %+v", d)
	}
	start := time.Now()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("Wait returned after %v, before a token could exist", waited)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	var rejected *RejectedError
	if err := l.Wait(ctx); !errors.As(err, &rejected) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait past the ctx deadline: %v", err)
	}
}

func TestLimiterFractionalRateAndPer(t *testing.T) {
	l, err := NewLimiter(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	now := time.Now()
	if !l.AllowN(now, 1) || l.AllowN(now.Add(1900*time.Millisecond), 1) || !l.AllowN(now.Add(2*time.Second), 1) {
		t.Fatal("0.5/s should admit one token every 2 s")
	}
	m, err := NewLimiter(2, 1, Per(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.AllowN(now, 1) || m.AllowN(now.Add(29*time.Second), 1) || !m.AllowN(now.Add(30*time.Second), 1) {
		t.Fatal("2 per minute should admit one token every 30 s")
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		field string
	}{
		{"burst", second(NewLimiter(1, 0)), "burst"},
		{"rate", second(NewLimiter(0, 1)), "rate"},
		{"keyed capacity", second(NewKeyedLimiter(1, 1, 12)), "capacity"},
		{"max_in_flight", second(NewConcurrencyLimiter(0)), "max_in_flight"},
		{"cpu_threshold", second(NewShedder(CPUThreshold(2000))), "cpu_threshold"},
		{"k", second(NewThrottle(K(0.5))), "k"},
		{"picker capacity", second(NewPicker(0)), "capacity"},
		{"singleflight capacity", second(NewGroup(0)), "capacity"},
		{"margin", second(NewDeadline(time.Second, 2*time.Second)), "margin_ns"},
		{"multiplier", second(NewBackoff(BackoffConfig{Base: 1, Cap: 1, Multiplier: 0.5, MaxAttempts: 1})), "multiplier"},
	}
	for _, c := range cases {
		var ce *ConfigError
		if !errors.As(c.err, &ce) || ce.Field != c.field || ce.Rule == "" {
			t.Errorf("%s: want a ConfigError on %q, got %v", c.name, c.field, c.err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestCloseIsIdempotentAndRefusesAfter(t *testing.T) {
	l, _ := NewLimiter(100, 10)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.Allow() {
		t.Fatal("a closed limiter admitted")
	}
	s, _ := NewShedder(SampleCPU(time.Millisecond))
	s.Close()
	s.Close()
	if _, err := s.Allow(); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed shedder: %v", err)
	}
}

func TestShedderQueueCapAndDone(t *testing.T) {
	s, err := NewShedder(MaxQueue(1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done, err := s.Allow()
	if err != nil {
		t.Fatal(err)
	}
	var rejected *RejectedError
	if _, err := s.Allow(); !errors.As(err, &rejected) || rejected.Decision.Reason != QueueFull {
		t.Fatalf("second request past max_queue 1: %v", err)
	}
	done(nil)
	if st := s.Stats(); st.InFlight != 0 {
		t.Fatalf("in flight after done: %d", st.InFlight)
	}
	if cpu := s.RecordCPU(1000); cpu <= 0 {
		t.Fatalf("smoothed cpu %v", cpu)
	}
}

func TestThrottleRefusesWhenBackendFails(t *testing.T) {
	th, err := NewThrottle(MinRequests(0), MaxRejectProbability(1))
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	refused := 0
	for i := 0; i < 200; i++ {
		if th.Do(func() error { return errors.New("503") }, nil) != nil {
			var r *RejectedError
			refused++
			_ = errors.As(th.Allow(), &r)
		}
	}
	if refused < 100 {
		t.Fatalf("only %d of 200 refused while every request failed", refused)
	}
}

func TestPickerPrefersTheFastNode(t *testing.T) {
	p, err := NewPicker(4)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	slow, _ := p.Add(1)
	fast, _ := p.Add(2)
	counts := map[int]int{}
	for i := 0; i < 400; i++ {
		pick, err := p.Pick()
		if err != nil {
			t.Fatal(err)
		}
		counts[pick.Index]++
		if pick.Index == slow {
			time.Sleep(200 * time.Microsecond)
		}
		if !pick.Done(nil) || pick.Done(nil) {
			t.Fatal("a pick is good for exactly one Done")
		}
	}
	if counts[fast] <= counts[slow] {
		t.Fatalf("fast node picked %d times, slow %d", counts[fast], counts[slow])
	}
	p.Remove(slow)
	p.Remove(fast)
	if _, err := p.Pick(); !errors.Is(err, ErrNoNode) {
		t.Fatalf("empty picker: %v", err)
	}
}

func TestGroupSharesOneCall(t *testing.T) {
	g, err := NewGroup(64)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]any, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v, err, _ := g.Do(context.Background(), "user:42", func(context.Context) (any, error) {
				calls.Add(1)
				<-release
				return "profile", nil
			})
			if err != nil {
				t.Error(err)
			}
			results[i] = v
		}(i)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("fn ran %d times for one key", n)
	}
	for i, v := range results {
		if v != "profile" {
			t.Fatalf("caller %d got %v", i, v)
		}
	}
}

func TestGroupWaiterLeavesOnItsOwnContext(t *testing.T) {
	g, _ := NewGroup(64)
	defer g.Close()
	release := make(chan struct{})
	cancelled := make(chan struct{})
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	go func() {
		_, err, _ := g.Do(leaderCtx, "k", func(ctx context.Context) (any, error) {
			select {
			case <-release:
				return 1, nil
			case <-ctx.Done():
				close(cancelled)
				return nil, ctx.Err()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("leader: %v", err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	followerCtx, cancelFollower := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelFollower()
	if _, err, shared := g.Do(followerCtx, "k", func(context.Context) (any, error) { return 2, nil }); !errors.Is(err, context.DeadlineExceeded) || !shared {
		t.Fatalf("follower: err %v shared %v", err, shared)
	}
	select {
	case <-cancelled:
		t.Fatal("work cancelled while the leader still waited")
	default:
	}
	cancelLeader()
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Fatal("work not cancelled once every waiter left")
	}
	close(release)
}

func TestDeadlineFromContext(t *testing.T) {
	d, err := NewDeadline(time.Second, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	budget, err := d.Budget(ctx)
	// 100 ms less the 5 ms margin, less what has passed; the deadline
	// reaches the native clock through the Go/native anchor, whose pairing
	// is exact only to within the anchor's own read (tens of µs on a
	// loaded machine), hence the slack above 95 ms.
	if err != nil || budget > 96*time.Millisecond || budget < 80*time.Millisecond {
		t.Fatalf("budget %v, %v", budget, err)
	}
	if b, _ := d.Budget(context.Background()); b != 995*time.Millisecond {
		t.Fatalf("no caller deadline: %v", b)
	}
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := d.Budget(past); !errors.Is(err, ErrDeadlineExceeded) {
		t.Fatalf("expired ctx: %v", err)
	}
	if FormatGrpcTimeout(95*time.Millisecond) != "95000000n" {
		t.Fatal(FormatGrpcTimeout(95 * time.Millisecond))
	}
	if v, err := ParseGrpcTimeout("100m"); err != nil || v != 100*time.Millisecond {
		t.Fatal(v, err)
	}
	var he *HeaderError
	if _, err := ParseGrpcTimeout("10s"); !errors.As(err, &he) || he.Reason != "invalid_unit" {
		t.Fatal(err)
	}
}

func TestRetryHonoursAdviceAttemptsAndBudget(t *testing.T) {
	c := DefaultBackoffConfig()
	c.Base, c.Cap, c.MaxAttempts = time.Millisecond, 2*time.Millisecond, 3
	b, err := NewBackoff(c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	budget, err := NewRetryBudget(DefaultRetryBudgetConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer budget.Close()
	calls := 0
	err = Retry(context.Background(), b, budget, func(context.Context) error {
		calls++
		return &AdvisedError{Err: errors.New("429"), After: time.Millisecond}
	})
	var rejected *RejectedError
	if calls != 3 || !errors.As(err, &rejected) || rejected.Decision.Reason != AttemptsExhausted {
		t.Fatalf("calls %d, err %v", calls, err)
	}
	calls = 0
	if err := Retry(context.Background(), b, budget, func(context.Context) error {
		calls++
		if calls < 2 {
			return errors.New("flaky")
		}
		return nil
	}); err != nil || calls != 2 {
		t.Fatalf("calls %d, err %v", calls, err)
	}
}

func TestKeyedLimiterKeysAreIndependent(t *testing.T) {
	k, err := NewKeyedLimiter(1, 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if !k.Allow("a") || k.Allow("a") || !k.Allow("b") {
		t.Fatal("one token per key")
	}
	if k.Live() != 2 {
		t.Fatalf("live %d", k.Live())
	}
	if HashKey([]byte("tenant-7")) != 0xd410a48a2f93679a {
		t.Fatal("key hash differs from the other runtimes")
	}
}

func TestLimiterHoldsUnderContention(t *testing.T) {
	l, _ := NewLimiter(1, 500, Per(time.Hour))
	defer l.Close()
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if l.Allow() {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := admitted.Load(); n != 500 {
		t.Fatalf("admitted %d, want exactly the burst of 500", n)
	}
}

func TestRetryWithoutABudget(t *testing.T) {
	c := DefaultBackoffConfig()
	c.Base, c.Cap, c.MaxAttempts = time.Millisecond, 2*time.Millisecond, 4
	b, err := NewBackoff(c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	calls := 0
	err = Retry(context.Background(), b, nil, func(context.Context) error {
		calls++
		return errors.New("unavailable")
	})
	var rejected *RejectedError
	if calls != 4 || !errors.As(err, &rejected) || rejected.Decision.Reason != AttemptsExhausted {
		t.Fatalf("calls %d, err %v", calls, err)
	}
}
