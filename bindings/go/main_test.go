package weir

import (
	"os"
	"testing"
)

// childModes are the ways a test starts this test binary again as a child
// process: the environment variable that selects the mode, and what the
// child does before it exits.
var childModes = map[string]func(){}

func TestMain(m *testing.M) {
	for env, run := range childModes {
		if os.Getenv(env) == "1" {
			run()
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}
