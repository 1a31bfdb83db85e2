//go:build linux && amd64 && (go1.27 || weir_direct_cgo)

package direct

// A toolchain newer than the ones the asmcgocall trampolines were verified
// on (doc.go) builds this file instead: the same functions as plain cgo
// calls through the function pointer, so an untested runtime never sees
// the trampolines and the weir_direct build still works, at cgo's speed.
// The pointer arguments keep their type down to the C call, so a stack
// copy before it adjusts them, and cgo keeps the stack in place during it.

/*
#cgo noescape call_p0
#cgo nocallback call_p0
#cgo noescape call_p1
#cgo nocallback call_p1
#cgo noescape call_p2
#cgo nocallback call_p2
#cgo noescape call_p3
#cgo nocallback call_p3
#cgo noescape call_p4
#cgo nocallback call_p4
#cgo noescape call_p12
#cgo nocallback call_p12
#cgo noescape call_p14
#cgo nocallback call_p14
#include <stdint.h>

typedef uintptr_t w;
typedef uint32_t (*fn6)(w, w, w, w, w, w);

static uint32_t call_p0(w fn, w a0, w a1, w a2, w a3, w a4, w a5) { return ((fn6)fn)(a0, a1, a2, a3, a4, a5); }
static uint32_t call_p1(w fn, w a0, void *a1, w a2, w a3, w a4, w a5) { return ((fn6)fn)(a0, (w)a1, a2, a3, a4, a5); }
static uint32_t call_p2(w fn, w a0, w a1, void *a2, w a3, w a4, w a5) { return ((fn6)fn)(a0, a1, (w)a2, a3, a4, a5); }
static uint32_t call_p3(w fn, w a0, w a1, w a2, void *a3, w a4, w a5) { return ((fn6)fn)(a0, a1, a2, (w)a3, a4, a5); }
static uint32_t call_p4(w fn, w a0, w a1, w a2, w a3, void *a4, w a5) { return ((fn6)fn)(a0, a1, a2, a3, (w)a4, a5); }
static uint32_t call_p12(w fn, w a0, void *a1, void *a2, w a3, w a4, w a5) {
	return ((fn6)fn)(a0, (w)a1, (w)a2, a3, a4, a5);
}
static uint32_t call_p14(w fn, w a0, void *a1, w a2, w a3, void *a4, w a5) {
	return ((fn6)fn)(a0, (w)a1, a2, a3, (w)a4, a5);
}
*/
import "C"

import "unsafe"

// Via names how the calls reach C in this build: plain cgo.
const Via = "cgo"

type w = C.uintptr_t

// Call runs fn(a0, ..., a5) (SysV ABI) through cgo.
func Call(fn, a0, a1, a2, a3, a4, a5 uintptr) uint32 {
	return uint32(C.call_p0(w(fn), w(a0), w(a1), w(a2), w(a3), w(a4), w(a5)))
}

// CallP1 is Call with a1 a pointer.
func CallP1(fn, a0 uintptr, a1 unsafe.Pointer, a2, a3, a4, a5 uintptr) uint32 {
	return uint32(C.call_p1(w(fn), w(a0), a1, w(a2), w(a3), w(a4), w(a5)))
}

// CallP2 is Call with a2 a pointer.
func CallP2(fn, a0, a1 uintptr, a2 unsafe.Pointer, a3, a4, a5 uintptr) uint32 {
	return uint32(C.call_p2(w(fn), w(a0), w(a1), a2, w(a3), w(a4), w(a5)))
}

// CallP3 is Call with a3 a pointer.
func CallP3(fn, a0, a1, a2 uintptr, a3 unsafe.Pointer, a4, a5 uintptr) uint32 {
	return uint32(C.call_p3(w(fn), w(a0), w(a1), w(a2), a3, w(a4), w(a5)))
}

// CallP4 is Call with a4 a pointer.
func CallP4(fn, a0, a1, a2, a3 uintptr, a4 unsafe.Pointer, a5 uintptr) uint32 {
	return uint32(C.call_p4(w(fn), w(a0), w(a1), w(a2), w(a3), a4, w(a5)))
}

// CallP12 is Call with a1 and a2 pointers.
func CallP12(fn, a0 uintptr, a1, a2 unsafe.Pointer, a3, a4, a5 uintptr) uint32 {
	return uint32(C.call_p12(w(fn), w(a0), a1, a2, w(a3), w(a4), w(a5)))
}

// CallP14 is Call with a1 and a4 pointers.
func CallP14(fn, a0 uintptr, a1 unsafe.Pointer, a2, a3 uintptr, a4 unsafe.Pointer, a5 uintptr) uint32 {
	return uint32(C.call_p14(w(fn), w(a0), a1, w(a2), w(a3), a4, w(a5)))
}
