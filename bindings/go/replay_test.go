package weir

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func rawLimiter(c config) (float64, int, []LimiterOption) {
	// The exact integer rate per period of the vector.
	rate, period := c.u64("rate", 0), c.u64("period_ns", uint64(time.Second))
	kernel := kernelLimiterConfig{rate: rate, period: period, burst: c.u64("burst", 0)}
	return float64(rate), int(c.u64("burst", 0)), []LimiterOption{func(cfg *limiterCfg) { cfg.kernel = &kernel }}
}

func replayLimiter(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	rate, burst, opts := rawLimiter(c)
	l, err := NewLimiter(rate, burst, opts...)
	if !build(t, v, err) {
		return
	}
	defer l.Close()
	each(func(r *replayer) {
		if r.step.Op == "set_rate" {
			r.setError(l.setKernel(r.now(), r.kernelArgs()))
			return
		}
		r.decision(l.acquire(r.now(), r.arg("cost")))
	})
}

// kernelArgs is a set_rate step's new config, in core's units.
func (r *replayer) kernelArgs() kernelLimiterConfig {
	return kernelLimiterConfig{rate: r.arg("rate"), period: r.argOr("period_ns", uint64(time.Second)), burst: r.arg("burst")}
}

// setError checks a live change against the step: refused naming
// expect.error's field, or accepted.
func (r *replayer) setError(err error) {
	var want string
	if raw, ok := r.step.Expect["error"]; ok {
		_ = json.Unmarshal(raw, &want)
	}
	var ce *ConfigError
	switch {
	case want == "" && err != nil:
		r.t.Errorf("step %d: set_rate refused: %v", r.i, err)
	case want != "" && (!errors.As(err, &ce) || ce.Field != want):
		r.t.Errorf("step %d: want set_rate refused for %s, got %v", r.i, want, err)
	}
}

func replayMulti(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	var rates []map[string]json.RawMessage
	_ = json.Unmarshal(c.raw["rates"], &rates)
	cfgs := make([]kernelLimiterConfig, len(rates))
	for i, raw := range rates {
		rc := config{t, raw}
		cfgs[i] = kernelLimiterConfig{rc.u64("rate", 0), rc.u64("period_ns", uint64(time.Second)), rc.u64("burst", 0)}
	}
	m, err := newMultiKernel(cfgs)
	if !build(t, v, err) {
		return
	}
	defer m.Close()
	each(func(r *replayer) {
		if r.step.Op == "set_rate" {
			r.setError(m.setKernel(r.now(), int(r.arg("index")), r.kernelArgs()))
			return
		}
		r.decision(m.acquire(r.now(), r.arg("cost")))
	})
}

func replayKeyed(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	rate, burst, opts := rawLimiter(c)
	k, err := NewKeyedLimiter(rate, burst, int(c.u64("capacity", 0)), opts...)
	if !build(t, v, err) {
		return
	}
	defer k.Close()
	each(func(r *replayer) {
		if r.step.Op == "set_rate" {
			r.setError(k.setKernel(r.now(), r.kernelArgs()))
			return
		}
		r.decision(k.acquire(r.arg("key"), r.now(), r.arg("cost")))
		r.u64("live", uint64(k.live(r.now())))
	})
}

func replayConcurrency(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	l, err := NewConcurrencyLimiter(int(c.u64("max_in_flight", 0)))
	if !build(t, v, err) {
		return
	}
	defer l.Close()
	each(func(r *replayer) {
		switch r.step.Op {
		case "acquire":
			_, d := l.Acquire()
			r.decision(d)
		case "release":
			r.bool("released", l.release())
		}
		r.u64("in_flight", uint64(l.InFlight()))
	})
}

func replayShedder(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	s, err := NewShedder(
		Window(time.Duration(c.u64("window_ns", uint64(10*time.Second))), int(c.u64("buckets", 100))),
		CPUThreshold(int(c.u64("cpu_threshold", 800))),
		CPUDecay(c.f64("cpu_decay", 0.95)),
		CoolOff(time.Duration(c.u64("cool_off_ns", uint64(time.Second)))),
		MaxQueue(int(c.u64("max_queue", 0))),
	)
	if !build(t, v, err) {
		return
	}
	defer s.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "acquire":
			r.decision(s.acquire(now))
		case "done":
			s.done(r.arg("started_at"), now)
		case "cpu":
			r.u64("cpu", uint64(s.RecordCPU(r.arg("permille"))))
		}
		st := s.stats(now)
		r.u64("in_flight", st.InFlight)
		r.u64("max_in_flight", st.MaxInFlight)
	})
}

func replayThrottle(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	th, err := NewThrottle(
		K(c.f64("k", 2)),
		ThrottleWindow(time.Duration(c.u64("window_ns", uint64(10*time.Second))), int(c.u64("buckets", 40))),
		MinRequests(int(c.u64("min_requests", 20))),
		MaxRejectProbability(c.f64("max_reject_probability", 0.9)),
	)
	if !build(t, v, err) {
		return
	}
	defer th.Close()
	each(func(r *replayer) {
		now := r.now()
		r.u64("reject_probability_ppm", uint64(th.stats(now).RejectProbability*1e6))
		switch r.step.Op {
		case "acquire":
			r.decision(th.acquire(now, r.arg("draw")))
		case "record":
			th.record(now, r.argBool("success"))
		case "forget":
			th.forget(r.arg("acquired_at"))
		default:
			r.t.Fatalf("unknown throttle op %q", r.step.Op)
		}
	})
}

func replayLease(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	d := DefaultLeaseConfig()
	cfg := LeaseConfig{
		MinBatch: c.u64("min_batch", d.MinBatch), MaxBatch: c.u64("max_batch", d.MaxBatch),
		BatchPeriod: c.u64("batch_period_ns", d.BatchPeriod), Lead: c.u64("lead_ns", d.Lead), TTL: c.u64("ttl_ns", d.TTL),
	}
	p, err := NewLeasePlanner(cfg)
	if !build(t, v, err) {
		return
	}
	defer p.Close()
	lease := NewLease(cfg.MaxBatch)
	defer lease.Close()
	each(func(r *replayer) {
		now := r.now()
		switch r.step.Op {
		case "plan":
			plan := p.Plan(now, r.arg("rate_tokens"), r.arg("rate_over_ns"), r.arg("left"), r.arg("expires_at"))
			r.u64("ask", plan.Ask)
			r.u64("next_at", plan.NextAt)
			r.u64("low_water", plan.LowWater)
		case "grant":
			r.u64("left", lease.Grant(now, r.arg("tokens"), r.arg("expires_at")))
		case "spend":
			outcome, left := lease.TrySpend(now, r.arg("cost"))
			r.str("outcome", outcome)
			r.u64("left", left)
		default:
			t.Fatalf("unknown op %s", r.step.Op)
		}
	})
}
