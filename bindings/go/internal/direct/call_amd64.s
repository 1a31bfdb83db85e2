//go:build linux && amd64 && !go1.27 && !weir_direct_cgo

#include "textflag.h"

// Each trampoline hands the runtime's asmcgocall(fn, arg) the C-ABI
// unpacker callC below as fn and its own argument area as arg. asmcgocall
// switches to the M's g0 stack (in a cgo program the thread's own stack,
// megabytes behind a guard page), calls callC(arg) aligned for the C ABI,
// switches back and returns callC's 32-bit result. It is what the runtime
// itself uses for setenv: unlike cgocall it does not hand the P back
// (entersyscall/exitsyscall), which is where a cgo call's ~30 ns go.
//
// The argument area is the frame asmcgocall needs: fn, a0, ..., a5 are
// contiguous words at fn+0(FP) (ABI0 passes arguments on the stack, in
// the caller's frame), and stay where they are for the whole call:
//
//   - The trampolines are NOSPLIT, so nothing runs a stack check between
//     taking the argument area's address and the C call, and only a stack
//     check can copy a goroutine's stack. A stack copy in the Go caller's
//     or the ABI wrapper's prologue, before a trampoline runs, adjusts the
//     pointer arguments because they are typed unsafe.Pointer (a digit in
//     a trampoline's name marks one).
//   - On g0 the goroutine runs no Go code and reaches no safepoint, so it
//     can be neither preempted nor shrunk nor scanned mid-call: a GC phase
//     or stop-the-world waits for the call to return, as for any
//     non-preemptible sequence (runtime code on the system stack included).
//
// Registers: asmcgocall saves the goroutine's state through R14, so it
// needs R14 to hold g, as Go code leaves it; the trampolines do not touch
// R14. The C code preserves R14, RBP and RBX (SysV callee-saved); X15 and
// R14 are owed to nobody on return from an ABI0 function (Go code re-zeroes
// X15 and reloads R14 from TLS after every such call; abi-internal.md).
// The direction flag is clear in Go code, as SysV requires, and C code
// leaves it clear.
//
// The trampolines differ only in which arguments their Go declarations
// type unsafe.Pointer; the 24-byte frame is asmcgocall's own arguments
// (fn, arg, and its int32 result).
//
// Every trampoline's body: asmcgocall(callC, &fn), its result returned.
#define G0_CALL \
	LEAQ	callC<>(SB), AX; \
	MOVQ	AX, 0(SP); \
	LEAQ	fn+0(FP), AX; \
	MOVQ	AX, 8(SP); \
	CALL	runtime·asmcgocall(SB); \
	MOVL	16(SP), AX; \
	MOVL	AX, ret+56(FP); \
	RET

// func Call(fn, a0, a1, a2, a3, a4, a5 uintptr) uint32
TEXT ·Call(SB), NOSPLIT, $24-60
	G0_CALL

// CallP1, ...: Call with other argument types.
TEXT ·CallP1(SB), NOSPLIT, $24-60
	G0_CALL

TEXT ·CallP2(SB), NOSPLIT, $24-60
	G0_CALL

TEXT ·CallP3(SB), NOSPLIT, $24-60
	G0_CALL

TEXT ·CallP4(SB), NOSPLIT, $24-60
	G0_CALL

TEXT ·CallP12(SB), NOSPLIT, $24-60
	G0_CALL

TEXT ·CallP14(SB), NOSPLIT, $24-60
	G0_CALL

// callC is called by asmcgocall with the C ABI, on g0, with DI pointing at
// a trampoline's fn, a0, ..., a5. It loads a0..a5 into the SysV argument
// registers and tail-jumps to fn, which returns straight to asmcgocall
// (its result in AX, as asmcgocall wants). The stack is as asmcgocall
// aligned it for a C call, and the jump leaves it so. R11 is a scratch
// register in SysV and carries no argument.
TEXT callC<>(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	0(DI), R11
	MOVQ	16(DI), SI
	MOVQ	24(DI), DX
	MOVQ	32(DI), CX
	MOVQ	40(DI), R8
	MOVQ	48(DI), R9
	MOVQ	8(DI), DI
	JMP	R11
