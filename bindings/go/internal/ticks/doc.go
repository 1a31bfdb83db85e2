// Package ticks reads the CPU's raw counter in one instruction, for ends
// of requests handed to libweir without a call into it: libweir says
// whether its clock reads the same counter (weir_ticks) and scales the raw
// values itself. It is a package of its own because a package that uses
// cgo cannot hold Go assembly.
package ticks
