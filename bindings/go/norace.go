//go:build !race

package weir

// Without the race detector there is nothing to tell (see race.go).

func raceBeforeC() {}

func raceAfterC() {}
