//go:build linux && amd64 && weir_direct && !msan && !asan

package weir

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// forEachPath runs body once with the direct calls and once through cgo.
func forEachPath(t *testing.T, body func(t *testing.T)) {
	saved := useDirect
	defer func() { useDirect = saved }()
	for _, on := range []bool{true, false} {
		useDirect = on
		t.Run(map[bool]string{true: "direct", false: "cgo"}[on], body)
	}
}

func TestVectorsThroughBothPaths(t *testing.T) { forEachPath(t, replayVectors) }

// via runs f with the direct calls on or off.
func via(on bool, f func() string) string {
	saved := useDirect
	useDirect = on
	defer func() { useDirect = saved }()
	return f()
}

// twin runs the same steps on two instances of a primitive, [0] through
// the direct calls and [1] through cgo, and wants the same outcome from
// each step. Outcomes leave out what depends on when exactly the clock
// was read.
func twin(t *testing.T, steps int, step func(side, i int) string) {
	t.Helper()
	for i := 0; i < steps; i++ {
		d := via(true, func() string { return step(0, i) })
		c := via(false, func() string { return step(1, i) })
		if d != c {
			t.Fatalf("step %d: direct %q, cgo %q", i, d, c)
		}
	}
}

func outcome(d Decision) string {
	return fmt.Sprint(d.Reason, d.Remaining, d.RetryAfter == Never, d.RetryAfter > 0, d.ResetAfter > 0)
}

func TestDirectCallsDecideAsCgo(t *testing.T) {
	t.Run("limiter", func(t *testing.T) {
		var l [2]*Limiter
		for i := range l {
			l[i], _ = NewLimiter(1, 5, Per(time.Hour))
			defer l[i].Close()
		}
		costs := []int{1, 2, 0, 1, 9, 1, 1, 1}
		twin(t, len(costs), func(s, i int) string { return outcome(l[s].Acquire(costs[i])) + fmt.Sprint(l[s].Allow()) })
	})
	t.Run("keyed", func(t *testing.T) {
		var k [2]*KeyedLimiter
		for i := range k {
			k[i], _ = NewKeyedLimiter(1, 2, 16, Per(time.Hour))
			defer k[i].Close()
		}
		keys := []string{"a", "bb", "", "a", strings.Repeat("k", 300), "a", "", "bb"}
		twin(t, len(keys), func(s, i int) string { return outcome(k[s].Acquire(keys[i], 1)) + fmt.Sprint(k[s].Live()) })
	})
	t.Run("concurrency", func(t *testing.T) {
		var c [2]*ConcurrencyLimiter
		var held [2][]func()
		for i := range c {
			c[i], _ = NewConcurrencyLimiter(2)
			defer c[i].Close()
		}
		acquire := []bool{true, true, true, false, true, false, false, false}
		twin(t, len(acquire), func(s, i int) string {
			if acquire[i] {
				release, d := c[s].Acquire()
				if d.Admitted() {
					held[s] = append(held[s], release)
				}
				return outcome(d) + fmt.Sprint(c[s].InFlight())
			}
			if n := len(held[s]); n > 0 {
				held[s][n-1]()
				held[s] = held[s][:n-1]
				return fmt.Sprint("released ", c[s].InFlight())
			}
			// Nothing held: a release the limiter must refuse.
			return fmt.Sprint(c[s].release(), c[s].InFlight())
		})
	})
	t.Run("shedder", func(t *testing.T) {
		var sh [2]*Shedder
		var dones [2][]func(error)
		for i := range sh {
			sh[i], _ = NewShedder(MaxQueue(2))
			defer sh[i].Close()
		}
		allow := []bool{true, true, true, false, true, false, false}
		twin(t, len(allow), func(s, i int) string {
			if allow[i] {
				done, err := sh[s].Allow()
				if err != nil {
					return fmt.Sprint(err.(*RejectedError).Decision.Reason, sh[s].Stats().InFlight)
				}
				dones[s] = append(dones[s], done)
				return fmt.Sprint("admitted ", sh[s].Stats().InFlight)
			}
			n := len(dones[s])
			dones[s][n-1](nil)
			dones[s] = dones[s][:n-1]
			st := sh[s].Stats()
			return fmt.Sprint(st.InFlight, st.MaxPass > 0 || st.MinRT >= 0)
		})
	})
	t.Run("throttle", func(t *testing.T) {
		var th [2]*Throttle
		for i := range th {
			th[i], _ = NewThrottle()
			defer th[i].Close()
		}
		success := []bool{true, true, false, true, false, false, true}
		twin(t, len(success), func(s, i int) string {
			th[s].Record(success[i])
			st := th[s].Stats()
			return fmt.Sprint(st.Requests, st.Accepts)
		})
	})
	t.Run("throttle-admits-while-healthy", func(t *testing.T) {
		var th [2]*Throttle
		for i := range th {
			th[i], _ = NewThrottle()
			defer th[i].Close()
		}
		twin(t, 20, func(s, i int) string {
			err := th[s].Allow()
			th[s].Record(true)
			return fmt.Sprint(err)
		})
	})
	t.Run("picker", func(t *testing.T) {
		var p [2]*Picker
		for i := range p {
			p[i], _ = NewPicker(4)
			defer p[i].Close()
			if _, err := p[i].Add(42); err != nil {
				t.Fatal(err)
			}
		}
		cpus := []int{-1, 700, -1, 300, 900, -1}
		twin(t, len(cpus), func(s, i int) string {
			pick, err := p[s].Pick()
			if err != nil {
				return err.Error()
			}
			var fail error
			if i%2 == 1 {
				fail = fmt.Errorf("backend error")
			}
			ok := pick.DoneWithCPU(fail, cpus[i])
			n, _ := p[s].Node(pick.Index)
			// The EWMAs weigh samples by the time between them, so only
			// where they moved is compared.
			return fmt.Sprint(pick.Index, ok, n.InFlight, n.Success < 1, n.CPUPermille > 0)
		})
	})
}
