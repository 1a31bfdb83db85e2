package main

import (
	"fmt"
	"strings"
)

// entry is one line of the declaration list: a weir.h function and the
// Go paths that call it.
type entry struct {
	Line     int
	GoName   string // "" for a shim Go calls itself
	C        string
	Shim     string // the hot.h shim's name, "" for a direct-only function
	Cgo      bool
	Direct   bool
	Dispatch bool
	Standin  string
}

type declarations struct {
	Entries []entry
	Heap    map[string]bool
}

// parseList reads the declaration list (hotcalls.txt says its format).
func parseList(src string) (declarations, error) {
	decls := declarations{Heap: map[string]bool{}}
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		if words[0] == "heap" {
			if len(words) != 2 {
				return decls, fmt.Errorf("line %d: want `heap <type>`, got %q", n, line)
			}
			decls.Heap[words[1]] = true
			continue
		}
		if len(words) < 3 {
			return decls, fmt.Errorf("line %d: want `<Go name> <weir.h function> <role>...`, got %q", n, strings.TrimSpace(line))
		}
		e := entry{Line: n, GoName: words[0], C: words[1]}
		if e.GoName == "-" {
			e.GoName = ""
		} else if !identifier.MatchString(e.GoName) || strings.ToUpper(e.GoName[:1]) != e.GoName[:1] {
			return decls, fmt.Errorf("line %d: Go name %q must be an identifier starting with a capital letter", n, e.GoName)
		}
		if !strings.HasPrefix(e.C, "weir_") {
			return decls, fmt.Errorf("line %d: %q is not a weir_ function", n, e.C)
		}
		shim := false
		for _, w := range words[2:] {
			key, value, isOption := strings.Cut(w, "=")
			switch {
			case isOption && key == "shim":
				e.Shim = value
			case isOption && key == "standin":
				e.Standin = value
			case isOption:
				return decls, fmt.Errorf("line %d: unknown option %q (want shim= or standin=)", n, key)
			case w == "shim":
				shim = true
			case w == "cgo":
				e.Cgo = true
			case w == "direct":
				e.Direct = true
			case w == "dispatch":
				e.Dispatch = true
			default:
				return decls, fmt.Errorf("line %d: unknown role %q (want shim, cgo, direct or dispatch)", n, w)
			}
		}
		if (shim || e.Cgo) && e.Shim == "" {
			e.Shim = "weir_go_" + strings.TrimPrefix(e.C, "weir_")
		}
		if e.Shim != "" && !shim && !e.Cgo {
			return decls, fmt.Errorf("line %d: shim= without the shim or cgo role", n)
		}
		if e.GoName == "" && (e.Cgo || e.Direct || e.Dispatch) {
			return decls, fmt.Errorf("line %d: the cgo, direct and dispatch roles need a Go name", n)
		}
		if e.GoName != "" && !e.Cgo && !e.Direct {
			return decls, fmt.Errorf("line %d: %s has a Go name but neither the cgo nor the direct role", n, e.GoName)
		}
		if e.Standin != "" && !e.Direct {
			return decls, fmt.Errorf("line %d: standin= without the direct role", n)
		}
		decls.Entries = append(decls.Entries, e)
	}
	seen := map[string]int{}
	for _, e := range decls.Entries {
		for role, on := range map[string]bool{"cgo": e.Cgo, "direct": e.Direct, "dispatch": e.Dispatch} {
			key := role + " " + e.GoName
			if !on {
				continue
			}
			if prev, dup := seen[key]; dup {
				return decls, fmt.Errorf("line %d: %s already has a %s call (line %d)", e.Line, e.GoName, role, prev)
			}
			seen[key] = e.Line
		}
	}
	return decls, nil
}
