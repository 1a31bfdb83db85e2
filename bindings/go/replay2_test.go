package weir

import (
	"testing"
	"time"
)

func replayPicker(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	p, err := NewPicker(int(c.u64("capacity", 0)),
		Tau(time.Duration(c.u64("tau_ns", uint64(600*time.Millisecond)))),
		ForcePickAfter(time.Duration(c.u64("force_pick_ns", uint64(3*time.Second)))),
		Health(c.f64("success_floor", 0.5), int(c.u64("cpu_ceiling", 900))),
		LatencyBias(time.Duration(c.u64("latency_bias_ns", uint64(5*time.Millisecond)))),
		InitialLatency(time.Duration(c.u64("initial_latency_ns", 0))),
	)
	if !build(t, v, err) {
		return
	}
	defer p.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "add":
			index, err := p.add(r.arg("id"), now)
			if err == nil {
				r.str("reason", "admitted")
				r.u64("index", uint64(index))
			} else {
				r.str("reason", "table_full")
			}
		case "remove":
			r.bool("ok", p.Remove(int(r.arg("index"))))
		case "set_up":
			r.bool("ok", p.SetUp(int(r.arg("index")), r.argBool("up")))
		case "pick":
			reason, index, gen, forced := p.pick(now, r.arg("draw"))
			r.str("reason", reason.String())
			r.u64("index", uint64(index))
			r.u64("gen", uint64(gen))
			r.bool("forced", forced)
		case "done":
			cpu := -1
			if r.has("cpu_permille") {
				cpu = int(r.arg("cpu_permille"))
			}
			r.bool("ok", p.done(uint32(r.arg("index")), uint32(r.arg("gen")), now, r.arg("latency_ns"), r.argBool("success"), cpu))
		case "node":
			n, ok := p.Node(int(r.arg("index")))
			if !ok {
				t.Fatalf("step %d: no slot %d", r.i, r.arg("index"))
			}
			r.str("state", n.State)
			r.u64("in_flight", n.InFlight)
			r.u64("latency_ns", uint64(n.Latency))
			r.u64("success_ppm", uint64(n.Success*1e6))
			r.u64("cpu_permille", n.CPUPermille)
			r.u64("id", n.ID)
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
	})
}

var jitters = map[string]Jitter{"none": NoJitter, "full": FullJitter, "equal": EqualJitter, "decorrelated": DecorrelatedJitter}

func vectorBackoff(c config) (*Backoff, error) {
	b := DefaultBackoffConfig()
	cfg := BackoffConfig{
		Base: time.Duration(c.u64("base_ns", uint64(b.Base))), Cap: time.Duration(c.u64("cap_ns", uint64(b.Cap))),
		Multiplier: c.f64("multiplier", b.Multiplier), Jitter: b.Jitter,
		MaxAttempts: int(c.u64("max_attempts", uint64(b.MaxAttempts))),
		AdvisedCap:  time.Duration(c.u64("advised_cap_ns", uint64(b.AdvisedCap))),
	}
	if raw, ok := c.raw["jitter"]; ok {
		j, known := jitters[string(raw[1:len(raw)-1])]
		if !known {
			j = 99
		}
		cfg.Jitter = j
	}
	return NewBackoff(cfg)
}

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

func replayBackoff(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	b, err := vectorBackoff(c)
	if !build(t, v, err) {
		return
	}
	defer b.Close()
	each(func(r *replayer) {
		switch r.step.Op {
		case "delay":
			r.u64("delay_ns", ns(b.delay(uint32(r.arg("retry")), r.arg("draw"), r.arg("previous_ns"))))
		case "next":
			var advised *uint64
			if r.has("advised_ns") {
				a := r.arg("advised_ns")
				advised = &a
			}
			reason, delay := b.next(uint32(r.arg("attempt")), r.argOr("draw", 0), r.argOr("previous_ns", 0), advised)
			r.str("reason", reason.String())
			r.u64("delay_ns", ns(delay))
		case "parse_retry_after":
			r.parsed(ParseRetryAfter(r.argStr("value"), time.Unix(int64(r.arg("now_unix_s")), 0)))
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
	})
}

func replayBudget(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	d := DefaultRetryBudgetConfig()
	budget, err := NewRetryBudget(RetryBudgetConfig{
		Ratio: c.f64("ratio", d.Ratio), MinPerSecond: int(c.u64("min_per_second", uint64(d.MinPerSecond))),
		Window: time.Duration(c.u64("window_ns", uint64(d.Window))), Buckets: int(c.u64("buckets", uint64(d.Buckets))),
	})
	var b *Backoff
	if err == nil {
		defer budget.Close()
		b, err = vectorBackoff(c)
	}
	if !build(t, v, err) {
		return
	}
	defer b.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "deposit":
			for n := r.argOr("count", 1); n > 0; n-- {
				budget.deposit(now)
			}
		case "withdraw":
			r.decision(budget.withdraw(now, r.argOr("delay_ns", 0), r.argOr("deadline_left_ns", 1<<64-1)))
		case "retry":
			var advised *uint64
			if r.has("advised_ns") {
				a := r.arg("advised_ns")
				advised = &a
			}
			d, delay := budget.retry(b, now, uint32(r.arg("attempt")), r.argOr("draw", 0), r.argOr("previous_ns", 0), advised, r.argOr("deadline_left_ns", 1<<64-1), r.argOr("no_retry", 0) != 0)
			r.decision(d)
			r.u64("delay_ns", ns(delay))
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
		requests, retries := budget.snapshot(now)
		r.u64("requests", requests)
		r.u64("retries", retries)
	})
}

func replaySingleflight(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	g, err := NewGroup(int(c.u64("capacity", 0)))
	if !build(t, v, err) {
		return
	}
	defer g.Close()
	each(func(r *replayer) {
		switch r.step.Op {
		case "begin":
			role, slot, gen := g.begin(r.arg("key"))
			r.str("role", role)
			r.u64("slot", uint64(slot))
			r.u64("gen", uint64(gen))
		case "finish", "leave":
			slot, gen := uint32(r.arg("slot")), uint32(r.arg("gen"))
			if r.step.Op == "finish" {
				r.bool("ok", g.finish(slot, gen))
			} else {
				r.bool("ok", g.leave(slot, gen))
			}
			r.u64("waiters", g.waiters(slot))
		case "is_done":
			r.bool("done", g.isDone(uint32(r.arg("slot")), uint32(r.arg("gen"))))
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
		r.u64("occupied", g.occupied())
	})
}

func replayDeadline(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	d, err := newDeadline(c.u64("timeout_ns", 1<<64-1), c.u64("margin_ns", 0))
	if !build(t, v, err) {
		return
	}
	defer d.Close()
	each(func(r *replayer) {
		switch r.step.Op {
		case "budget":
			reason, timeout := d.budget(r.now(), r.has("deadline_ns"), r.argOr("deadline_ns", 0))
			r.str("reason", reason.String())
			r.u64("timeout_ns", ns(timeout))
		case "parse_grpc_timeout":
			v, err := parseGrpcTimeoutNs(r.argStr("value"))
			r.parsedNs(v, err)
		case "parse_millis":
			r.parsed(ParseMillis(r.argStr("value")))
		case "format_grpc_timeout", "format_millis":
			size := int(r.argOr("buf_len", 32))
			var s string
			var err error
			if r.step.Op == "format_grpc_timeout" {
				s, err = formatGrpcTimeout(r.arg("ns"), size)
			} else {
				s, err = formatMillis(r.arg("ns"), size)
			}
			if err != nil {
				r.str("error", "buffer_too_small")
			} else {
				r.str("value", s)
			}
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
	})
}
