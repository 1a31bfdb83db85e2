package weir

// Replays every conformance vector in core/tests/vectors (format in its
// README) through the Go API: the same answers as every other runtime.

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

type vector struct {
	Primitive         string                     `json:"primitive"`
	Config            map[string]json.RawMessage `json:"config"`
	ExpectConfigError *struct{ Field string }    `json:"expect_config_error"`
	Steps             []step                     `json:"steps"`
}

type step struct {
	At     json.RawMessage            `json:"at"`
	Op     string                     `json:"op"`
	Args   map[string]json.RawMessage `json:"args"`
	Expect map[string]json.RawMessage `json:"expect"`
}

// u64 reads a JSON number or a string of digits (values above 2^53).
func u64(t *testing.T, raw json.RawMessage) uint64 {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("not a u64: %s", raw)
		}
		return v
	}
	v, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		t.Fatalf("not a u64: %s", raw)
	}
	return v
}

type replayer struct {
	t    *testing.T
	i    int
	step step
}

func (r *replayer) has(name string) bool { _, ok := r.step.Args[name]; return ok }

func (r *replayer) arg(name string) uint64 {
	raw, ok := r.step.Args[name]
	if !ok {
		r.t.Fatalf("step %d: no args.%s", r.i, name)
	}
	return u64(r.t, raw)
}

func (r *replayer) argOr(name string, fallback uint64) uint64 {
	if !r.has(name) {
		return fallback
	}
	return r.arg(name)
}

func (r *replayer) argBool(name string) bool {
	var b bool
	if err := json.Unmarshal(r.step.Args[name], &b); err != nil {
		r.t.Fatalf("step %d: args.%s: %v", r.i, name, err)
	}
	return b
}

func (r *replayer) argStr(name string) string {
	var s string
	_ = json.Unmarshal(r.step.Args[name], &s)
	return s
}

func (r *replayer) now() uint64 { return u64(r.t, r.step.At) }

func (r *replayer) u64(name string, got uint64) {
	if raw, ok := r.step.Expect[name]; ok {
		if want := u64(r.t, raw); want != got {
			r.t.Errorf("step %d (%s): %s: want %d, got %d", r.i, r.step.Op, name, want, got)
		}
	}
}

func (r *replayer) str(name, got string) {
	if raw, ok := r.step.Expect[name]; ok {
		var want string
		_ = json.Unmarshal(raw, &want)
		if want != got {
			r.t.Errorf("step %d (%s): %s: want %q, got %q", r.i, r.step.Op, name, want, got)
		}
	}
}

func (r *replayer) bool(name string, got bool) {
	if raw, ok := r.step.Expect[name]; ok {
		var want bool
		_ = json.Unmarshal(raw, &want)
		if want != got {
			r.t.Errorf("step %d (%s): %s: want %v, got %v", r.i, r.step.Op, name, want, got)
		}
	}
}

func ns(d time.Duration) uint64 {
	if d == Never {
		return math.MaxUint64
	}
	return uint64(d)
}

// parsed checks a header parse against the step: the nanoseconds, or the
// reason it was refused for.
func (r *replayer) parsed(d time.Duration, err error) { r.parsedNs(ns(d), err) }

func (r *replayer) parsedNs(d uint64, err error) {
	if err != nil {
		he, ok := err.(*HeaderError)
		if !ok {
			r.t.Fatalf("step %d: %v", r.i, err)
		}
		r.str("error", he.Reason)
		if _, wantNs := r.step.Expect["ns"]; wantNs {
			r.t.Errorf("step %d: want ns, got error %s", r.i, he.Reason)
		}
		return
	}
	if _, wantErr := r.step.Expect["error"]; wantErr {
		r.t.Errorf("step %d: want an error, got %d", r.i, d)
	}
	r.u64("ns", d)
}

func (r *replayer) decision(d Decision) {
	r.str("reason", d.Reason.String())
	r.u64("retry_after", ns(d.RetryAfter))
	r.u64("remaining", d.Remaining)
	r.u64("reset_after", ns(d.ResetAfter))
}

type config struct {
	t   *testing.T
	raw map[string]json.RawMessage
}

func (c config) u64(name string, fallback uint64) uint64 {
	if raw, ok := c.raw[name]; ok {
		return u64(c.t, raw)
	}
	return fallback
}

func (c config) f64(name string, fallback float64) float64 {
	if raw, ok := c.raw[name]; ok {
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			c.t.Fatalf("config %s: %s", name, raw)
		}
		return v
	}
	return fallback
}

func (c config) has(name string) bool { _, ok := c.raw[name]; return ok }

// build checks a construction against the vector: the config error it
// expects (naming its field), or success.
func build(t *testing.T, v *vector, err error) bool {
	t.Helper()
	if v.ExpectConfigError != nil {
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != v.ExpectConfigError.Field {
			t.Errorf("want a config error on %q, got %v", v.ExpectConfigError.Field, err)
		}
		return false
	}
	if err != nil {
		t.Fatalf("config refused: %v", err)
	}
	return true
}

type replayFunc func(t *testing.T, v *vector, c config, each func(func(r *replayer)))

var replays = map[string]replayFunc{
	"limiter":             replayLimiter,
	"keyed_limiter":       replayKeyed,
	"multi_limiter":       replayMulti,
	"concurrency_limiter": replayConcurrency,
	"shedder":             replayShedder,
	"throttle":            replayThrottle,
	"lease":               replayLease,
	"picker":              replayPicker,
	"backoff":             replayBackoff,
	"retry_budget":        replayBudget,
	"singleflight":        replaySingleflight,
	"deadline":            replayDeadline,
	"breaker":             replayBreaker,
	"adaptive_limit":      replayAdaptiveLimit,
	"quantile":            replayQuantile,
	"hot_keys":            replayHotKeys,
	"hedge":               replayHedge,
}

// Primitives with vectors in core that this package does not offer yet:
// their files are skipped, not failed. Each names the issue wiring it.
var notYet = map[string]string{}

func TestVectors(t *testing.T) { replayVectors(t) }

// replayVectors replays every conformance vector through this build's
// calls (see hotcall.go).
func replayVectors(t *testing.T) {
	files, err := filepath.Glob("../../core/tests/vectors/*.json")
	if err != nil || len(files) < 50 {
		t.Fatalf("vectors not found: %v (%d files)", err, len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var v vector
			if err := json.Unmarshal(text, &v); err != nil {
				t.Fatal(err)
			}
			if why, later := notYet[v.Primitive]; later {
				t.Skipf("%s is not in the Go package yet (%s)", v.Primitive, why)
			}
			replay, ok := replays[v.Primitive]
			if !ok {
				t.Fatalf("no Go replay for primitive %q", v.Primitive)
			}
			replay(t, &v, config{t, v.Config}, func(body func(r *replayer)) {
				for i, s := range v.Steps {
					body(&replayer{t: t, i: i, step: s})
				}
			})
		})
	}
}
