// Command gencalls writes the weir package's call layers (hot.h,
// cgocall.go, directcall.go, slowcall.go, hotcall.go) from the prototypes
// in ffi/include/weir.h and the hot functions listed in hotcalls.txt. Run
// it from bindings/go (`go generate`); -out writes the files elsewhere,
// for the suite's staleness check.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	header := flag.String("header", "../../ffi/include/weir.h", "the C ABI's header")
	outDir := flag.String("out", ".", "where to write the generated files")
	flag.Parse()
	if err := run(*header, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "gencalls:", err)
		os.Exit(1)
	}
}

func run(headerPath, outDir string) error {
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		return string(b), err
	}
	in := inputs{HeaderPath: headerPath}
	var err error
	if in.Header, err = read(headerPath); err != nil {
		return err
	}
	if in.List, err = read(filepath.Join("internal", "gencalls", "hotcalls.txt")); err != nil {
		return err
	}
	// The trampolines are whatever internal/direct declares, in any of its
	// files (each of its builds declares the same set).
	direct, _ := filepath.Glob(filepath.Join("internal", "direct", "*.go"))
	for _, path := range direct {
		src, err := read(path)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(path, "_test.go") {
			in.Trampolines += src
		}
	}
	mod, err := read("go.mod")
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindStringSubmatch(mod)
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
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}
