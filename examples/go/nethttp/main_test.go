package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// The example as it runs: on a loopback port, one request admitted by
// examples/policy.json, its counters scraped, stopped.
func TestOneRequestAdmittedAndScraped(t *testing.T) {
	document, err := os.ReadFile("../../policy.json")
	if err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, listener, document) }()
	base := "http://" + listener.Addr().String()

	res, err := http.Get(base + "/api/items")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Ratelimit-Limit") != "40" || res.Header.Get("X-Ratelimit-Remaining") != "39" {
		t.Fatalf("%d %v %s", res.StatusCode, res.Header, body)
	}
	if !strings.Contains(string(body), `"cluster":"service_`) {
		t.Errorf("no picked cluster in %s", body)
	}

	res, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scrape, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// The scrape itself passed the catch-all rule "service" before it read the counters.
	for _, line := range []string{`weir_admitted{weir_rule="per_client"} 1`, `weir_admitted{weir_rule="service"} 2`} {
		if !strings.Contains(string(scrape), line+"\n") {
			t.Errorf("the scrape lacks %q:\n%s", line, scrape)
		}
	}

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
