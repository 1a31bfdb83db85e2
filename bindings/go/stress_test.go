package weir

import (
	"io"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// descend calls f from `depth` frames of ~150 bytes down, so calls start
// at many stack depths.
//
//go:noinline
func descend(depth int, f func()) byte {
	var pad [128]byte
	pad[depth%len(pad)] = byte(depth)
	if depth == 0 {
		f()
		return pad[0]
	}
	return descend(depth-1, f) + pad[depth%len(pad)]
}

// Every hot path from goroutines born with the smallest stacks, so the
// stack grows (and moves) right at the call, while the GC runs and the CPU
// profiler interrupts: each out-struct must land where its caller reads it
// (the limiter's remaining counts prove it: each admitted request sees a
// count no other one saw), and every request must end.
func TestHotPathsFromFreshGoroutines(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		if err := pprof.StartCPUProfile(io.Discard); err == nil {
			defer pprof.StopCPUProfile()
		} else {
			t.Logf("running without the CPU profiler: %v", err)
		}
		stop := make(chan struct{})
		var gcs sync.WaitGroup
		gcs.Add(1)
		go func() {
			defer gcs.Done()
			for {
				select {
				case <-stop:
					return
				default:
					runtime.GC()
				}
			}
		}()
		defer func() { close(stop); gcs.Wait() }()

		const workers, burst = 2000, 1500
		lim, _ := NewLimiter(1, burst, Per(time.Hour))
		keyed, _ := NewKeyedLimiter(1e9, 1<<30, 64)
		conc, _ := NewConcurrencyLimiter(workers)
		shed, _ := NewShedder()
		thr, _ := NewThrottle()
		pick, _ := NewPicker(4)
		for _, c := range []interface{ Close() error }{lim, keyed, conc, shed, thr, pick} {
			defer c.Close()
		}
		if _, err := pick.Add(7); err != nil {
			t.Fatal(err)
		}

		seen := make([]atomic.Int32, burst)
		var admitted, failures atomic.Int32
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				descend(w%48, func() {
					if d := lim.Acquire(1); d.Admitted() {
						admitted.Add(1)
						if d.Remaining >= burst || seen[d.Remaining].Add(1) != 1 {
							failures.Add(1)
						}
					}
					if !keyed.Allow("tenant") {
						failures.Add(1)
					}
					if release, d := conc.Acquire(); d.Admitted() {
						release()
					} else {
						failures.Add(1)
					}
					if done, err := shed.Allow(); err == nil {
						done(nil)
					} else {
						failures.Add(1)
					}
					if thr.Allow() != nil {
						failures.Add(1)
					}
					thr.Record(true)
					if p, err := pick.Pick(); err != nil || !p.Done(nil) {
						failures.Add(1)
					}
				})
			}()
		}
		wg.Wait()
		if n := admitted.Load(); n != burst {
			t.Errorf("limiter admitted %d, want its burst of %d", n, burst)
		}
		if n := failures.Load(); n != 0 {
			t.Errorf("%d calls came back wrong", n)
		}
		if n := conc.InFlight(); n != 0 {
			t.Errorf("concurrency limiter: %d in flight at the end", n)
		}
		if n := shed.Stats().InFlight; n != 0 {
			t.Errorf("shedder: %d in flight at the end", n)
		}
		if n, _ := pick.Node(0); n.InFlight != 0 {
			t.Errorf("picker: %d in flight at the end", n.InFlight)
		}
		if st := thr.Stats(); st.Requests != workers || st.Accepts != workers {
			t.Errorf("throttle counted %d requests, %d accepts; want %d each", st.Requests, st.Accepts, workers)
		}
	})
}

// A concurrency limiter of one is a lock: what one holder writes, the next
// reads. The race detector must see that order on both paths (a cgo call
// tells it C code may synchronise; the direct call has to say so too).
func TestConcurrencyLimiterOfOneOrdersItsHolders(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		lock, _ := NewConcurrencyLimiter(1)
		defer lock.Close()
		const workers, rounds = 4, 500
		counter := 0
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; {
					release, d := lock.Acquire()
					if !d.Admitted() {
						runtime.Gosched()
						continue
					}
					counter++
					release()
					i++
				}
			}()
		}
		wg.Wait()
		if counter != workers*rounds {
			t.Fatalf("counted %d under the limiter, want %d", counter, workers*rounds)
		}
	})
}
