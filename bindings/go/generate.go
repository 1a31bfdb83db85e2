package weir

// The call layers between the Go types and libweir are generated from
// the prototypes in ffi/include/weir.h and the list of hot functions in
// internal/gencalls/hotcalls.txt: hot.h (the C shims taking handles as
// integers), cgocall.go (the cgo calls and their noescape/nocallback
// declarations), directcall.go (the weir_direct build's calls and their
// address table), slowcall.go (its stand-ins in every other build) and
// hotcall.go (the explicit-time calls choosing a path). Edit the list,
// then run `go generate`; ci/suites/40-ffi-go.sh fails on a stale file.

//go:generate go run ./internal/gencalls
