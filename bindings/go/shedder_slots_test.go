package weir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The shedder vectors again, with every request ended through its slot:
// once checked after every step (a snapshot applies the pending ends), and
// once checked only where an acquire has applied them, which is the
// promise: an acquire decides on every end handed over before it.
func TestShedderVectorsThroughSlots(t *testing.T) {
	files, err := filepath.Glob("../../core/tests/vectors/shedder-*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("shedder vectors not found: %v (%d files)", err, len(files))
	}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var v vector
		if err := json.Unmarshal(text, &v); err != nil {
			t.Fatal(err)
		}
		if v.ExpectConfigError != nil {
			continue
		}
		for _, everyStep := range []bool{true, false} {
			name := strings.TrimSuffix(filepath.Base(file), ".json")
			if !everyStep {
				name += "/applied-by-acquire"
			}
			t.Run(name, func(t *testing.T) { replayThroughSlots(t, &v, config{t, v.Config}, everyStep) })
		}
	}
}

func replayThroughSlots(t *testing.T, v *vector, c config, everyStep bool) {
	s, err := NewShedder(
		Window(time.Duration(c.u64("window_ns", uint64(10*time.Second))), int(c.u64("buckets", 100))),
		CPUThreshold(int(c.u64("cpu_threshold", 800))),
		CPUDecay(c.f64("cpu_decay", 0.95)),
		CoolOff(time.Duration(c.u64("cool_off_ns", uint64(time.Second)))),
		MaxQueue(int(c.u64("max_queue", 0))),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.slots = makeShedSlots()       // the explicit-time calls need no counter
	inSlot := map[uint64][]uint32{} // admitted at -> the slots of requests admitted then
	for i, st := range v.Steps {
		r := &replayer{t: t, i: i, step: st}
		now := r.now()
		switch st.Op {
		case "acquire":
			d, slot := s.slots.acquireAt(s, now)
			r.decision(d)
			if d.Admitted() {
				// Past the last slot: ends through a call (slot = WEIR_SHEDDER_SLOTS).
				inSlot[now] = append(inSlot[now], slot)
			}
		case "done":
			started := r.arg("started_at")
			slots := inSlot[started]
			if len(slots) > 0 && slots[0] < uint32(len(s.slots.ends)) {
				s.slots.endAt(slots[0], now)
			} else {
				s.done(started, now) // without a slot, or no request of the vector's was admitted then
			}
			if len(slots) > 0 {
				inSlot[started] = slots[1:]
			}
			if !everyStep {
				continue
			}
		case "cpu":
			r.u64("cpu", uint64(s.RecordCPU(r.arg("permille"))))
		}
		stats := s.stats(now)
		r.u64("in_flight", stats.InFlight)
		r.u64("max_in_flight", stats.MaxInFlight)
	}
}

// Many goroutines through the slots (and past them: more requests in
// flight than slots) leave nothing in flight and every slot free.
func TestShedderSlotsLeaveNothingInFlight(t *testing.T) {
	s, err := NewShedder()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.slots == nil {
		t.Skip("no counter Go can read on this platform: every done is a cgo call")
	}
	const workers, each = 256, 200
	var wg sync.WaitGroup
	var hold sync.WaitGroup
	hold.Add(1)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				done, err := s.Allow()
				if err != nil {
					t.Errorf("refused: %v", err)
					return
				}
				if i == 0 {
					hold.Wait() // all 256 in flight at once: past the 64 slots
				}
				if (w+i)%7 == 0 {
					done(&RejectedError{}) // never reached the service
				} else {
					done(nil)
				}
				if i%16 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	for s.Stats().InFlight < workers {
		runtime.Gosched()
	}
	hold.Done()
	wg.Wait()
	if n := s.Stats().InFlight; n != 0 {
		t.Fatalf("%d in flight at the end", n)
	}
	if held, spare := s.slots.mem.held.owned, s.slots.mem.spare.owned; held|spare != 0 {
		t.Fatalf("slots still taken at the end: held %064b, spare %064b", uint64(held), uint64(spare))
	}
}

// A done after Close writes only Go memory: nothing to free twice, no crash.
func TestShedderDoneAfterClose(t *testing.T) {
	s, err := NewShedder()
	if err != nil {
		t.Fatal(err)
	}
	done, err := s.Allow()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	done(nil)
	if _, err := s.Allow(); err != ErrClosed {
		t.Fatalf("Allow after Close: %v", err)
	}
}

// An end stored as raw counter ticks lands on the clock of its start:
// the response time the shedder learns is the one that passed.
func TestShedderLearnsResponseTimesFromTicks(t *testing.T) {
	s, err := NewShedder(Window(time.Second, 100)) // 10 ms buckets
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.slots == nil {
		t.Skip("no counter Go can read on this platform: every done is a cgo call")
	}
	done, err := s.Allow()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	done(nil)
	time.Sleep(25 * time.Millisecond) // the end's 10 ms bucket is finished: it counts
	if rt := s.Stats().MinRT; rt < 3*time.Millisecond || rt > 25*time.Millisecond {
		t.Fatalf("learned a response time of %v for a request of ~3 ms", rt)
	}
}
