package weirgrpc

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const limitOf5 = `{"rules": [{"name": "health", "match": {"path_prefix": "/grpc.health.v1.Health/"},
	"limit": {"rate": 5, "per": "1h", "burst": 5}}]}`

func TestEightClientsAgainstALimitOfNAdmitExactlyN(t *testing.T) {
	h := &health{}
	addr, policy := policed(t, limitOf5, h)
	ctx := testContext(t)
	var mu sync.Mutex
	got := map[codes.Code]int{}
	var trailers []metadata.MD
	var wg sync.WaitGroup
	for range 8 {
		client := healthpb.NewHealthClient(dial(t, addr))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				var trailer metadata.MD
				err := check(ctx, client, grpc.Trailer(&trailer))
				mu.Lock()
				got[status.Code(err)]++
				if err != nil {
					trailers = append(trailers, trailer)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got[codes.OK] != 5 || got[codes.ResourceExhausted] != 75 || len(got) != 2 {
		t.Fatalf("codes %v, want 5 OK and 75 RESOURCE_EXHAUSTED", got)
	}
	if h.calls.Load() != 5 {
		t.Fatalf("the handler ran %d times, want 5", h.calls.Load())
	}
	for _, tr := range trailers {
		after, _ := strconv.Atoi(first(nil, tr, "retry-after"))
		pushback, err := strconv.Atoi(first(nil, tr, PushbackKey))
		// One token every 12 minutes: the next comes within 720 s.
		if err != nil || after < 1 || after > 720 || first(nil, tr, "x-weir-rule") != "health" {
			t.Fatalf("trailer %v: want retry-after in [1, 720] s, a pushback and x-weir-rule health", tr)
		}
		// An answer the engine marks no-retry says so in gRPC's words too;
		// an unmarked one tells when to come back.
		if marked := first(nil, tr, NoRetryKey) == "1"; (marked && pushback != -1) || (!marked && pushback != after*1000) {
			t.Fatalf("trailer %v: want pushback -1 with x-weir-no-retry, else retry-after in ms", tr)
		}
	}
	if n := policy.Counter("weir.health.limited"); n != 75 {
		t.Fatalf("weir.health.limited = %d, want 75", n)
	}
}

func TestAStreamIsCheckedWhenItOpens(t *testing.T) {
	h := &health{}
	addr, _ := policed(t, `{"rules": [{"name": "watch", "match": {"path_exact": "/grpc.health.v1.Health/Watch"},
		"limit": {"rate": 1, "per": "1h"}}]}`, h)
	client := healthpb.NewHealthClient(dial(t, addr))
	ctx := testContext(t)
	var codesSeen []codes.Code
	var trailer metadata.MD
	for range 2 {
		stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = stream.Recv()
		codesSeen = append(codesSeen, status.Code(err))
		trailer = stream.Trailer()
	}
	if codesSeen[0] != codes.OK || codesSeen[1] != codes.ResourceExhausted || h.calls.Load() != 1 {
		t.Fatalf("codes %v and %d handler runs, want [OK RESOURCE_EXHAUSTED] and 1", codesSeen, h.calls.Load())
	}
	if first(nil, trailer, PushbackKey) == "" {
		t.Fatalf("the refused stream's trailer %v has no %s", trailer, PushbackKey)
	}
	// Unary calls match no rule.
	if err := check(ctx, client); err != nil {
		t.Fatal(err)
	}
}

func TestAShedCallIsUnavailable(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h := &health{answer: func(context.Context, int64) (error, metadata.MD) {
		entered <- struct{}{}
		<-release
		return nil, nil
	}}
	addr, _ := policed(t, `{"rules": [{"name": "cap", "shed": {"max_in_flight": 1}}]}`, h)
	client := healthpb.NewHealthClient(dial(t, addr))
	ctx := testContext(t)
	done := make(chan error)
	go func() { done <- check(ctx, client) }()
	<-entered
	var trailer metadata.MD
	err := check(ctx, client, grpc.Trailer(&trailer))
	close(release)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("second call while one is in flight: %v, want UNAVAILABLE", err)
	}
	if trailer.Get("x-weir-rule")[0] != "cap" || first(nil, trailer, PushbackKey) == "" {
		t.Fatalf("trailer %v: want x-weir-rule cap and a pushback", trailer)
	}
	if err := <-done; err != nil {
		t.Fatalf("the call in flight: %v", err)
	}
}

func TestACostNoWaitCanAdmitSaysDoNotRetry(t *testing.T) {
	addr, _ := policed(t, `{"rules": [{"name": "weighted", "limit": {"rate": 5, "burst": 5, "cost_header": "x-weight"}}]}`, &health{})
	client := healthpb.NewHealthClient(dial(t, addr))
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-weight", "9")
	var trailer metadata.MD
	err := check(ctx, client, grpc.Trailer(&trailer))
	if status.Code(err) != codes.ResourceExhausted || first(nil, trailer, PushbackKey) != "-1" || first(nil, trailer, NoRetryKey) != "1" {
		t.Fatalf("%v with trailer %v: want RESOURCE_EXHAUSTED, pushback -1 and x-weir-no-retry 1", err, trailer)
	}
}

func TestTheDeadlineRuleBoundsTheHandlersContext(t *testing.T) {
	var left time.Duration
	h := &health{answer: func(ctx context.Context, _ int64) (error, metadata.MD) {
		deadline, _ := ctx.Deadline()
		left = time.Until(deadline)
		return nil, nil
	}}
	addr, policy := policed(t, `{"rules": [{"name": "bounded", "deadline": {"timeout": "200ms", "margin": "20ms"}}]}`, h)
	client := healthpb.NewHealthClient(dial(t, addr))
	ctx := testContext(t)
	if err := check(ctx, client); err != nil || left <= 0 || left > 180*time.Millisecond {
		t.Fatalf("err %v, handler had %s left: want at most 200ms - 20ms", err, left)
	}
	// The caller's own grpc-timeout is shorter: it wins, less the margin.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := check(short, client); err != nil || left <= 0 || left > 80*time.Millisecond {
		t.Fatalf("err %v, handler had %s left: want at most 100ms - 20ms", err, left)
	}
	if n := policy.Counter("weir.bounded.deadline_set"); n != 2 {
		t.Fatalf("weir.bounded.deadline_set = %d, want 2", n)
	}
	// Less than the margin left: refused before the handler.
	tight, cancel2 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel2()
	calls := h.calls.Load()
	if err := check(tight, client); status.Code(err) != codes.DeadlineExceeded || h.calls.Load() != calls {
		t.Fatalf("%v: want DEADLINE_EXCEEDED without running the handler", err)
	}
}

