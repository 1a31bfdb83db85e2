//go:build linux && amd64 && weir_direct && !msan && !asan

package weir

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/weir-rs/weir/bindings/go/internal/direct"
)

// The child mode of TestDirectCallStackUse: a fresh process, so that each
// function's first call is its first on its thread.
func init() { childModes["WEIR_GO_STACK_PROBE"] = probeStacks }

// forEachPath runs body once with the direct calls and once through cgo,
// whatever RUST_BACKTRACE chose at init.
func forEachPath(t *testing.T, body func(t *testing.T)) {
	saved := useDirect
	defer func() { useDirect = saved }()
	for _, on := range []bool{true, false} {
		useDirect = on
		t.Run(map[bool]string{true: "direct", false: "cgo"}[on], body)
	}
}

func TestVectorsThroughBothPaths(t *testing.T) { forEachPath(t, replayVectors) }

func TestDirectCallsStayOffWhenRustPrintsBacktraces(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "full": true, "short": true} {
		if got := rustBacktraces(v); got != want {
			t.Errorf("RUST_BACKTRACE=%q: backtraces %v, want %v", v, got, want)
		}
	}
}

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

// probeMem holds the probes' out-structs and key: package memory, which no
// stack copy moves (Probe takes every argument as a uintptr).
var probeMem = new([8][256]byte)

func mem(i int) uintptr { return uintptr(unsafe.Pointer(&probeMem[i])) }

type probeCase struct {
	name string
	fn   uintptr
	args [6]uintptr
}

// probeCases calls every direct-called function with arguments it
// accepts, on instances made for the purpose. The first needs nothing that
// reads the clock to set it up, so it is the process's first clock read
// when nothing at init read it (see TestDirectCallStackUse).
func probeCases() []func() probeCase {
	h := func(p unsafe.Pointer) uintptr { return uintptr(p) }
	lim, _ := NewLimiter(1e9, 1<<30)
	var (
		keyed *KeyedLimiter
		conc  *ConcurrencyLimiter
		shed  *Shedder
		thr   *Throttle
		pick  *Picker
		now   uint64
	)
	setUp := func() {
		keyed, _ = NewKeyedLimiter(1e9, 1<<30, 64)
		conc, _ = NewConcurrencyLimiter(1 << 30)
		shed, _ = NewShedder()
		thr, _ = NewThrottle()
		pick, _ = NewPicker(4)
		if _, err := pick.Add(1); err != nil {
			panic(err)
		}
		copy(probeMem[7][:], "tenant-7")
		now = Now()
	}
	c := func(name string, fn func() (uintptr, [6]uintptr)) func() probeCase {
		return func() probeCase {
			f, args := fn()
			return probeCase{name, f, args}
		}
	}
	// The picks the done calls report are the ones pick_now and pick
	// wrote to mem(5) and mem(6), just before them.
	return []func() probeCase{
		c("limiter_acquire_now", func() (uintptr, [6]uintptr) {
			return fns.limiterAcquireNow, [6]uintptr{h(unsafe.Pointer(lim.h)), 1, mem(0)}
		}),
		c("limiter_acquire", func() (uintptr, [6]uintptr) {
			setUp()
			return fns.limiterAcquire, [6]uintptr{h(unsafe.Pointer(lim.h)), uintptr(now), 1, mem(0)}
		}),
		c("keyed_limiter_acquire_bytes_now", func() (uintptr, [6]uintptr) {
			return fns.keyedAcquireBytesNow, [6]uintptr{h(unsafe.Pointer(keyed.h)), mem(7), 8, 1, mem(0)}
		}),
		c("keyed_limiter_acquire", func() (uintptr, [6]uintptr) {
			return fns.keyedAcquire, [6]uintptr{h(unsafe.Pointer(keyed.h)), 7, uintptr(now), 1, mem(0)}
		}),
		c("concurrency_limiter_acquire", func() (uintptr, [6]uintptr) {
			return fns.concurrencyAcquire, [6]uintptr{h(unsafe.Pointer(conc.h)), mem(0)}
		}),
		c("concurrency_limiter_release", func() (uintptr, [6]uintptr) {
			return fns.concurrencyRelease, [6]uintptr{h(unsafe.Pointer(conc.h))}
		}),
		c("shedder_acquire_now", func() (uintptr, [6]uintptr) {
			return fns.shedderAcquireNow, [6]uintptr{h(unsafe.Pointer(shed.h)), mem(0), mem(1)}
		}),
		c("shedder_done_now", func() (uintptr, [6]uintptr) {
			return fns.shedderDoneNow, [6]uintptr{h(unsafe.Pointer(shed.h)), uintptr(now)}
		}),
		c("shedder_acquire", func() (uintptr, [6]uintptr) {
			return fns.shedderAcquire, [6]uintptr{h(unsafe.Pointer(shed.h)), uintptr(now), mem(0)}
		}),
		c("shedder_done", func() (uintptr, [6]uintptr) {
			return fns.shedderDone, [6]uintptr{h(unsafe.Pointer(shed.h)), uintptr(now), uintptr(now + 1000)}
		}),
		// With an end waiting in a slot, so the acquire applies it first.
		c("shedder_acquire_slot_now", func() (uintptr, [6]uintptr) {
			slots := makeShedSlots()
			_, slot := slots.acquireAt(shed, now)
			slots.endAt(slot, now+1000)
			return fns.shedderAcquireSlotNow, [6]uintptr{h(unsafe.Pointer(shed.h)), h(unsafe.Pointer(slots.mem)), mem(0)}
		}),
		c("shedder_acquire_slot", func() (uintptr, [6]uintptr) {
			slots := makeShedSlots()
			return fns.shedderAcquireSlot, [6]uintptr{h(unsafe.Pointer(shed.h)), h(unsafe.Pointer(slots.mem)), uintptr(now),
				mem(0)}
		}),
		c("throttle_acquire_now", func() (uintptr, [6]uintptr) {
			return fns.throttleAcquireNow, [6]uintptr{h(unsafe.Pointer(thr.h)), mem(0)}
		}),
		c("throttle_acquire", func() (uintptr, [6]uintptr) {
			return fns.throttleAcquire, [6]uintptr{h(unsafe.Pointer(thr.h)), uintptr(now), 12345, mem(0)}
		}),
		c("throttle_record_now", func() (uintptr, [6]uintptr) {
			return fns.throttleRecordNow, [6]uintptr{h(unsafe.Pointer(thr.h)), 1}
		}),
		c("throttle_record", func() (uintptr, [6]uintptr) {
			return fns.throttleRecord, [6]uintptr{h(unsafe.Pointer(thr.h)), uintptr(now), 0}
		}),
		c("picker_pick_now", func() (uintptr, [6]uintptr) {
			return fns.pickerPickNow, [6]uintptr{h(unsafe.Pointer(pick.h)), mem(5)}
		}),
		c("picker_done_now", func() (uintptr, [6]uintptr) {
			return fns.pickerDoneNow, [6]uintptr{h(unsafe.Pointer(pick.h)), mem(5), 1, 500}
		}),
		c("picker_pick", func() (uintptr, [6]uintptr) {
			return fns.pickerPick, [6]uintptr{h(unsafe.Pointer(pick.h)), uintptr(now), 99, mem(6)}
		}),
		c("picker_done", func() (uintptr, [6]uintptr) {
			return fns.pickerDone, [6]uintptr{h(unsafe.Pointer(pick.h)), mem(6), uintptr(now + 1000), 1000, 0, ^uintptr(0)}
		}),
	}
}

