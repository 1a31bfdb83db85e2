// Command gencalls writes the weir package's call layers (hot.h,
// cgocall.go, directcall.go, slowcall.go, hotcall.go) from the prototypes
// in ffi/include/weir.h and the list of hot functions in hotcalls.txt.
// Run it through `go generate` in bindings/go; -out writes elsewhere, for
// the suite's staleness check.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

var modulePath = regexp.MustCompile(`(?m)^module\s+(\S+)`)

func main() {
	header := flag.String("header", "../../ffi/include/weir.h", "the C ABI's header")
	outDir := flag.String("out", ".", "where to write the generated files")
	flag.Parse()
	if err := run(*header, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "gencalls:", err)
		os.Exit(1)
	}
}

// run reads its inputs relative to the package directory (bindings/go).
func run(headerPath, outDir string) error {
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		return string(b), err
	}
	var in inputs
	var err error
	in.HeaderPath = headerPath
	if in.Header, err = read(headerPath); err != nil {
		return err
	}
	if in.List, err = read(filepath.Join("internal", "gencalls", "hotcalls.txt")); err != nil {
		return err
	}
	if in.Trampolines, err = read(filepath.Join("internal", "direct", "direct_amd64.go")); err != nil {
		return err
	}
	mod, err := read("go.mod")
	if err != nil {
		return err
	}
	m := modulePath.FindStringSubmatch(mod)
	if m == nil {
		return fmt.Errorf("go.mod names no module")
	}
	in.Module = m[1]
	files, err := generate(in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(outDir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
