package weirhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirhttp"
)

const burst = 10

const rules = `{"rules": [
  {"name": "api", "match": {"path_prefix": "/api"}, "limit": {"rate": 1, "per": "1h", "burst": 10}},
  {"name": "per_caller", "match": {"path_prefix": "/keyed"},
   "limit": {"rate": 1, "per": "1h", "burst": 3, "key": "caller", "headers_on_success": true}},
  {"name": "upstream", "match": {"path_prefix": "/fail"}, "throttle": {"k": 1000, "failures": ["5xx"]}},
  {"name": "hang", "match": {"path_prefix": "/hang"}, "throttle": {"k": 1000, "failures": ["5xx"]}}
]}`

func serve(t *testing.T) (*httptest.Server, *weir.Policy, chan struct{}) {
	t.Helper()
	policy, err := weir.NewPolicy(rules)
	if err != nil {
		t.Fatal(err)
	}
	hung := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/item", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/keyed", func(w http.ResponseWriter, r *http.Request) {
		v, ok := weirhttp.VerdictFrom(r.Context())
		if ok && v.Admitted {
			io.WriteString(w, "admitted")
		}
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		hung <- struct{}{}
		<-r.Context().Done()
	})
	handler := weirhttp.Middleware(policy, weirhttp.WithKey(func(r *http.Request) string {
		return r.Header.Get("X-Api-Key")
	}))(mux)
	srv := httptest.NewServer(handler) // listens on 127.0.0.1
	t.Cleanup(func() { srv.Close(); policy.Close() })
	return srv, policy, hung
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return nil, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestEightConcurrentClientsAdmitExactlyTheBurst(t *testing.T) {
	srv, policy, _ := serve(t)
	var mu sync.Mutex
	counts := map[int]int{}
	var refused *http.Response
	var refusedBody string
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				resp, body := get(t, srv.URL+"/api/item", nil)
				if resp == nil {
					return
				}
				mu.Lock()
				counts[resp.StatusCode]++
				if resp.StatusCode == 429 {
					refused, refusedBody = resp, body
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts[200] != burst || counts[429] != 40-burst || len(counts) != 2 {
		t.Fatalf("statuses %v, want %d x 200 and %d x 429", counts, burst, 40-burst)
	}
	for name, want := range map[string]string{
		"Retry-After": "3600", "X-Ratelimit-Limit": "10", "X-Ratelimit-Remaining": "0", "X-Weir-Rule": "api",
		"Content-Type": "text/plain; charset=utf-8",
	} {
		if got := refused.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if refusedBody != "weir: rate_limited by rule \"api\"\n" {
		t.Errorf("body %q", refusedBody)
	}
	if got := policy.Counter("weir.api.admitted"); got != burst {
		t.Errorf("weir.api.admitted = %d", got)
	}
	if got := policy.Counter("weir.api.limited"); got != 40-burst {
		t.Errorf("weir.api.limited = %d", got)
	}
}

func TestKeyGivesEachCallerItsOwnLimit(t *testing.T) {
	srv, _, _ := serve(t)
	var statuses []int
	var first *http.Response
	var firstBody string
	for i := 0; i < 5; i++ {
		resp, body := get(t, srv.URL+"/keyed", map[string]string{"X-Api-Key": "alice"})
		if i == 0 {
			first, firstBody = resp, body
		}
		statuses = append(statuses, resp.StatusCode)
	}
	want := []int{200, 200, 200, 429, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("alice: %v, want %v", statuses, want)
		}
	}
	if firstBody != "admitted" || first.Header.Get("X-Ratelimit-Remaining") != "2" {
		t.Errorf("first: %q, remaining %q", firstBody, first.Header.Get("X-Ratelimit-Remaining"))
	}
	if resp, _ := get(t, srv.URL+"/keyed", map[string]string{"X-Api-Key": "bob"}); resp.StatusCode != 200 {
		t.Errorf("bob: %d", resp.StatusCode)
	}
}

func TestTheStatusIsReportedWhenTheResponseStarts(t *testing.T) {
	srv, policy, _ := serve(t)
	for i := 0; i < 3; i++ {
		if resp, _ := get(t, srv.URL+"/fail", nil); resp.StatusCode != 503 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if got := policy.Counter("weir.upstream.upstream_failures"); got != 3 {
		t.Errorf("upstream_failures = %d, want 3", got)
	}
}

func TestARequestCancelledBeforeItsResponseIsAReset(t *testing.T) {
	srv, policy, hung := serve(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-hung
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/hang", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	stop := time.Now().Add(5 * time.Second)
	for policy.Counter("weir.hang.upstream_failures") != 1 {
		if time.Now().After(stop) {
			t.Fatalf("the reset was not reported: upstream_failures = %d", policy.Counter("weir.hang.upstream_failures"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
