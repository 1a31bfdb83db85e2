// Package direct calls C functions from Go without cgo's scheduler
// hand-off, for the few libweir functions that behave like a handful of Go
// instructions (the weir package says which, and why each qualifies).
//
// A cgo call hands the P back to the scheduler around the C code
// (entersyscall/exitsyscall), ~30 ns here. These calls go through the
// runtime's own asmcgocall instead, as the runtime does for setenv: it
// switches to the M's g0 stack, calls the function with the C ABI and
// switches back, keeping the P. In a cgo program (weir is one, so
// every program that imports this package is) g0's stack is the thread's
// own, megabytes behind a guard page: the goroutine's stack does not grow,
// the native code has the stack a cgo call would give it (a Rust panic's
// backtrace included), and a fault in it is reported with the Go stack that
// made the call. What keeping the P asks of a function (short, never
// blocking, no callback into Go, no unwinding) is the caller's to give.
// CPU profiles still put the native time under _ExternalCode: the profiler
// finds the calling goroutine only through cgo's bookkeeping.
//
// The build guard. asmcgocall is not an API: the assembly refers to the
// symbol runtime·asmcgocall, which the linker resolves for any package
// today, and relies on its contract (fn(arg) on g0 with the C ABI, its
// 32-bit result returned). Both were verified on go1.26 (go.mod's minimum)
// by this package's callers' tests, so the trampolines build only with a
// toolchain older than go1.27 (`!go1.27`). A newer toolchain, which might
// refuse the reference or change the contract, builds cgo_amd64.go
// instead: the same functions as plain cgo calls through the function
// pointer, at cgo's cost, with nothing else changed. The weir_direct_cgo
// tag selects that fallback on a verified toolchain, so that it is built
// and tested too. Raising the bound is a one-line change once the weir
// package's tests pass with `-tags weir_direct` on the new toolchain.
//
// Only linux/amd64 has the package's functions; elsewhere it is empty
// and weir uses cgo.
package direct
