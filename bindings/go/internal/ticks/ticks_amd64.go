package ticks

// Available reports whether Read reads a counter on this architecture.
const Available = true

// Read returns the time-stamp counter, as rdtsc gives it.
//
//go:noescape
func Read() uint64
