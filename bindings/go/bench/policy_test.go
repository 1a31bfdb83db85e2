package weir_test

// A policy check with one limit rule against the plain Limiter.Allow it
// wraps, same run: what the policy engine adds per request.

import (
	"net/http"
	"testing"

	weir "github.com/weir-rs/weir/bindings/go"
)

const oneLimitRule = `{"rules": [{"name": "api", "limit": {"rate": 1000000000, "per": "1s", "burst": 1000000000}}]}`

func BenchmarkPolicyCheck(b *testing.B) {
	b.Run("weir-limiter", func(b *testing.B) {
		l, err := weir.NewLimiter(huge, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		for b.Loop() {
			if !l.Allow() {
				b.Fatal("refused")
			}
		}
	})
	b.Run("weir-policy", func(b *testing.B) {
		p, err := weir.NewPolicy(oneLimitRule)
		if err != nil {
			b.Fatal(err)
		}
		req := &weir.Request{Method: "GET", Path: "/api/x", Header: http.Header{}, ClientAddress: "127.0.0.1:5000"}
		for b.Loop() {
			v := p.Check(req)
			if !v.Admitted {
				b.Fatalf("refused: %+v", v)
			}
			v.Report(weir.PolicyOutcome{Status: 200})
		}
	})
}
