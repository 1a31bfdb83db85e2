package weir

import "testing"

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
