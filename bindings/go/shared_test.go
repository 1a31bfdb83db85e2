package weir

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const sharedBurst = 500

func init() { childModes["WEIR_GO_SHARED_WORKER"] = spendShared }

// spendShared is a child process: it spends from the shared bucket at one
// instant (nothing refills meanwhile) and prints how many tokens it got.
func spendShared() {
	l, err := OpenSharedLimiter(os.Getenv("WEIR_GO_SHARED_PATH"), 1, sharedBurst)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	n := 0
	for i := 0; i < 300; i++ {
		if l.acquire(9*uint64(time.Second), 1).Admitted() {
			n++
		}
	}
	fmt.Println(n)
}

func TestSharedLimiterProcessesSpendOneBucket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.limit")
	var wg sync.WaitGroup
	counts := make([]int, 3)
	errs := make([]error, 3)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "WEIR_GO_SHARED_WORKER=1", "WEIR_GO_SHARED_PATH="+path)
			out, err := cmd.Output()
			if err != nil {
				errs[i] = fmt.Errorf("worker: %v: %s", err, out)
				return
			}
			counts[i], errs[i] = strconv.Atoi(strings.TrimSpace(string(out)))
		}()
	}
	wg.Wait()
	total := 0
	for i := range counts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		total += counts[i]
	}
	if total != sharedBurst {
		t.Fatalf("3 processes admitted %d tokens from one bucket of %d", total, sharedBurst)
	}
}

func TestSharedLimiterOpenersShareStateAndConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one")
	a, err := OpenSharedLimiter(path, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSharedLimiter(path, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !a.acquire(5*uint64(time.Second), 2).Admitted() || !b.acquire(5*uint64(time.Second), 1).Admitted() {
		t.Fatal("the burst of 3 was not there for two openers")
	}
	d := a.acquire(5*uint64(time.Second), 1)
	if d.Reason != RateLimited || d.RetryAfter != 100*time.Millisecond {
		t.Fatalf("fourth token: %+v", d)
	}
	_, err = OpenSharedLimiter(path, 10, 4)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "burst" || !strings.Contains(ce.Message, "shared limiter's 3") {
		t.Fatalf("another burst for the same file: %v", err)
	}
	b.Close()
	b.Close()
	if b.Allow() {
		t.Fatal("a closed shared limiter admitted")
	}
}

func TestSharedLimiterNowIsClockMonotonic(t *testing.T) {
	l, err := OpenSharedLimiter(filepath.Join(t.TempDir(), "clock"), 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Allow reads CLOCK_MONOTONIC inside the call; AllowN converts Go's
	// monotonic reading. Both are one clock: a token spent through one is
	// missing for the other, and back 100 ms later.
	if !l.Allow() {
		t.Fatal("a fresh bucket refused")
	}
	now := time.Now()
	if l.AllowN(now, 1) {
		t.Fatal("the token Allow spent was there again for AllowN")
	}
	if !l.AllowN(now.Add(101*time.Millisecond), 1) {
		t.Fatal("no token 100 ms later")
	}
}

func TestSharedLimiterRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "foreign")
	if err := os.WriteFile(foreign, []byte("not a limiter"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSharedLimiter(foreign, 10, 3); err == nil || !strings.Contains(err.Error(), "is not a weir shared limiter") {
		t.Fatalf("a foreign file: %v", err)
	}
	if _, err := OpenSharedLimiter(filepath.Join(dir, "no", "such"), 10, 3); err == nil || !strings.Contains(err.Error(), "open of") {
		t.Fatalf("a missing directory: %v", err)
	}
	var ce *ConfigError
	if _, err := OpenSharedLimiter(filepath.Join(dir, "never"), 10, 0); !errors.As(err, &ce) || ce.Field != "burst" {
		t.Fatalf("burst 0: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); !os.IsNotExist(err) {
		t.Fatal("a refused config created the file")
	}
}
