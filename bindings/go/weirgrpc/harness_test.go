package weirgrpc

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// health is grpc's generated health service with a scripted answer, so the
// tests need no protoc: answer runs for each Check and returns the status
// to answer with (nil: SERVING) and the trailer to send.
type health struct {
	healthpb.UnimplementedHealthServer
	calls  atomic.Int64
	answer func(ctx context.Context, call int64) (error, metadata.MD)
}

func (h *health) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	call := h.calls.Add(1)
	if h.answer != nil {
		err, trailer := h.answer(ctx, call)
		if trailer != nil {
			_ = grpc.SetTrailer(ctx, trailer)
		}
		if err != nil {
			return nil, err
		}
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// Watch sends one SERVING and ends with what answer returns, when set.
func (h *health) Watch(_ *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	call := h.calls.Add(1)
	if err := stream.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}); err != nil {
		return err
	}
	if h.answer != nil {
		err, _ := h.answer(stream.Context(), call)
		return err
	}
	return nil
}

// serve starts a grpc-go server on 127.0.0.1 with opts and returns its address.
func serve(t *testing.T, h *health, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(server, h)
	go func() { _ = server.Serve(lis) }()
	t.Cleanup(server.Stop)
	return lis.Addr().String()
}

// policed is a server behind the weir interceptors over a policy document.
func policed(t *testing.T, document string, h *health) (string, *weir.Policy) {
	t.Helper()
	policy, err := weir.NewPolicy(document)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(policy.Close)
	addr := serve(t, h,
		grpc.ChainUnaryInterceptor(UnaryServerInterceptor(policy)),
		grpc.ChainStreamInterceptor(StreamServerInterceptor(policy)))
	return addr, policy
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func check(ctx context.Context, client healthpb.HealthClient, opts ...grpc.CallOption) error {
	_, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, opts...)
	return err
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func unavailableWith(trailer metadata.MD) func(context.Context, int64) (error, metadata.MD) {
	return func(context.Context, int64) (error, metadata.MD) {
		return status.Error(14, "overloaded"), trailer
	}
}
