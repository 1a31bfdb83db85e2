package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
)

// The example as it runs: on a loopback port, the burst meets the limit of
// 5, the refusals carry a pushback, the retried check is admitted.
func TestTheBurstIsLimitedAndTheRetryAdmitted(t *testing.T) {
	policy, err := weir.LoadPolicy("policy.json")
	if err != nil {
		t.Fatal(err)
	}
	defer policy.Close()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := newServer(policy)
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out strings.Builder
	codes, err := run(ctx, listener.Addr().String(), &out)
	if err != nil {
		t.Fatalf("the retried check: %v\n%s", err, out.String())
	}
	// 10 calls at once against 5 a second: 5 admitted, unless the clock
	// crossed a token's 200 ms while they ran.
	if codes["OK"] < 5 || codes["OK"] > 6 || codes["OK"]+codes["ResourceExhausted"] != 10 {
		t.Fatalf("codes %v, want 5 OK and the rest RESOURCE_EXHAUSTED\n%s", codes, out.String())
	}
	if !strings.Contains(out.String(), "(grpc-retry-pushback-ms: ") {
		t.Fatalf("no pushback in\n%s", out.String())
	}
	// The burst's refusals, and the retried check's first attempt unless a token came by then.
	if n, refused := policy.Counter("weir.health_check.limited"), uint64(codes["ResourceExhausted"]); n < refused || n > refused+1 {
		t.Fatalf("weir.health_check.limited = %d, want %d or %d", n, refused, refused+1)
	}
}
