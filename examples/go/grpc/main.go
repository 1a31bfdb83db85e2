// A gRPC service behind weir, and a client that calls it. The server runs
// policy.json on every call through weirgrpc's interceptors (5 health
// checks a second per client address, a 2 s deadline); the client sends a
// burst of 10 checks, then one more through the retry interceptor. A
// refusal carries its rule, retry-after and grpc-retry-pushback-ms; one the
// engine marks x-weir-no-retry (pushback -1: only one layer retries an
// overload answer) is final, an unmarked one is retried after its pushback.
//
//	go run .                 # serves on 127.0.0.1:50051 and runs the client once
//
// WEIR_POLICY names another policy file; PORT another port.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// newServer is the service: grpc's health service behind the policy.
func newServer(policy *weir.Policy) *grpc.Server {
	server := grpc.NewServer(
		grpc.ChainUnaryInterceptor(weirgrpc.UnaryServerInterceptor(policy)),
		grpc.ChainStreamInterceptor(weirgrpc.StreamServerInterceptor(policy)),
	)
	healthpb.RegisterHealthServer(server, health.NewServer())
	return server
}

// newClient dials addr with weir's client interceptors, outermost first:
// the deadline, retries with a budget, the SRE throttle per attempt.
func newClient(addr string) (*grpc.ClientConn, error) {
	deadline, err := weir.NewDeadline(5*time.Second, 10*time.Millisecond)
	if err != nil {
		return nil, err
	}
	backoff, err := weir.NewBackoff(weir.DefaultBackoffConfig())
	if err != nil {
		return nil, err
	}
	budget, err := weir.NewRetryBudget(weir.DefaultRetryBudgetConfig())
	if err != nil {
		return nil, err
	}
	throttle, err := weir.NewThrottle()
	if err != nil {
		return nil, err
	}
	return grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(
			weirgrpc.DeadlineUnaryClientInterceptor(deadline),
			weirgrpc.RetryUnaryClientInterceptor(backoff, budget),
			weirgrpc.ThrottleUnaryClientInterceptor(throttle),
		))
}

// run sends a burst of 10 checks without retries, then one with them,
// and writes what came back to out. It returns how many of each code came
// back, the last check's as "retried:<code>".
func run(ctx context.Context, addr string, out io.Writer) (map[string]int, error) {
	plain, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer plain.Close()
	codes := map[string]int{}
	for i := range 10 {
		var trailer metadata.MD
		_, err := healthpb.NewHealthClient(plain).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Trailer(&trailer))
		code := status.Code(err).String()
		codes[code]++
		fmt.Fprintf(out, "check %2d: %s", i+1, code)
		for _, key := range []string{"x-weir-rule", weirgrpc.PushbackKey, weirgrpc.NoRetryKey} {
			if value := trailer.Get(key); len(value) > 0 {
				fmt.Fprintf(out, " %s=%s", key, value[0])
			}
		}
		fmt.Fprintln(out)
	}
	retrying, err := newClient(addr)
	if err != nil {
		return nil, err
	}
	defer retrying.Close()
	started := time.Now()
	_, err = healthpb.NewHealthClient(retrying).Check(ctx, &healthpb.HealthCheckRequest{})
	fmt.Fprintf(out, "check through the retry interceptor: %s after %s\n", status.Code(err), time.Since(started).Round(time.Millisecond))
	codes["retried:"+status.Code(err).String()]++
	return codes, nil
}

func main() {
	path := os.Getenv("WEIR_POLICY")
	if path == "" {
		path = "policy.json"
	}
	policy, err := weir.LoadPolicy(path)
	if err != nil {
		log.Fatal(err)
	}
	defer policy.Close()
	port := os.Getenv("PORT")
	if port == "" {
		port = "50051"
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		log.Fatal(err)
	}
	server := newServer(policy)
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()
	fmt.Printf("serving gRPC on %s\n", listener.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := run(ctx, listener.Addr().String(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}
