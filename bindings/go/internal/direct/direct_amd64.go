//go:build linux && amd64

package direct

import "unsafe"

// A cgo call hands the P back to the scheduler around the C code
// (entersyscall/exitsyscall), ~30 ns more than a plain call here. These
// trampolines instead run the C function on the calling goroutine's
// stack, in 16 KiB that each reserves as its own frame, so the Go
// prologue grows the stack before the call when they are not free. That
// is sound for a function that
//
//   - uses far less than 16 KiB of stack, including on its first call on
//     a thread (no guard page protects the reserved bytes; Probe measures
//     the use);
//   - never blocks, never calls back into Go and never unwinds out of C;
//   - is short, because the goroutine keeps its P and a stop-the-world or
//     GC stack scan waits for the call to return, as it waits for any Go
//     loop without a call.
//
// The goroutine cannot move or be stopped mid-call: its stack moves only
// at a Go safepoint, and C code has none; the trampolines are assembly,
// never asynchronously preempted, and write SP, so tracebacks (the
// profiler's included) stop at them instead of unwinding a C stack; a
// preemption or profiling signal runs on the thread's signal stack and
// finds a non-Go PC, which it declines to preempt. A pointer into the Go
// stack must be passed as an unsafe.Pointer argument, so a stack copy in a
// trampoline's prologue (the only place one can happen) adjusts it; a
// digit in a trampoline's name marks such an argument.

// Call runs fn(a0, ..., a5) (SysV ABI; extra arguments are ignored by a
// function that takes fewer) and returns its 32-bit result.
//
//go:noescape
func Call(fn, a0, a1, a2, a3, a4, a5 uintptr) uint32

// CallP1 is Call with a1 a pointer.
//
//go:noescape
func CallP1(fn, a0 uintptr, a1 unsafe.Pointer, a2, a3, a4, a5 uintptr) uint32

// CallP2 is Call with a2 a pointer.
//
//go:noescape
func CallP2(fn, a0, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5 uintptr) uint32

// CallP3 is Call with a3 a pointer.
//
//go:noescape
func CallP3(fn, a0, a1, a2 uintptr, a3 unsafe.Pointer, a4, a5 uintptr) uint32

// CallP4 is Call with a4 a pointer.
//
//go:noescape
func CallP4(fn, a0, a1, a2, a3 uintptr, a4 unsafe.Pointer, a5 uintptr) uint32

// CallP12 is Call with a1 and a2 pointers.
//
//go:noescape
func CallP12(fn, a0 uintptr, a1, a2 unsafe.Pointer, a3, a4, a5 uintptr) uint32

// CallP14 is Call with a1 and a4 pointers.
//
//go:noescape
func CallP14(fn, a0 uintptr, a1 unsafe.Pointer, a2, a3 uintptr, a4 unsafe.Pointer, a5 uintptr) uint32

// ReservedStack is the bytes each call reserves for the C code (16 KiB).
func ReservedStack() uintptr

// Probe is Call with its reserved stack (256 KiB, far more) filled
// with a pattern first; used is how far below its starting SP the C
// function wrote: frames, spills and the red zone. For tests: pointer
// arguments must point to memory that cannot move (heap or C).
func Probe(fn, a0, a1, a2, a3, a4, a5 uintptr) (ret uint32, used uintptr)
