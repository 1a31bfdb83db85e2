package main

import (
	"fmt"
	"go/token"
	"strings"
)

// goParam is one Go parameter of a call and what it becomes on each path:
// the shim's arguments (cgo) and the trampoline's argument registers
// (direct).
type goParam struct {
	Name  string
	Type  string
	Cgo   []string
	Slots []slot
	// Why the direct call passes it as it does, when that is not plain.
	Note string
}

// slot is one argument register of a direct call. A pointer that may
// point into the goroutine's stack is passed as an unsafe.Pointer, so a
// stack copy in the trampoline's prologue adjusts it.
type slot struct {
	Expr    string
	Pointer bool
}

// call is a weir.h function seen from Go.
type call struct {
	Proto  cFunc
	Params []goParam
	Ret    string // Go result type, "" for void
}

var scalars = map[string]string{
	"bool": "bool", "uint64_t": "uint64", "int64_t": "int64", "uint32_t": "uint32",
	"int32_t": "int32", "uint16_t": "uint16", "int16_t": "int16", "uint8_t": "uint8",
	"int8_t": "int8", "size_t": "uint",
}

// reserved are names the generated bodies use: a parameter so named gets
// a suffix instead of shadowing them.
var reserved = map[string]bool{"h": true, "s": true, "len": true, "unsafe": true, "direct": true,
	"fns": true, "flag": true, "uintptr": true, "C": true}

func goName(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	name := strings.Join(parts, "")
	if token.IsKeyword(name) || reserved[name] {
		name += "Arg"
	}
	return name
}

// newCall maps a prototype to Go. The first parameter is the handle,
// passed as an integer (hot.h's shims cast it back). A `const uint8_t *`
// followed by a size_t is a Go string.
func newCall(f cFunc, heap map[string]bool) (call, error) {
	c := call{Proto: f}
	if len(f.Params) == 0 || f.Params[0].Stars != 1 || !strings.HasPrefix(f.Params[0].Base, "weir_") {
		return c, fmt.Errorf("%s: the first parameter must be a handle (a pointer to a weir_ type)", f.Name)
	}
	c.Params = append(c.Params, goParam{Name: "h", Type: "uintptr", Cgo: []string{"C.uintptr_t(h)"},
		Slots: []slot{{Expr: "h"}}})
	for i := 1; i < len(f.Params); i++ {
		p := f.Params[i]
		name := goName(p.Name)
		switch {
		case p.Stars == 1 && p.Const && p.Base == "uint8_t" && i+1 < len(f.Params) &&
			f.Params[i+1].Stars == 0 && f.Params[i+1].Base == "size_t":
			data := "unsafe.StringData(" + name + ")"
			c.Params = append(c.Params, goParam{Name: name, Type: "string",
				Cgo:   []string{"(*C.uint8_t)(unsafe.Pointer(" + data + "))", "C.size_t(len(" + name + "))"},
				Slots: []slot{{Expr: "unsafe.Pointer(" + data + ")", Pointer: true}, {Expr: "uintptr(len(" + name + "))"}}})
			i++
		case p.Stars == 1:
			gp := goParam{Name: name, Type: "*C." + p.Base, Cgo: []string{name}}
			if heap[p.Base] {
				gp.Slots = []slot{{Expr: "uintptr(unsafe.Pointer(" + name + "))"}}
				gp.Note = name + " is heap memory, which does not move: it is passed as an integer."
			} else {
				gp.Slots = []slot{{Expr: "unsafe.Pointer(" + name + ")", Pointer: true}}
			}
			c.Params = append(c.Params, gp)
		case p.Stars == 0 && scalars[p.Base] != "":
			gp := goParam{Name: name, Type: scalars[p.Base], Cgo: []string{"C." + p.Base + "(" + name + ")"}}
			switch gp.Type {
			case "bool":
				gp.Slots = []slot{{Expr: "flag(" + name + ")"}}
			case "int32", "int16", "int8":
				gp.Slots = []slot{{Expr: "uintptr(" + name + ")"}}
				gp.Note = name + " is sign-extended into its register; the callee reads only its low bits."
			default:
				gp.Slots = []slot{{Expr: "uintptr(" + name + ")"}}
			}
			c.Params = append(c.Params, gp)
		default:
			return c, fmt.Errorf("%s: parameter %q has a type the generator does not map to Go", f.Name, p.decl())
		}
	}
	switch {
	case f.Ret == "void":
	case identifier.MatchString(f.Ret):
		c.Ret = "C." + f.Ret
	default:
		return c, fmt.Errorf("%s: result type %q is not one C type name", f.Name, f.Ret)
	}
	return c, nil
}

// signature is the Go parameter list, consecutive parameters of one type
// grouped as gofmt'd code would write them, and the result.
func (c call) signature() string {
	var b strings.Builder
	for i, p := range c.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Name)
		if i+1 == len(c.Params) || c.Params[i+1].Type != p.Type {
			b.WriteString(" " + p.Type)
		}
	}
	s := "(" + b.String() + ")"
	if c.Ret != "" {
		s += " " + c.Ret
	}
	return s
}

// types is the signature without the names, to compare two calls.
func (c call) types() string {
	var ts []string
	for _, p := range c.Params {
		ts = append(ts, p.Type)
	}
	return strings.Join(ts, ",") + " " + c.Ret
}

func (c call) argNames() string {
	var ns []string
	for _, p := range c.Params {
		ns = append(ns, p.Name)
	}
	return strings.Join(ns, ", ")
}

func (c call) takesPointer() bool {
	for _, p := range c.Proto.Params[1:] {
		if p.Stars > 0 {
			return true
		}
	}
	return false
}
