package ticks

import (
	"testing"
	"time"
)

// The counter moves with time. (That libweir's clock reads the same one
// is weir_ticks' check, bracketing its own read; the shedder tests in the
// parent package check the scaled ends.)
func TestReadMovesWithTime(t *testing.T) {
	if !Available {
		t.Skip("no counter on this architecture")
	}
	before := Read()
	time.Sleep(2 * time.Millisecond)
	if after := Read(); after <= before {
		t.Fatalf("counter read %d, then %d after 2 ms", before, after)
	}
}
