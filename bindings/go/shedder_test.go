package weir

import (
	"errors"
	"fmt"
	"testing"
)

func TestShedderAllowAndDoneAllocateNothing(t *testing.T) {
	s, err := NewShedder()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	allocs := testing.AllocsPerRun(1000, func() {
		done, err := s.Allow()
		if err != nil {
			t.Fatal(err)
		}
		done(nil)
	})
	// A GC during the run may empty the ticket pool; one refill then
	// allocates, which AllocsPerRun averages away.
	if allocs >= 0.5 {
		t.Fatalf("Allow + done allocate %.2f objects per request", allocs)
	}
}

func TestShedderDoneTwiceCountsOnce(t *testing.T) {
	s, err := NewShedder()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := s.Allow()
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Allow()
	if err != nil {
		t.Fatal(err)
	}
	first(nil)
	first(nil)
	if n := s.Stats().InFlight; n != 1 {
		t.Fatalf("in flight after one request ended twice: %d, want 1", n)
	}
	second(nil)
	if n := s.Stats().InFlight; n != 0 {
		t.Fatalf("in flight at the end: %d", n)
	}
}

// A shed refusal inside a throttled call never reached the dependency: the
// throttle forgets it rather than count a request without an accept.
func TestThrottleDoForgetsAShedRefusalInside(t *testing.T) {
	th, err := NewThrottle(K(1), MinRequests(1))
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	sh, err := NewShedder(MaxQueue(1))
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	held, err := sh.Allow()
	if err != nil {
		t.Fatal(err)
	}
	defer held(nil)
	throttled := 0
	for range 50 {
		err := th.Do(func() error {
			done, err := sh.Allow()
			if err != nil {
				return fmt.Errorf("calling the dependency: %w", err)
			}
			done(nil)
			return nil
		}, nil)
		var rej *RejectedError
		if !errors.As(err, &rej) {
			t.Fatalf("want a refusal, got %v", err)
		}
		if rej.Decision.Reason == Throttled {
			throttled++
		}
	}
	if st := th.Stats(); throttled != 0 || st.Requests != 0 || st.Accepts != 0 {
		t.Fatalf("%d throttled, window %+v", throttled, st)
	}
}
