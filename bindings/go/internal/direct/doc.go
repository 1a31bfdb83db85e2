// Package direct calls C functions from Go without cgo's scheduler
// hand-off, for the few libweir functions that behave like a handful of Go
// instructions (the weir package says which, and why each qualifies).
// Only linux/amd64 has it; elsewhere the package is empty and weir uses
// cgo.
package direct
