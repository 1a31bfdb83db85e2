package weirgrpc

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
)

func TestTheBalancerMovesCallsOffAFailingSubConnection(t *testing.T) {
	good := &health{}
	bad := &health{answer: func(context.Context, int64) (error, metadata.MD) { return status.Error(codes.Internal, "broken"), nil }}
	r := manual.NewBuilderWithScheme("weirtest")
	r.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: serve(t, good)}, {Addr: serve(t, bad)}}})
	cc := dial(t, r.Scheme()+":///backends", grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"`+BalancerName+`": {}}]}`))
	client := healthpb.NewHealthClient(cc)
	ctx := testContext(t)
	// Both sub-connections ready before counting, so the picker is built over both.
	for good.calls.Load() == 0 || bad.calls.Load() == 0 {
		if ctx.Err() != nil {
			t.Fatal("the calls never reached both backends")
		}
		_ = check(ctx, client, grpc.WaitForReady(true))
	}
	good.calls.Store(0)
	bad.calls.Store(0)
	for range 200 {
		_ = check(ctx, client)
	}
	t.Logf("good %d, bad %d", good.calls.Load(), bad.calls.Load())
	if good.calls.Load()+bad.calls.Load() != 200 || bad.calls.Load() > 40 {
		t.Fatalf("good backend %d calls, failing one %d: want most of the 200 on the good one", good.calls.Load(), bad.calls.Load())
	}
}
