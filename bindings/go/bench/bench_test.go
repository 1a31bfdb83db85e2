package weir_test

// Benchmarks against the Go anchors, same machine, same run: x/time/rate,
// x/sync/singleflight and go-kratos/aegis bbr. bench.sh turns the output
// into `<case> ns_per_op=<float>` lines; README.md has the ratio table.

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/go-kratos/aegis/ratelimit"
	"github.com/go-kratos/aegis/ratelimit/bbr"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	weir "github.com/weir-rs/weir/bindings/go"
)

// A limit no benchmark reaches, so every call takes the admit path.
const huge = 1e9

func BenchmarkLimiterAllow(b *testing.B) {
	l, err := weir.NewLimiter(huge, math.MaxInt32)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.Run("weir", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l.Allow()
		}
	})
	r := rate.NewLimiter(huge, math.MaxInt32)
	b.Run("x-time-rate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			r.Allow()
		}
	})
}

func BenchmarkLimiterAllowParallel(b *testing.B) {
	l, err := weir.NewLimiter(huge, math.MaxInt32)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.Run("weir", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow()
			}
		})
	})
	r := rate.NewLimiter(huge, math.MaxInt32)
	b.Run("x-time-rate", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Allow()
			}
		})
	})
}

func BenchmarkShedderAllowDone(b *testing.B) {
	s, err := weir.NewShedder()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("weir", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			done, err := s.Allow()
			if err == nil {
				done(nil)
			}
		}
	})
	l := bbr.NewLimiter()
	b.Run("aegis-bbr", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			done, err := l.Allow()
			if err == nil {
				done(ratelimit.DoneInfo{})
			}
		}
	})
}

func BenchmarkGroupDo(b *testing.B) {
	g, err := weir.NewGroup(1024)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	ctx := context.Background()
	work := func(context.Context) (any, error) { return 1, nil }
	b.Run("weir", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			g.Do(ctx, keys[i&63], work)
		}
	})
	var sf singleflight.Group
	plain := func() (any, error) { return 1, nil }
	b.Run("x-sync-singleflight", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sf.Do(keys[i&63], plain)
		}
	})
}

func BenchmarkThrottleAllow(b *testing.B) {
	t, err := weir.NewThrottle()
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	b.Run("weir", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if t.Allow() == nil {
				t.Record(true)
			}
		}
	})
}

func BenchmarkPickerPickDone(b *testing.B) {
	p, err := weir.NewPicker(8)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 8; i++ {
		if _, err := p.Add(uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("weir", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			pick, err := p.Pick()
			if err == nil {
				pick.Done(nil)
			}
		}
	})
}

var _ = time.Second
