package weir

// Replays of the breaker and adaptive_limit vectors through the explicit
// forms of Breaker and AdaptiveLimiter.

import (
	"encoding/json"
	"testing"
	"time"
)

func replayBreaker(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	cfg := DefaultBreakerConfig()
	if c.has("window") {
		var w string
		_ = json.Unmarshal(c.raw["window"], &w)
		if w == "time" {
			cfg.Window = TimeWindow
		}
	}
	cfg.WindowCalls = int(c.u64("window_calls", uint64(cfg.WindowCalls)))
	cfg.WindowDuration = time.Duration(c.u64("window_ns", uint64(cfg.WindowDuration)))
	cfg.Buckets = int(c.u64("buckets", uint64(cfg.Buckets)))
	cfg.MinimumCalls = int(c.u64("minimum_calls", uint64(cfg.MinimumCalls)))
	cfg.FailureRateThreshold = c.f64("failure_rate_threshold", cfg.FailureRateThreshold)
	cfg.SlowCallRateThreshold = c.f64("slow_call_rate_threshold", cfg.SlowCallRateThreshold)
	cfg.SlowCallDuration = time.Duration(c.u64("slow_call_ns", uint64(cfg.SlowCallDuration)))
	cfg.ConsecutiveFailures = int(c.u64("consecutive_failures", uint64(cfg.ConsecutiveFailures)))
	cfg.OpenDuration = time.Duration(c.u64("open_ns", uint64(cfg.OpenDuration)))
	cfg.HalfOpenProbes = int(c.u64("half_open_probes", uint64(cfg.HalfOpenProbes)))
	cfg.HalfOpenMaxWait = time.Duration(c.u64("half_open_max_ns", uint64(cfg.HalfOpenMaxWait)))
	b, err := NewBreaker(WithBreakerConfig(cfg))
	if !build(t, v, err) {
		return
	}
	defer b.Close()
	var permits []*breakerPermit
	each(func(r *replayer) {
		now := r.now()
		var moves []StateChange
		permit := func() *breakerPermit {
			n := int(r.arg("permit"))
			if n >= len(permits) {
				r.t.Fatalf("step %d: no permit %d", r.i, n)
			}
			return permits[n]
		}
		switch r.step.Op {
		case "acquire", "call":
			d, p, m := b.acquireAt(now)
			moves = append(moves, m...)
			r.decision(d)
			r.bool("probe", p.probe())
			if p != nil && r.step.Op == "acquire" {
				permits = append(permits, p)
			} else if p != nil {
				moves = append(moves, b.recordAt(now, p, r.argBool("failed"), r.argOr("duration_ns", 0))...)
			}
		case "record":
			moves = b.recordAt(now, permit(), r.argBool("failed"), r.argOr("duration_ns", 0))
		case "release":
			r.bool("released", b.releasePermit(permit()))
		case "force_open":
			moves = appendChange(moves, b.command(forceOpen, now))
		case "disable":
			moves = appendChange(moves, b.command(disable, now))
		case "reset":
			moves = appendChange(moves, b.command(reset, now))
		default:
			r.t.Fatalf("unknown breaker op %q", r.step.Op)
		}
		r.transitions(moves)
		s := b.stats(now)
		r.str("state", s.State.String())
		r.u64("calls", s.Calls)
		r.u64("failures", s.Failures)
		r.u64("slow", s.Slow)
		r.u64("consecutive_failures", s.ConsecutiveFailures)
		r.u64("probes_issued", s.ProbesIssued)
		r.u64("probes_returned", s.ProbesReturned)
		r.u64("open_left", ns(s.OpenLeft))
	})
}

func appendChange(into []StateChange, c *StateChange) []StateChange {
	if c != nil {
		into = append(into, *c)
	}
	return into
}

