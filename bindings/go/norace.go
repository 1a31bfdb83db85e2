//go:build !race

package weir

// Without the race detector there is nothing to tell (see race.go).

func raceBeforeC() {}

func raceAfterC() {}

// raceEnabled: the race detector slows every goroutine several times over,
// so timing bars are judged only in builds without it.
const raceEnabled = false
