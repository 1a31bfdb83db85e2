//go:build linux && amd64 && weir_direct && !msan && !asan

package weir

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/weir-rs/weir/bindings/go/internal/direct"
)

// Machine code for native functions with a known stack behaviour, called
// the way the hot paths call libweir (no cgo helper is possible here: test
// files cannot use cgo).
var (
	// *a1 = rsp; return 0
	recordSP = []byte{0x48, 0x89, 0x26, 0x31, 0xc0, 0xc3}
	// 64 times: rsp -= 4096, write there; then *a1 = rsp, rsp += 256 KiB,
	// return 42. A Rust panic's backtrace takes tens of KiB.
	touch256KiB = []byte{
		0xb9, 0x40, 0x00, 0x00, 0x00, // mov ecx, 64
		0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00, // sub rsp, 4096
		0x48, 0x89, 0x0c, 0x24, // mov [rsp], rcx
		0xff, 0xc9, // dec ecx
		0x75, 0xf1, // jnz back to the sub
		0x48, 0x89, 0x26, // mov [rsi], rsp
		0x48, 0x81, 0xc4, 0x00, 0x00, 0x04, 0x00, // add rsp, 256 KiB
		0xb8, 0x2a, 0x00, 0x00, 0x00, // mov eax, 42
		0xc3, // ret
	}
	// *(char *)0 = 0
	writeToNull = []byte{0x31, 0xc0, 0x88, 0x00, 0xc3}
)

// nativeCode maps code into an executable page of its own.
func nativeCode(code []byte) (uintptr, error) {
	mem, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return 0, err
	}
	copy(mem, code)
	if err := syscall.Mprotect(mem, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		return 0, err
	}
	return uintptr(unsafe.Pointer(&mem[0])), nil
}

func mustNativeCode(t *testing.T, code []byte) uintptr {
	t.Helper()
	fn, err := nativeCode(code)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// mappingOf is the line of /proc/self/maps whose range holds addr, or
// why there is none.
func mappingOf(addr uintptr) string {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var lo, hi uintptr
		if _, err := fmt.Sscanf(lines.Text(), "%x-%x", &lo, &hi); err == nil && lo <= addr && addr < hi {
			return lines.Text()
		}
	}
	return fmt.Sprintf("no mapping holds %#x", addr)
}

// onFreshGoroutines runs body on n new goroutines (new, small stacks),
// every other one locked to its thread, which then exits with it, so that
// the calls land on several threads, new ones among them.
func onFreshGoroutines(n int, body func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 1 {
				runtime.LockOSThread()
			}
			body(i)
		}()
		wg.Wait()
	}
}

// The native code runs outside the goroutine's stack: in another mapping
// than the goroutine's own locals (Go allocates goroutine stacks in its
// heap arenas; a thread's system stack is the kernel's or pthread's).
func TestDirectCallsRunOffTheGoroutineStack(t *testing.T) {
	fn := mustNativeCode(t, recordSP)
	onFreshGoroutines(8, func(i int) {
		var sp uintptr
		var local byte
		status := direct.CallP1(fn, 0, unsafe.Pointer(&sp), 0, 0, 0, 0)
		native, goroutine := mappingOf(sp), mappingOf(uintptr(unsafe.Pointer(&local)))
		if status != 0 || native == goroutine || strings.HasPrefix(native, "no mapping") {
			t.Errorf("call %d via %s: status %d; native SP %#x in %q, a goroutine local at %p in %q",
				i, direct.Via, status, sp, native, &local, goroutine)
		}
	})
}