func (r *replayer) transitions(got []StateChange) {
	raw, ok := r.step.Expect["transitions"]
	if !ok {
		return
	}
	var want []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &want); err != nil {
		r.t.Fatalf("step %d: transitions: %v", r.i, err)
	}
	if len(want) != len(got) {
		r.t.Errorf("step %d (%s): want %d transitions, got %+v", r.i, r.step.Op, len(want), got)
		return
	}
	for k, w := range want {
		g := got[k]
		sub := &replayer{t: r.t, i: r.i, step: step{Op: r.step.Op, Expect: w}}
		sub.str("from", g.From.String())
		sub.str("to", g.To.String())
		sub.str("cause", g.Cause)
		sub.u64("calls", g.Calls)
		sub.u64("failures", g.Failures)
		sub.u64("slow", g.Slow)
		sub.u64("consecutive_failures", g.ConsecutiveFailures)
	}
}

func outcomeOf(r *replayer) Outcome {
	switch o := r.argStr("outcome"); o {
	case "", "success":
		return OutcomeSuccess
	case "dropped":
		return OutcomeDropped
	case "ignored":
		return OutcomeIgnored
	default:
		r.t.Fatalf("step %d: unknown outcome %q", r.i, o)
		return OutcomeIgnored
	}
}

func replayAdaptiveLimit(t *testing.T, v *vector, c config, each func(func(*replayer))) {
	algorithm := Gradient2
	if c.has("algorithm") {
		var name string
		_ = json.Unmarshal(c.raw["algorithm"], &name)
		algorithm = map[string]AdaptiveAlgorithm{"gradient2": Gradient2, "vegas": Vegas, "aimd": AIMD}[name]
	}
	cfg := DefaultAdaptiveConfig(algorithm)
	cfg.InitialLimit = int(c.u64("initial_limit", uint64(cfg.InitialLimit)))
	cfg.MinLimit = int(c.u64("min_limit", uint64(cfg.MinLimit)))
	cfg.MaxLimit = int(c.u64("max_limit", uint64(cfg.MaxLimit)))
	cfg.Smoothing = c.f64("smoothing", cfg.Smoothing)
	cfg.RTTTolerance = c.f64("rtt_tolerance", cfg.RTTTolerance)
	cfg.LongWindow = int(c.u64("long_window", uint64(cfg.LongWindow)))
	cfg.QueueSize = int(c.u64("queue_size", uint64(cfg.QueueSize)))
	cfg.Alpha = int(c.u64("alpha", uint64(cfg.Alpha)))
	cfg.Beta = int(c.u64("beta", uint64(cfg.Beta)))
	cfg.ProbeMultiplier = int(c.u64("probe_multiplier", uint64(cfg.ProbeMultiplier)))
	cfg.BackoffRatio = c.f64("backoff_ratio", cfg.BackoffRatio)
	cfg.Timeout = time.Duration(c.u64("timeout_ns", uint64(cfg.Timeout)))
	l, err := NewAdaptiveLimiter(WithAdaptiveConfig(cfg))
	if !build(t, v, err) {
		return
	}
	defer l.Close()
	var permits []*adaptivePermit
	each(func(r *replayer) {
		switch r.step.Op {
		case "acquire":
			d, p := l.acquirePermit()
			r.decision(d)
			if p != nil {
				permits = append(permits, p)
			}
		case "release":
			n := int(r.arg("permit"))
			if n >= len(permits) || permits[n] == nil {
				r.t.Fatalf("step %d: permit %d not held", r.i, n)
			}
			l.releaseRTT(permits[n], r.arg("rtt_ns"), outcomeOf(r))
			permits[n] = nil
		case "cycle":
			rtt, o := r.arg("rtt_ns"), outcomeOf(r)
			for range r.argOr("rounds", 1) {
				var held []*adaptivePermit
				for range r.arg("concurrent") {
					_, p := l.acquirePermit()
					if p == nil {
						break
					}
					held = append(held, p)
				}
				for _, p := range held {
					l.releaseRTT(p, rtt, o)
				}
			}
		default:
			r.t.Fatalf("unknown adaptive_limit op %q", r.step.Op)
		}
		s := l.Stats()
		r.u64("limit", s.Limit)
		r.u64("in_flight", s.InFlight)
		r.u64("estimate_milli", uint64(s.Estimate*1000))
		r.u64("baseline_rtt_ns", uint64(s.BaselineRTT))
	})
}
