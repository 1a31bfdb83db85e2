//go:build linux && amd64 && weir_direct && !msan && !asan

package weir

/*
#include "weir.h"
*/
import "C"

// The hot paths call libweir directly, without cgo's hand-off to the
// scheduler (most of a cgo call's cost): internal/direct runs the C
// function through the runtime's asmcgocall, on the thread's system
// stack (in this cgo program, the pthread or main-thread stack, megabytes
// behind a guard page), keeping the P. A toolchain the trampolines were
// not verified on builds internal/direct's cgo fallback instead (see its
// doc). Nothing at run time, no environment variable included, changes
// the path. What keeping the P asks of a function, the functions with the
// direct role in internal/gencalls/hotcalls.txt (their calls are generated
// into directcall.go) give:
//
//   - They are short and never block or wait on Go: lock-free CAS loops
//     over atomics (a keyed-table set's claim, a spin lock, is held for a
//     few instructions), no syscall but the clock read (rdtsc; quanta's
//     kernel fallback is a vDSO clock_gettime), no allocation, no
//     callback into Go, no thread-local with a destructor (the random
//     draw's per-thread state is a plain Cell, seeded from the clock on a
//     thread's first draw). The error paths they can take (a NULL handle
//     or out-pointer) return a status without touching the thread's last
//     error. While one runs, a stop-the-world or a GC stack scan waits for
//     it, as it waits for any Go loop without a call.
//   - They never unwind into Go: each entry point runs its body under
//     catch_unwind (ffi/src/status.rs), and none has a panicking path
//     (saturating arithmetic, checked handles). A panic would be a bug;
//     Rust's panic hook, a backtrace included, would run on the system
//     stack, as under cgo.
//   - The first read of the native clock calibrates the TSC (allocates,
//     spins for ~0.6 ms); weir_now does it through cgo before the table
//     exists (directTable), so no direct call spins that long holding its
//     P.
//
// Under -race each direct call also tells the race detector what a cgo
// call does (race.go). Everything else (constructors, Close, stats,
// singleflight, the fleet limiter, which wakes its lease thread) stays a
// cgo call.

// useDirect is a variable only so that tests can run the same calls
// through both paths.
var useDirect = true

var fns = directTable()

// directTable reads the native clock once through cgo, which calibrates
// it, and only then hands out the addresses: every direct call goes
// through this table, so none can come first.
func directTable() directFns {
	C.weir_now()
	return directAddresses()
}
