package weirgrpc

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func backoff(t *testing.T, attempts int) *weir.Backoff {
	t.Helper()
	c := weir.DefaultBackoffConfig()
	c.Base, c.Cap, c.MaxAttempts = time.Millisecond, 2*time.Millisecond, attempts
	b, err := weir.NewBackoff(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func retrying(t *testing.T, addr string, b *weir.Backoff, budget *weir.RetryBudget) healthpb.HealthClient {
	return healthpb.NewHealthClient(dial(t, addr, grpc.WithChainUnaryInterceptor(RetryUnaryClientInterceptor(b, budget))))
}

func TestRetryWaitsTheServersPushback(t *testing.T) {
	h := &health{answer: func(_ context.Context, call int64) (error, metadata.MD) {
		if call <= 2 {
			return status.Error(codes.Unavailable, "busy"), metadata.Pairs(PushbackKey, "60")
		}
		return nil, nil
	}}
	client := retrying(t, serve(t, h), backoff(t, 5), nil)
	started := time.Now()
	if err := check(testContext(t), client); err != nil {
		t.Fatal(err)
	}
	// The backoff alone waits at most 2 x 2 ms; the pushback asks 2 x 60 ms.
	if elapsed := time.Since(started); h.calls.Load() != 3 || elapsed < 120*time.Millisecond {
		t.Fatalf("%d calls in %s: want 3 calls, at least 2 x 60 ms apart", h.calls.Load(), elapsed)
	}
}

func TestRetryStopsWhenTheServerSaysSo(t *testing.T) {
	for name, trailer := range map[string]metadata.MD{
		"negative pushback":  metadata.Pairs(PushbackKey, "-1"),
		"malformed pushback": metadata.Pairs(PushbackKey, "soon"),
		"x-weir-no-retry":    metadata.Pairs(NoRetryKey, "1"),
	} {
		t.Run(name, func(t *testing.T) {
			h := &health{answer: unavailableWith(trailer)}
			err := check(testContext(t), retrying(t, serve(t, h), backoff(t, 5), nil))
			if status.Code(err) != codes.Unavailable || h.calls.Load() != 1 {
				t.Fatalf("%v after %d calls: want UNAVAILABLE after 1", err, h.calls.Load())
			}
		})
	}
}

func TestRetryRunsOutOfAttemptsAndBudget(t *testing.T) {
	h := &health{answer: unavailableWith(nil)}
	addr := serve(t, h)
	err := check(testContext(t), retrying(t, addr, backoff(t, 3), nil))
	var refused *weir.RejectedError
	if status.Code(err) != codes.Unavailable || !errors.As(err, &refused) || refused.Decision.Reason != weir.AttemptsExhausted || h.calls.Load() != 3 {
		t.Fatalf("%v after %d calls: want UNAVAILABLE and attempts_exhausted after 3", err, h.calls.Load())
	}
	// A budget with nothing in it: no retry at all.
	empty, err := weir.NewRetryBudget(weir.RetryBudgetConfig{Ratio: 0, MinPerSecond: 0, Window: time.Second, Buckets: 10})
	if err != nil {
		t.Fatal(err)
	}
	h.calls.Store(0)
	err = check(testContext(t), retrying(t, addr, backoff(t, 3), empty))
	if !errors.As(err, &refused) || refused.Decision.Reason != weir.BudgetExhausted || h.calls.Load() != 1 {
		t.Fatalf("%v after %d calls: want budget_exhausted after 1", err, h.calls.Load())
	}
	// Codes not retried end at once.
	h.answer = func(context.Context, int64) (error, metadata.MD) { return status.Error(codes.NotFound, "no"), nil }
	h.calls.Store(0)
	if err := check(testContext(t), retrying(t, addr, backoff(t, 3), nil)); status.Code(err) != codes.NotFound || h.calls.Load() != 1 {
		t.Fatalf("%v after %d calls: want NOT_FOUND after 1", err, h.calls.Load())
	}
}

func TestRetryAgainstAWeirServerFollowsItsAnswer(t *testing.T) {
	// One token every 150 ms; debug headers give the exact retry-after.
	h := &health{}
	addr, policy := policed(t, `{"rules": [{"name": "slow", "limit": {"rate": 1, "per": "150ms", "burst": 1}, "debug_headers": true}]}`, h)
	client := retrying(t, addr, backoff(t, 3), nil)
	ctx := testContext(t)
	if err := check(ctx, client); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	var trailer metadata.MD
	err := check(ctx, client, grpc.Trailer(&trailer))
	elapsed := time.Since(started)
	if first(nil, trailer, NoRetryKey) == "1" {
		// The engine marks its overload answers (the filter's "retry at one
		// layer only"): the refusal is final, not retried.
		if status.Code(err) != codes.ResourceExhausted || policy.Counter("weir.slow.limited") != 1 || first(nil, trailer, PushbackKey) != "-1" {
			t.Fatalf("%v, %d refusals, trailer %v: want one RESOURCE_EXHAUSTED with pushback -1, not retried", err, policy.Counter("weir.slow.limited"), trailer)
		}
		return
	}
	// An unmarked refusal is retried after its pushback, the retry-after.
	if err != nil || h.calls.Load() != 2 || elapsed < 100*time.Millisecond {
		t.Fatalf("%v, %d handler runs in %s: want the retry admitted after ~150 ms", err, h.calls.Load(), elapsed)
	}
}

func TestRetryDoesNotRepeatAResourceExhaustedWithoutPushback(t *testing.T) {
	h := &health{answer: func(context.Context, int64) (error, metadata.MD) {
		return status.Error(codes.ResourceExhausted, "quota"), nil
	}}
	if err := check(testContext(t), retrying(t, serve(t, h), backoff(t, 3), nil)); status.Code(err) != codes.ResourceExhausted || h.calls.Load() != 1 {
		t.Fatalf("%v after %d calls: want RESOURCE_EXHAUSTED after 1", err, h.calls.Load())
	}
}

func TestTheThrottleRefusesLocallyWhenTheServerRefuses(t *testing.T) {
	h := &health{answer: unavailableWith(nil)}
	throttle, err := weir.NewThrottle(weir.MinRequests(5))
	if err != nil {
		t.Fatal(err)
	}
	client := healthpb.NewHealthClient(dial(t, serve(t, h), grpc.WithChainUnaryInterceptor(ThrottleUnaryClientInterceptor(throttle))))
	ctx := testContext(t)
	local := 0
	for range 100 {
		err := check(ctx, client)
		var refused *LocalError
		switch {
		case errors.As(err, &refused):
			local++
			if status.Code(err) != codes.Unavailable {
				t.Fatalf("a local refusal reads as %s, want UNAVAILABLE", status.Code(err))
			}
		case status.Code(err) != codes.Unavailable:
			t.Fatalf("%v: want the server's UNAVAILABLE", err)
		}
	}
	// After 5 failures the refusal probability is 5/6 and climbs to its 0.9 cap.
	if local < 50 || int(h.calls.Load())+local != 100 {
		t.Fatalf("%d local refusals, %d server calls: want most of the 100 refused locally", local, h.calls.Load())
	}
	if p := throttle.Stats().RejectProbability; p < 0.8 {
		t.Fatalf("reject probability %f, want near its 0.9 cap", p)
	}
}

func TestTheDeadlineInterceptorPassesTheBudgetOn(t *testing.T) {
	var left time.Duration
	h := &health{answer: func(ctx context.Context, _ int64) (error, metadata.MD) {
		deadline, _ := ctx.Deadline()
		left = time.Until(deadline)
		return nil, nil
	}}
	d, err := weir.NewDeadline(100*time.Millisecond, 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	client := healthpb.NewHealthClient(dial(t, serve(t, h), grpc.WithChainUnaryInterceptor(DeadlineUnaryClientInterceptor(d))))
	if err := check(testContext(t), client); err != nil || left <= 0 || left > 70*time.Millisecond {
		t.Fatalf("err %v, the server had %s: want at most 100ms - 30ms", err, left)
	}
	tight, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = check(tight, client)
	var local *LocalError
	if !errors.As(err, &local) || status.Code(err) != codes.DeadlineExceeded || !errors.Is(err, weir.ErrDeadlineExceeded) || h.calls.Load() != 1 {
		t.Fatalf("%v: want a local DEADLINE_EXCEEDED, the server not called", err)
	}
}

// watch opens a Watch stream and reads it to its end: the code it ended with.
func watch(ctx context.Context, client healthpb.HealthClient) error {
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func TestTheStreamInterceptorsThrottleAndBoundStreams(t *testing.T) {
	var left time.Duration
	h := &health{answer: func(ctx context.Context, _ int64) (error, metadata.MD) {
		deadline, _ := ctx.Deadline()
		left = time.Until(deadline)
		return status.Error(codes.Unavailable, "overloaded"), nil
	}}
	throttle, err := weir.NewThrottle(weir.MinRequests(5))
	if err != nil {
		t.Fatal(err)
	}
	d, err := weir.NewDeadline(time.Second, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	client := healthpb.NewHealthClient(dial(t, serve(t, h), grpc.WithChainStreamInterceptor(
		DeadlineStreamClientInterceptor(d), ThrottleStreamClientInterceptor(throttle))))
	ctx := testContext(t)
	local := 0
	for range 60 {
		err := watch(ctx, client)
		var refused *LocalError
		switch {
		case errors.As(err, &refused):
			local++
		case status.Code(err) != codes.Unavailable:
			t.Fatalf("%v: want the server's UNAVAILABLE at the stream's end", err)
		}
	}
	if local < 25 || int(h.calls.Load())+local != 60 {
		t.Fatalf("%d streams refused locally, %d reached the server: want most of the 60 refused once the failures were recorded", local, h.calls.Load())
	}
	if left <= 0 || left > 900*time.Millisecond {
		t.Fatalf("the server's stream had %s left: want at most 1s - 100ms", left)
	}
}
