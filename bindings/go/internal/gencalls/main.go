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
	in := inputs{HeaderPath: headerPath}
	var mod string
	for path, dst := range map[string]*string{headerPath: &in.Header, "go.mod": &mod,
		filepath.Join("internal", "gencalls", "hotcalls.txt"):  &in.List,
		filepath.Join("internal", "direct", "direct_amd64.go"): &in.Trampolines} {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		*dst = string(b)
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
