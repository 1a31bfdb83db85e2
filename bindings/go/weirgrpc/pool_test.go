package weirgrpc

import (
	"context"
	"errors"
	"testing"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestThePoolMovesCallsOffAFailingBackend(t *testing.T) {
	good := &health{}
	bad := &health{answer: func(context.Context, int64) (error, metadata.MD) { return status.Error(codes.Internal, "broken"), nil }}
	picker, err := weir.NewPicker(4)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewPool(picker, []*grpc.ClientConn{dial(t, serve(t, good)), dial(t, serve(t, bad))})
	if err != nil {
		t.Fatal(err)
	}
	client := healthpb.NewHealthClient(pool)
	ctx := testContext(t)
	for range 200 {
		_ = check(ctx, client)
	}
	t.Logf("good %d, bad %d", good.calls.Load(), bad.calls.Load())
	if good.calls.Load()+bad.calls.Load() != 200 || bad.calls.Load() > 40 {
		t.Fatalf("good backend %d calls, failing one %d: want most of the 200 on the good one", good.calls.Load(), bad.calls.Load())
	}
}

func TestAPoolRetryPicksAgain(t *testing.T) {
	good := &health{}
	bad := &health{answer: unavailableWith(nil)}
	picker, err := weir.NewPicker(4)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewPool(picker, []*grpc.ClientConn{dial(t, serve(t, bad)), dial(t, serve(t, good))},
		WithPoolUnaryInterceptors(RetryUnaryClientInterceptor(backoff(t, 10), nil)))
	if err != nil {
		t.Fatal(err)
	}
	pool.SetUp(1, false)
	client := healthpb.NewHealthClient(pool)
	// Only the failing backend is up: the retries run out on it.
	if err := check(testContext(t), client); status.Code(err) != codes.Unavailable || bad.calls.Load() != 10 {
		t.Fatalf("%v after %d calls: want UNAVAILABLE after 10", err, bad.calls.Load())
	}
	pool.SetUp(1, true)
	pool.SetUp(0, false)
	if err := check(testContext(t), client); err != nil || good.calls.Load() != 1 {
		t.Fatalf("%v, %d calls on the good backend: want the call there", err, good.calls.Load())
	}
	pool.SetUp(1, false)
	err = check(testContext(t), client)
	var local *LocalError
	if !errors.As(err, &local) || !errors.Is(err, weir.ErrNoNode) || status.Code(err) != codes.Unavailable {
		t.Fatalf("%v: want a local UNAVAILABLE (no node up)", err)
	}
}

func TestThePoolLeavesABackendReportingItsCPUAboveTheCeiling(t *testing.T) {
	cool := &health{answer: func(context.Context, int64) (error, metadata.MD) { return nil, metadata.Pairs(CPUKey, "200") }}
	hot := &health{answer: func(context.Context, int64) (error, metadata.MD) { return nil, metadata.Pairs(CPUKey, "990") }}
	picker, err := weir.NewPicker(4)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewPool(picker, []*grpc.ClientConn{dial(t, serve(t, hot)), dial(t, serve(t, cool))})
	if err != nil {
		t.Fatal(err)
	}
	client := healthpb.NewHealthClient(pool)
	ctx := testContext(t)
	for range 200 {
		if err := check(ctx, client); err != nil {
			t.Fatal(err)
		}
	}
	if cpu, ok := picker.Node(0); !ok || cpu.CPUPermille < 900 {
		t.Fatalf("the hot backend's node %+v: want its reported CPU folded in", cpu)
	}
	t.Logf("hot %d, cool %d", hot.calls.Load(), cool.calls.Load())
	if hot.calls.Load() > 40 {
		t.Fatalf("hot backend %d calls, cool one %d: want most of the 200 on the cool one", hot.calls.Load(), cool.calls.Load())
	}
}
