package ticks

import "testing"

func TestReadMovesForward(t *testing.T) {
	if !Available {
		t.Skip("no counter on this architecture")
	}
	first := Read()
	for range 1000 {
		if next := Read(); next < first {
			t.Fatalf("counter went from %d back to %d", first, next)
		} else {
			first = next
		}
	}
	if first == 0 {
		t.Fatal("counter reads 0")
	}
}
