// A net/http service behind weir: examples/policy.json on every request
// through weirhttp, its counters on /metrics under the filter's Prometheus
// names through weirprom.
//
//	go run .                 # http://127.0.0.1:8000/api/items
//
// WEIR_POLICY names another policy file; PORT another port.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirhttp"
	"github.com/weir-rs/weir/bindings/go/weirprom"
)

// newHandler is the service: its routes behind the policy in document.
func newHandler(document []byte) (http.Handler, func(), error) {
	policy, err := weir.NewPolicy(string(document))
	if err != nil {
		return nil, nil, err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(weirprom.NewCollector(policy))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/items", func(w http.ResponseWriter, r *http.Request) {
		cluster := ""
		if verdict, ok := weirhttp.VerdictFrom(r.Context()); ok {
			cluster = verdict.Upstream
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"items": []string{}, "cluster": cluster})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	apiKey := weirhttp.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") })
	return weirhttp.Middleware(policy, apiKey)(mux), policy.Close, nil
}

// serve answers on listener until ctx ends.
func serve(ctx context.Context, listener net.Listener, document []byte) error {
	handler, closePolicy, err := newHandler(document)
	if err != nil {
		return err
	}
	defer closePolicy()
	server := &http.Server{Handler: handler}
	go func() {
		<-ctx.Done()
		server.Shutdown(context.Background())
	}()
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func main() {
	path := os.Getenv("WEIR_POLICY")
	if path == "" {
		path = "../../policy.json"
	}
	document, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8000"
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, listener, document); err != nil {
		log.Fatal(err)
	}
}