// probeStacks prints, per function, its status and the stack it used on
// its first call on a thread and on a second call there. Each runs on a
// goroutine that exits locked to its thread, which kills the thread, so
// the next one starts on a thread no probe ran on.
func probeStacks() {
	for _, next := range probeCases() {
		c := next()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			a := c.args
			status, cold := direct.Probe(c.fn, a[0], a[1], a[2], a[3], a[4], a[5])
			_, warm := direct.Probe(c.fn, a[0], a[1], a[2], a[3], a[4], a[5])
			fmt.Printf("probe %s %d %d %d\n", c.name, status, cold, warm)
		}()
		wg.Wait()
	}
}

// TestDirectCallStackUse measures, in a fresh process, how deep below its
// starting SP each direct-called function writes, and holds it to a
// sixteenth of what a direct call reserves. It also checks that the
// clock's calibration (see directTable) is not left to a direct call.
func TestDirectCallStackUse(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WEIR_GO_STACK_PROBE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe process: %v\n%s", err, out)
	}
	limit := direct.ReservedStack() / 16
	seen := 0
	for _, line := range strings.Split(string(out), "\n") {
		var name string
		var status uint32
		var cold, warm uintptr
		if n, _ := fmt.Sscanf(line, "probe %s %d %d %d", &name, &status, &cold, &warm); n != 4 {
			continue
		}
		seen++
		t.Logf("%-32s first call %4d bytes, warm %4d bytes (reserve %d)", name, cold, warm, direct.ReservedStack())
		if status != 0 {
			t.Errorf("%s: status %d, want ok", name, status)
		}
		if cold > limit || warm > limit {
			t.Errorf("%s: uses %d bytes of stack on a fresh thread, %d warm; the limit is %d", name, cold, warm, limit)
		}
		// The first direct call of the process reads the clock: were the
		// clock not calibrated yet, the calibration (~700 bytes of stack,
		// measured in C) would run inside it and deepen only that call.
		if name == "limiter_acquire_now" && cold != warm {
			t.Errorf("%s: first call %d bytes deep, then %d: one-time work ran inside a direct call", name, cold, warm)
		}
	}
	if want := len(probeCases()); seen != want {
		t.Fatalf("probed %d functions, want %d:\n%s", seen, want, out)
	}
}
