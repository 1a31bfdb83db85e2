//go:build race

package weir

import (
	"runtime"
	"unsafe"
)

// raceCSync stands for whatever synchronisation the C code does. Around
// every cgo call the runtime tells the race detector that C code may
// synchronise (a release before, an acquire after, on one shared
// address); the direct calls say the same, or a ConcurrencyLimiter used as
// a lock would look racy to it.
var raceCSync uint64

func raceBeforeC() { runtime.RaceReleaseMerge(unsafe.Pointer(&raceCSync)) }

func raceAfterC() { runtime.RaceAcquire(unsafe.Pointer(&raceCSync)) }

// raceEnabled: see norace.go.
const raceEnabled = true
