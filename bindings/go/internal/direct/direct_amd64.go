//go:build linux && amd64 && !go1.27 && !weir_direct_cgo

package direct

import "unsafe"

// Via names how the calls reach C in this build (see doc.go): here the
// runtime's asmcgocall, on the thread's system stack, without cgo's
// hand-off to the scheduler.
const Via = "asmcgocall"

// Call runs fn(a0, ..., a5) (SysV ABI; extra arguments are ignored by a
// function that takes fewer) on the thread's system stack and returns its
// 32-bit result. fn must be short, must not block, call back into Go or
// unwind, and must read no pointer argument after it returns (doc.go says
// why).
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