func TestTheGrpcStatusIsReportedToTheThrottle(t *testing.T) {
	failing := &health{answer: unavailableWith(nil)}
	addr, policy := policed(t, `{"rules": [{"name": "upstream", "throttle": {"min_requests": 1000, "grpc_failures": ["UNAVAILABLE"]}}]}`, failing)
	client := healthpb.NewHealthClient(dial(t, addr))
	ctx := testContext(t)
	for range 3 {
		if err := check(ctx, client); status.Code(err) != codes.Unavailable {
			t.Fatalf("%v: want the handler's UNAVAILABLE", err)
		}
	}
	if n := policy.Counter("weir.upstream.upstream_failures"); n != 3 {
		t.Fatalf("weir.upstream.upstream_failures = %d, want 3 (the handler's grpc-status reported)", n)
	}
	if n := policy.Counter("weir.upstream.throttle_passed"); n != 3 {
		t.Fatalf("weir.upstream.throttle_passed = %d, want 3", n)
	}
}

func TestTheTrailerFollowsTheVerdict(t *testing.T) {
	for name, c := range map[string]struct {
		reason   string
		header   http.Header
		pushback string
		noRetry  string
	}{
		"retry-after in ms":           {"rate_limited", http.Header{"Retry-After": {"2"}}, "2000", ""},
		"exact ns rounded up to ms":   {"cpu_overloaded", http.Header{"Retry-After": {"1"}, "X-Weir-Retry-After-Ns": {"1500001"}}, "2", ""},
		"marked no-retry":             {"throttled", http.Header{"Retry-After": {"1"}, "X-Weir-No-Retry": {"1"}}, "-1", "1"},
		"the engine's pushback kept":  {"rate_limited", http.Header{"Grpc-Retry-Pushback-Ms": {"-1"}, "X-Weir-No-Retry": {"1"}}, "-1", "1"},
		"no wait can admit":           {"cost_exceeds_burst", http.Header{"Retry-After": {"1"}}, "-1", "1"},
		"no retry-after, no pushback": {"deadline_exceeded", http.Header{}, "", ""},
	} {
		md := Trailer(&weir.Verdict{Reason: c.reason, Header: c.header})
		if first(nil, md, PushbackKey) != c.pushback || first(nil, md, NoRetryKey) != c.noRetry {
			t.Errorf("%s: trailer %v, want pushback %q and x-weir-no-retry %q", name, md, c.pushback, c.noRetry)
		}
	}
}

func TestCodesByReason(t *testing.T) {
	for reason, want := range map[string]codes.Code{
		"rate_limited": codes.ResourceExhausted, "table_full": codes.ResourceExhausted,
		"cpu_overloaded": codes.Unavailable, "queue_full": codes.Unavailable, "throttled": codes.Unavailable,
		"concurrency_limited": codes.Unavailable, "circuit_open": codes.Unavailable,
		"deadline_exceeded": codes.DeadlineExceeded,
	} {
		if got := Code(reason); got != want {
			t.Errorf("Code(%q) = %s, want %s", reason, got, want)
		}
	}
}

func TestAnAdmittedCallGetsTheVerdictsHeaders(t *testing.T) {
	var cluster, upstream string
	h := &health{answer: func(ctx context.Context, _ int64) (error, metadata.MD) {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("x-weir-cluster"); len(v) > 0 {
			cluster = v[0]
		}
		if v, ok := VerdictFrom(ctx); ok {
			upstream = v.Upstream
		}
		return nil, nil
	}}
	addr, _ := policed(t, `{"rules": [{"name": "api", "limit": {"rate": 10, "per": "1h", "headers_on_success": true},
		"pick": {"clusters": ["only"]}}]}`, h)
	client := healthpb.NewHealthClient(dial(t, addr))
	var header metadata.MD
	if err := check(testContext(t), client, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if first(header, nil, "x-ratelimit-remaining") != "9" || first(header, nil, "x-ratelimit-limit") != "10" {
		t.Fatalf("response header %v: want x-ratelimit-limit 10, remaining 9", header)
	}
	if cluster != "only" || upstream != "only" {
		t.Fatalf("the handler saw cluster %q and verdict upstream %q, want the picked one", cluster, upstream)
	}
}