// The native code has the system stack's depth, far more than a Rust
// backtrace needs, and nothing on the goroutine's stack moves or changes.
func TestDirectCallsHaveTheSystemStacksDepth(t *testing.T) {
	fn := mustNativeCode(t, touch256KiB)
	onFreshGoroutines(8, func(i int) {
		var sentinel [64]uint64
		for j := range sentinel {
			sentinel[j] = uint64(j) * 0x9e3779b97f4a7c15
		}
		var deepest uintptr
		status := direct.CallP1(fn, 0, unsafe.Pointer(&deepest), 0, 0, 0, 0)
		if status != 42 {
			t.Errorf("call %d: status %d, want 42", i, status)
		}
		for j := range sentinel {
			if sentinel[j] != uint64(j)*0x9e3779b97f4a7c15 {
				t.Errorf("call %d: the goroutine's stack changed at word %d", i, j)
			}
		}
		if deepest == 0 {
			t.Errorf("call %d: the native code did not report its stack", i)
		}
	})
}

// Goroutines that made a hot call keep the stacks Go gave them: a direct
// call needs none of theirs (a reserve on the goroutine's stack made each
// keep >= 32 KiB, ~22 KiB more per goroutine than this allows).
func TestDirectCallsLeaveGoroutineStacksSmall(t *testing.T) {
	saved := useDirect
	useDirect = true
	defer func() { useDirect = saved }()
	l, err := NewLimiter(1e9, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const goroutines, perGoroutine = 2000, 8 << 10
	var before, parked runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	release := make(chan struct{})
	var called, exited sync.WaitGroup
	for range goroutines {
		called.Add(1)
		exited.Add(1)
		go func() {
			defer exited.Done()
			l.Allow()
			called.Done()
			<-release
		}()
	}
	called.Wait()
	runtime.ReadMemStats(&parked)
	close(release)
	exited.Wait()
	grown := int64(parked.StackInuse) - int64(before.StackInuse)
	t.Logf("%d parked goroutines that each made a direct call: stacks +%d KiB", goroutines, grown>>10)
	if grown > goroutines*perGoroutine {
		t.Errorf("stacks grew %d KiB for %d goroutines, more than %d KiB each", grown>>10, goroutines, perGoroutine>>10)
	}
}

// The child modes of the tests below.
func init() {
	childModes["WEIR_GO_REPORT_PATH"] = reportPath
	childModes["WEIR_GO_NATIVE_FAULT"] = faultInNativeCode
}

// reportPath prints which path the hot calls take and a decision made on it.
func reportPath() {
	l, err := NewLimiter(1, 2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("useDirect=%v via=%s allow=%v,%v,%v\n", useDirect, direct.Via, l.Allow(), l.Allow(), l.Allow())
}

// No environment variable changes the path: RUST_BACKTRACE used to turn
// the direct calls off (a backtrace would have overrun the goroutine-stack
// reserve they had).
func TestDirectPathIgnoresRustBacktrace(t *testing.T) {
	var want string
	for _, setting := range []string{"unset", "", "0", "1", "full"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(withoutEnv("RUST_BACKTRACE"), "WEIR_GO_REPORT_PATH=1")
		if setting != "unset" {
			cmd.Env = append(cmd.Env, "RUST_BACKTRACE="+setting)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("RUST_BACKTRACE %s: %v\n%s", setting, err, out)
		}
		got := strings.TrimSpace(string(out))
		if want == "" {
			want = fmt.Sprintf("useDirect=true via=%s allow=true,true,false", direct.Via)
		}
		if got != want {
			t.Errorf("RUST_BACKTRACE %s: %q, want %q", setting, got, want)
		}
	}
}

func withoutEnv(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// faultInNativeCode makes native code called the direct way write to
// address 0.
//
//go:noinline
func faultInNativeCode() {
	fn, err := nativeCode(writeToNull)
	if err != nil {
		panic(err)
	}
	direct.Call(fn, 0, 0, 0, 0, 0, 0)
}

// A fault in native code is reported as the signal with the Go stack that
// made the call (on the goroutine's stack it was "unknown caller pc").
func TestNativeFaultShowsTheGoCaller(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(withoutEnv("GOTRACEBACK"), "WEIR_GO_NATIVE_FAULT=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child survived a write to address 0:\n%s", out)
	}
	for _, want := range []string{"SIGSEGV", "bindings/go.faultInNativeCode", "direct.Call"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the crash report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "unknown caller pc") {
		t.Errorf("the crash report lost the Go caller:\n%s", out)
	}
}
