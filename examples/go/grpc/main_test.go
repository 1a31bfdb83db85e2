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
// 5, the refusals carry their rule and a pushback, and the check through
// the retry interceptor follows the refusal's marker.
func TestTheBurstIsLimitedAndTheRetryFollowsTheAnswer(t *testing.T) {
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
		t.Fatal(err)
	}
	text := out.String()
	// 10 calls at once against 5 a second: 5 admitted, unless the clock
	// crossed a token's 200 ms while they ran.
	if codes["OK"] < 5 || codes["OK"] > 6 || codes["OK"]+codes["ResourceExhausted"] != 10 {
		t.Fatalf("codes %v, want 5 OK and the rest RESOURCE_EXHAUSTED\n%s", codes, text)
	}
	if strings.Count(text, "x-weir-rule=health_check grpc-retry-pushback-ms=") != codes["ResourceExhausted"] {
		t.Fatalf("every refusal should name its rule and carry a pushback:\n%s", text)
	}
	refused := uint64(codes["ResourceExhausted"])
	if strings.Contains(text, "x-weir-no-retry=1") {
		// Marked refusals are final: the last check is refused once, not retried.
		if codes["retried:ResourceExhausted"] != 1 || policy.Counter("weir.health_check.limited") != refused+1 {
			t.Fatalf("the marked refusal was retried (%d refusals counted):\n%s", policy.Counter("weir.health_check.limited"), text)
		}
		return
	}
	// Unmarked ones are retried after the pushback, and admitted.
	if codes["retried:OK"] != 1 {
		t.Fatalf("the retried check was not admitted:\n%s", text)
	}
}
