//go:build linux && amd64 && weir_direct && !msan && !asan

package weir

/*
#include "weir.h"
*/
import "C"

import "os"

// The hot paths call libweir directly, without cgo's hand-off to the
// scheduler (most of a cgo call's cost): internal/direct runs the C
// function on the goroutine's stack, in 16 KiB its trampoline reserves.
// internal/direct says what that asks of a function; the functions with
// the direct role in internal/gencalls/hotcalls.txt (their calls are
// generated into directcall.go) give it:
//
//   - They are short and never block or wait on Go: lock-free CAS loops
//     over atomics (a keyed-table set's claim, a spin lock, is held for a
//     few instructions), no syscall but the clock read (rdtsc; quanta's
//     kernel fallback is a vDSO clock_gettime), no allocation, no
//     callback into Go, no thread-local with a destructor (the random
//     draw's per-thread state is a plain Cell, seeded from the clock on a
//     thread's first draw). The error paths they can take (a NULL handle or out-pointer)
//     return a status without touching the thread's last error.
//   - They never unwind into Go: each entry point runs its body under
//     catch_unwind (ffi/src/status.rs), and none has a panicking path
//     (saturating arithmetic, checked handles). A panic would be a bug;
//     it would run Rust's panic hook on this stack (README.md gives its
//     measured use against the reserved 16 KiB).
//   - They fit: TestDirectCallStackUse measures each one, on threads that
//     never ran it and on warm ones, at a few hundred bytes at most, and
//     fails past a sixteenth of the reserve.
//   - The first read of the native clock calibrates the TSC (allocates,
//     spins for ~0.6 ms, ~830 bytes of stack); weir_now does it through
//     cgo before the table exists (directTable), so no direct call is the
//     first read.
//
// Under -race each direct call also tells the race detector what a cgo
// call does (race.go). Everything else (constructors, Close, stats,
// singleflight, the fleet limiter, which wakes its lease thread) stays a
// cgo call.

// useDirect is false when Rust's panic hook would print a backtrace: see
// rustBacktraces.
var useDirect = !rustBacktraces(os.Getenv("RUST_BACKTRACE"))

var fns = directTable()

// directTable reads the native clock once through cgo, which calibrates
// it, and only then hands out the addresses: every direct call goes
// through this table, so none can come first.
func directTable() directFns {
	C.weir_now()
	return directAddresses()
}

// rustBacktraces reports whether Rust's panic hook would capture and
// print a backtrace: symbolising one takes tens of KiB of stack, more than
// a direct call reserves, so then every call goes through cgo (on the
// thread's own stack). A panic in these functions would be a bug; this
// keeps even that from overrunning a goroutine's stack.
func rustBacktraces(v string) bool { return v != "" && v != "0" }
