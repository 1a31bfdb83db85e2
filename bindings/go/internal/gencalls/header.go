package main

import (
	"fmt"
	"regexp"
	"strings"
)

// cParam is one parameter of a prototype: `const uint8_t *key` is base
// "uint8_t", constant, one star, name "key".
type cParam struct {
	Base  string
	Const bool
	Stars int
	Name  string
}

// decl is the parameter as C declares it, for a shim's parameter list.
func (p cParam) decl() string {
	s := p.Base + " " + strings.Repeat("*", p.Stars) + p.Name
	if p.Const {
		s = "const " + s
	}
	return s
}

type cFunc struct {
	Name   string
	Ret    string
	Params []cParam
}

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`//[^\n]*`)
	directive    = regexp.MustCompile(`(?m)^[ \t]*#[^\n]*$`)
	// A return type (one identifier, maybe const and stars), a weir_ name
	// and a parameter list without parentheses (no function pointers),
	// ended by `;`: a prototype, not a definition or a typedef.
	prototype  = regexp.MustCompile(`(?:^|[;{}\s])((?:const\s+)?[A-Za-z_]\w*(?:\s*\*)*)\s*\b(weir_\w+)\s*\(([^;{}()]*)\)\s*;`)
	identifier = regexp.MustCompile(`^[A-Za-z_]\w*$`)
)

// parseHeader reads every weir_ prototype in a C header, whatever its
// order, comments or line breaks. A name declared twice is an error: the
// generator could not tell which one the binding means.
func parseHeader(src string) (map[string]cFunc, error) {
	src = blockComment.ReplaceAllString(src, " ")
	src = lineComment.ReplaceAllString(src, " ")
	src = directive.ReplaceAllString(src, " ")
	funcs := map[string]cFunc{}
	for _, m := range prototype.FindAllStringSubmatch(src, -1) {
		ret, name, list := m[1], m[2], m[3]
		if strings.HasPrefix(strings.TrimSpace(ret), "typedef") {
			continue
		}
		params, err := parseParams(list)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, dup := funcs[name]; dup {
			return nil, fmt.Errorf("%s is declared twice", name)
		}
		funcs[name] = cFunc{Name: name, Ret: strings.Join(strings.Fields(strings.ReplaceAll(ret, "*", " * ")), " "), Params: params}
	}
	return funcs, nil
}

func parseParams(list string) ([]cParam, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "void" {
		return nil, nil
	}
	var params []cParam
	for _, raw := range strings.Split(list, ",") {
		words := strings.Fields(strings.ReplaceAll(raw, "*", " * "))
		if len(words) < 2 {
			return nil, fmt.Errorf("parameter %q has no name", strings.TrimSpace(raw))
		}
		p := cParam{Name: words[len(words)-1]}
		if !identifier.MatchString(p.Name) {
			return nil, fmt.Errorf("parameter %q: %q is not a name", strings.TrimSpace(raw), p.Name)
		}
		var base []string
		for _, w := range words[:len(words)-1] {
			switch w {
			case "const":
				p.Const = p.Const || p.Stars == 0
			case "*":
				p.Stars++
			default:
				base = append(base, w)
			}
		}
		if len(base) != 1 {
			return nil, fmt.Errorf("parameter %q: want one type name, got %q", strings.TrimSpace(raw), base)
		}
		p.Base = base[0]
		params = append(params, p)
	}
	return params, nil
}
