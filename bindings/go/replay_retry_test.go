package weir

// Replays of the backoff and retry_budget vectors through the explicit forms
// of Backoff and RetryBudget.

import (
	"testing"
	"time"
)

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
