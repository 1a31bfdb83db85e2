package weir_test

// Per admitted request through net/http middleware, in-process handler
// calls: weirhttp against go-chi/httprate (in-memory, one key), each
// against the handler alone. The limits are far above the load.

import (
	"net/http"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	weir "github.com/weir-rs/weir/bindings/go"
	"github.com/weir-rs/weir/bindings/go/weirhttp"
)

// discard is a ResponseWriter reused across requests, so the cases time
// the middleware and the handler, not a recorder's allocations.
type discard struct {
	header http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(status int)      { d.status = status }

func BenchmarkHTTPMiddleware(b *testing.B) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	policy, err := weir.NewPolicy(`{"rules": [{"name": "api", "limit": {"rate": 1000000000, "per": "1s", "burst": 1000000000}}]}`)
	if err != nil {
		b.Fatal(err)
	}
	defer policy.Close()
	cases := []struct {
		name    string
		handler http.Handler
	}{
		{"bare", handler},
		{"weir", weirhttp.Middleware(policy)(handler)},
		{"httprate", httprate.LimitByIP(1e9, time.Hour)(handler)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", "http://bench/item", nil)
			req.RemoteAddr = "127.0.0.1:5000"
			w := &discard{header: http.Header{}}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w.status = 0
				clear(w.header)
				c.handler.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}
