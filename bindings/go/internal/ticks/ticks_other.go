//go:build !amd64

package ticks

// Available reports whether Read reads a counter on this architecture.
const Available = false

// Read has no counter to read here; callers check Available first.
func Read() uint64 { return 0 }
