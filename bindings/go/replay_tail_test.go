package weir

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func replayQuantile(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	window := QuantileWindow(time.Duration(c.u64("window_ns", uint64(10*time.Second))), int(c.u64("sub_windows", 4)))
	q, err := NewLatencyQuantiles(window)
	if !build(t, v, err) {
		return
	}
	defer q.Close()
	other, err := NewLatencyQuantiles(window)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "record":
			into := q
			if r.argStr("into") == "other" {
				into = other
			}
			into.record(now, r.arg("value"), r.argOr("count", 1))
		case "quantile":
			var want float64
			if err := json.Unmarshal(r.step.Args["q"], &want); err != nil {
				t.Fatalf("step %d: q: %v", r.i, err)
			}
			got, err := q.read(now, want)
			if err != nil {
				t.Fatalf("step %d: %v", r.i, err)
			}
			if raw, ok := r.step.Expect["value"]; ok && string(raw) == "null" {
				if got.found != 0 {
					t.Errorf("step %d: want no value, got %d", r.i, got.value_ns)
				}
			} else {
				r.u64("value", uint64(got.value_ns))
			}
		case "merge":
			if err := q.merge(other, now); err != nil {
				t.Fatalf("step %d: %v", r.i, err)
			}
		case "bucket":
			lower, upper := quantileBucketBounds(r.arg("value"))
			r.u64("lower", lower)
			r.u64("upper", upper)
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
		r.u64("count", q.snapshot(now).Count)
	})
}

func replayHotKeys(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	halfLife := time.Duration(c.u64("half_life_ns", uint64(10*time.Second)))
	if c.u64("half_life_ns", 0) == math.MaxUint64 {
		halfLife = math.MaxInt64 // never
	}
	k, err := NewHotKeys(HotKeysCapacity(int(c.u64("capacity", 0))), HalfLife(halfLife))
	if !build(t, v, err) {
		return
	}
	defer k.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "record":
			for range r.argOr("count", 1) {
				k.recordHashed(now, r.arg("key"))
			}
		case "top":
			got := k.top(now, int(r.arg("k")))
			if raw, ok := r.step.Expect["keys"]; ok {
				var want []map[string]json.RawMessage
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				if len(want) != len(got) {
					t.Fatalf("step %d: %d keys, want %d", r.i, len(got), len(want))
				}
				for i, w := range want {
					g := got[i]
					if g.Hash != u64(t, w["key"]) || g.Count != u64(t, w["count"]) || g.Error != u64(t, w["error"]) || g.Key != "" {
						t.Errorf("step %d: keys[%d] = %+v, want %s", r.i, i, g, raw)
					}
				}
			}
		case "estimate":
			count, errorBound := k.estimate(now, r.arg("key"))
			r.u64("count", count)
			r.u64("error", errorBound)
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
		r.u64("total", k.total(now))
	})
}

func replayHedge(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	d := DefaultHedgeConfig()
	d.Quantile = c.f64("quantile", d.Quantile)
	d.Floor = time.Duration(c.u64("floor_ns", uint64(d.Floor)))
	d.Ceiling = time.Duration(c.u64("ceiling_ns", uint64(d.Ceiling)))
	d.MaxHedges = int(c.u64("max_hedges", uint64(d.MaxHedges)))
	d.MinSamples = int(c.u64("min_samples", uint64(d.MinSamples)))
	d.Budget.Ratio = c.f64("ratio", d.Budget.Ratio)
	d.Budget.MinPerSecond = int(c.u64("min_per_second", uint64(d.Budget.MinPerSecond)))
	d.Budget.Window = time.Duration(c.u64("window_ns", uint64(d.Budget.Window)))
	d.Budget.Buckets = int(c.u64("buckets", uint64(d.Budget.Buckets)))
	if c.u64("ceiling_ns", 0) == math.MaxUint64 {
		d.Ceiling = math.MaxInt64 // no ceiling
	}
	h, err := NewHedger(d)
	if !build(t, v, err) {
		return
	}
	defer h.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "deposit":
			for range r.argOr("count", 1) {
				h.deposit(now)
			}
		case "next", "plan":
			a := hedgeAsk{startedAt: r.arg("started_at"), hedgesSent: r.arg("hedges_sent"),
				samples: r.argOr("samples", 0), deadlineLeft: r.argOr("deadline_left_ns", math.MaxUint64)}
			if r.has("quantile_ns") {
				q := r.arg("quantile_ns")
				a.quantile = &q
			}
			action, reason, due, delay := h.ask(now, a, r.step.Op == "next")
			r.str("action", action)
			r.str("reason", reason.String())
			r.u64("due", due)
			r.u64("delay", delay)
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
		requests, retries := h.budget(now)
		r.u64("requests", requests)
		r.u64("retries", retries)
	})
}
