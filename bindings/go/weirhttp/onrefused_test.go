package weirhttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirhttp"
)

func TestOnRefusedSeesEachRefusalAndAPanicIsContained(t *testing.T) {
	for _, panics := range []bool{false, true} {
		policy, err := weir.NewPolicy(`{"rules": [{"name": "tiny", "match": {"path_prefix": "/"}, "limit": {"rate": 1, "per": "1h", "burst": 1}}]}`)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []string
		hook := weirhttp.OnRefused(func(r *http.Request, v *weir.Verdict) {
			mu.Lock()
			seen = append(seen, r.URL.Path+" "+v.Rule)
			mu.Unlock()
			if panics {
				panic("a hook's bug")
			}
		})
		ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		srv := httptest.NewServer(weirhttp.Middleware(policy, hook)(ok))
		var statuses []int
		for range 3 {
			resp, err := http.Get(srv.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses = append(statuses, resp.StatusCode)
		}
		srv.Close()
		if statuses[0] != 200 || statuses[1] != 429 || statuses[2] != 429 {
			t.Fatalf("panics=%v: statuses %v, want 200 429 429", panics, statuses)
		}
		mu.Lock()
		if len(seen) != 2 || seen[0] != "/x tiny" {
			t.Fatalf("panics=%v: the hook saw %v", panics, seen)
		}
		mu.Unlock()
	}
}
