// The Go smoke program of the release checks: weir used as a user's module
// uses it, linked against a release tree's prebuilt archive. A limiter of
// burst 3 admits exactly 3 and refuses the 4th with a retry time; a bad
// burst is refused naming the field. Its argument is the expected version.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go smoke: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: smoke VERSION")
	}
	if got := weir.Version(); got != os.Args[1] {
		fail("linked libweir %s, want %s", got, os.Args[1])
	}
	lim, err := weir.NewLimiter(1, 3, weir.Per(time.Hour))
	if err != nil {
		fail("NewLimiter: %v", err)
	}
	defer lim.Close()
	for i := 1; i <= 3; i++ {
		if d := lim.Acquire(1); !d.Admitted() {
			fail("request %d refused (%s) within the burst of 3", i, d.Reason)
		}
	}
	d := lim.Acquire(1)
	if d.Admitted() || d.Reason != weir.RateLimited || d.RetryAfter <= 0 {
		fail("request 4: %+v, want rate_limited with a retry time", d)
	}
	var ce *weir.ConfigError
	if _, err := weir.NewLimiter(1, 0); !errors.As(err, &ce) || ce.Field != "burst" {
		fail("burst 0: %v, want a ConfigError on burst", err)
	}
	fmt.Printf("go %s/%s: weir %s admitted 3, refused the 4th (%s, retry after %s)\n",
		runtime.GOOS, runtime.GOARCH, weir.Version(), d.Reason, d.RetryAfter.Round(time.Second))
}
