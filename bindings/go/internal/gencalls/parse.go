package main

import (
	"fmt"
	"regexp"
	"strings"
)

// cParam is one parameter of a prototype: `const uint8_t *key` is base
// uint8_t, const, one star, name key.
type cParam struct {
	Base, Name string
	Const      bool
	Stars      int
}

func (p cParam) decl() string {
	s := p.Base + " " + strings.Repeat("*", p.Stars) + p.Name
	if p.Const {
		s = "const " + s
	}
	return s
}

type cFunc struct {
	Name, Ret string
	Params    []cParam
}

var (
	comments   = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*|(?m)^[ \t]*#[^\n]*$`)
	identifier = regexp.MustCompile(`^[A-Za-z_]\w*$`)
	// A return type, a weir_ name and a parameter list without
	// parentheses (no function pointers), ended by `;`: a prototype.
	prototype = regexp.MustCompile(`(?:^|[;{}\s])((?:const\s+)?[A-Za-z_]\w*(?:\s*\*)*)\s*\b(weir_\w+)\s*\(([^;{}()]*)\)\s*;`)
)

// parseHeader reads every weir_ prototype of a C header, whatever its
// order, comments, preprocessor lines or line breaks.
func parseHeader(src string) (map[string]cFunc, error) {
	funcs := map[string]cFunc{}
	for _, m := range prototype.FindAllStringSubmatch(comments.ReplaceAllString(src, " "), -1) {
		f := cFunc{Name: m[2], Ret: strings.Join(strings.Fields(strings.ReplaceAll(m[1], "*", " * ")), " ")}
		if list := strings.TrimSpace(m[3]); list != "" && list != "void" {
			for _, raw := range strings.Split(list, ",") {
				p, err := parseParam(raw)
				if err != nil {
					return nil, fmt.Errorf("%s: parameter %q: %w", f.Name, strings.TrimSpace(raw), err)
				}
				f.Params = append(f.Params, p)
			}
		}
		if _, dup := funcs[f.Name]; dup {
			return nil, fmt.Errorf("%s is declared twice", f.Name)
		}
		funcs[f.Name] = f
	}
	return funcs, nil
}

func parseParam(raw string) (cParam, error) {
	words := strings.Fields(strings.ReplaceAll(raw, "*", " * "))
	if len(words) < 2 || !identifier.MatchString(words[len(words)-1]) {
		return cParam{}, fmt.Errorf("no name")
	}
	p := cParam{Name: words[len(words)-1]}
	for _, w := range words[:len(words)-1] {
		switch {
		case w == "const":
			p.Const = p.Const || p.Stars == 0
		case w == "struct" || w == "enum":
		case w == "*":
			p.Stars++
		case p.Base == "":
			p.Base = w
		default:
			return p, fmt.Errorf("want one type name, got %q and %q", p.Base, w)
		}
	}
	return p, nil
}

// entry is one line of hotcalls.txt: a weir.h function and the Go paths
// that call it.
type entry struct {
	Line                     int
	GoName, C, Shim, Standin string
	Cgo, Direct, Dispatch    bool
}

// parseList reads hotcalls.txt (its header says the format) and the
// types it says live in memory that never moves.
func parseList(src string) ([]entry, map[string]bool, error) {
	var entries []entry
	heap := map[string]bool{}
	seen := map[string]int{}
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		words := strings.Fields(strings.SplitN(line, "#", 2)[0])
		switch {
		case len(words) == 0:
			continue
		case words[0] == "heap" && len(words) == 2:
			heap[words[1]] = true
			continue
		case len(words) < 3:
			return nil, nil, fmt.Errorf("line %d: want `<Go name> <weir.h function> <role>...`, got %q", n, strings.TrimSpace(line))
		}
		e := entry{Line: n, GoName: words[0], C: words[1]}
		if e.GoName == "-" {
			e.GoName = ""
		}
		if e.GoName != "" && (!identifier.MatchString(e.GoName) || strings.ToUpper(e.GoName[:1]) != e.GoName[:1]) {
			return nil, nil, fmt.Errorf("line %d: Go name %q must be an identifier starting with a capital letter (or -)", n, e.GoName)
		}
		shim := false
		for _, w := range words[2:] {
			switch key, value, _ := strings.Cut(w, "="); key {
			case "shim":
				e.Shim, shim = value, value == ""
			case "standin":
				e.Standin = value
			case "cgo":
				e.Cgo = true
			case "direct":
				e.Direct = true
			case "dispatch":
				e.Dispatch = true
			default:
				return nil, nil, fmt.Errorf("line %d: unknown role %q (want shim, cgo, direct, dispatch, shim=, standin=)", n, w)
			}
		}
		if (shim || e.Cgo) && e.Shim == "" {
			e.Shim = "weir_go_" + strings.TrimPrefix(e.C, "weir_")
		}
		if e.GoName == "" && (e.Cgo || e.Direct || e.Dispatch) {
			return nil, nil, fmt.Errorf("line %d: the cgo, direct and dispatch roles need a Go name", n)
		}
		for role, on := range map[string]bool{"cgo": e.Cgo, "direct": e.Direct, "dispatch": e.Dispatch} {
			if prev, dup := seen[role+" "+e.GoName]; on && dup {
				return nil, nil, fmt.Errorf("line %d: %s already has a %s call (line %d)", n, e.GoName, role, prev)
			} else if on {
				seen[role+" "+e.GoName] = n
			}
		}
		entries = append(entries, e)
	}
	return entries, heap, nil
}
