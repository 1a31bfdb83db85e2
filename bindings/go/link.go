package weir

// Where cgo finds weir.h and libweir.a. A released module carries both
// (include/ and one stripped archive per platform under lib/, written by
// `make dist`), so `go get` links without Rust; in the repository they come
// from ffi/include and the workspace's release build
// (`cargo build --release -p weir-ffi`). The linker takes the first
// libweir.a on its search path, so a release's own archive always wins.

/*
#cgo CFLAGS: -I${SRCDIR}/include -I${SRCDIR}/../../ffi/include
#cgo linux,amd64 LDFLAGS: -L${SRCDIR}/lib/linux_amd64
#cgo linux,arm64 LDFLAGS: -L${SRCDIR}/lib/linux_arm64
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -l:libweir.a -lm -ldl -lpthread
*/
import "C"
