//go:build linux && amd64

#include "textflag.h"

// Each direct call reserves 16 KiB of the goroutine's stack for the C
// function, as its own frame: the Go prologue grows the stack first when
// they are not free. The weir package measures what its functions use (a
// few hundred bytes) against this. Probe reserves 256 KiB, so that a
// function outgrowing 16 KiB shows up as a measurement, not as a crash.
// vet's asmdecl does not expand macros in TEXT lines, so the sizes are
// written out.

// Runs the C function in AX (SysV ABI; arguments already in DI, SI, DX,
// CX, R8, R9) with its stack at the top of this frame's first `size`
// bytes, 16-aligned as SysV wants before a CALL. R12 keeps the Go SP:
// SysV callees preserve RBX, RBP and R12-R15, so R12, the frame pointer and
// R14 (g) survive the C code. X15 may not, and need not: these are ABI0
// functions, which owe their caller only SP and BP (ABI0 leaves R14 and
// X15 undefined; cmd/compile/abi-internal.md), and Go code compiled for
// ABIInternal re-zeroes X15 and reloads R14 from TLS right after every
// call into an ABI0 function. The direction flag is clear in Go code, as
// SysV requires on entry, and C code leaves it clear.
#define CCALL(size) \
	MOVQ	SP, R12; \
	LEAQ	size(SP), BX; \
	ANDQ	$-16, BX; \
	MOVQ	BX, SP; \
	CALL	AX; \
	MOVQ	R12, SP

// The trampolines differ only in which arguments their Go declarations
// type unsafe.Pointer. Not NOSPLIT: the prologue's stack check is what
// guarantees the reserved bytes.
//
// func Call(fn, a0, a1, a2, a3, a4, a5 uintptr) uint32
TEXT ·Call(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func CallP1(...) uint32: Call with other argument types.
TEXT ·CallP1(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func CallP2(...) uint32: Call with other argument types.
TEXT ·CallP2(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func CallP3(...) uint32: Call with other argument types.
TEXT ·CallP3(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func CallP4(...) uint32: Call with other argument types.
TEXT ·CallP4(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func CallP12(...) uint32: Call with other argument types.
TEXT ·CallP12(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func CallP14(...) uint32: Call with other argument types.
TEXT ·CallP14(SB), 0, $16384-60
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(16384)
	MOVL	AX, ret+56(FP)
	RET

// func ReservedStack() uintptr
TEXT ·ReservedStack(SB), NOSPLIT, $0-8
	MOVQ	$16384, ret+0(FP)
	RET

// func Probe(fn, a0, a1, a2, a3, a4, a5 uintptr) (ret uint32, used uintptr)
TEXT ·Probe(SB), 0, $262144-72
	MOVQ	SP, DI
	MOVQ	$(262144/8), CX
	MOVQ	$0xa5a5a5a5a5a5a5a5, AX
	REP;	STOSQ
	MOVQ	fn+0(FP), AX
	MOVQ	a0+8(FP), DI
	MOVQ	a1+16(FP), SI
	MOVQ	a2+24(FP), DX
	MOVQ	a3+32(FP), CX
	MOVQ	a4+40(FP), R8
	MOVQ	a5+48(FP), R9
	CCALL(262144)
	MOVL	AX, ret+56(FP)
	// The deepest qword that lost the pattern, scanning up from the bottom
	// of the frame; the CALL's return address, just below the starting
	// SP, ends the scan if nothing deeper does.
	MOVQ	$0xa5a5a5a5a5a5a5a5, AX
	MOVQ	SP, DI
scan:
	CMPQ	AX, (DI)
	JNE	found
	ADDQ	$8, DI
	JMP	scan
found:
	LEAQ	262144(SP), BX
	ANDQ	$-16, BX
	SUBQ	DI, BX
	MOVQ	BX, used+64(FP)
	RET
