package weir

/*
#include "hot.h"
*/
import "C"

import (
	"context"
	"runtime"
	"strconv"
	"time"
	"unsafe"
)

// Limiter is a GCRA token bucket: `rate` tokens per second, at most `burst`
// at once. Lock-free; one cgo call per decision.
type Limiter struct {
	h *C.weir_limiter
}

// LimiterOption adjusts a limiter's config.
type LimiterOption func(*limiterCfg)

type limiterCfg struct {
	per time.Duration
	// kernel, when set, is used as is: the conformance replays build the
	// kernel configs of core's vectors, which user units cannot all spell.
	kernel *kernelLimiterConfig
	// seed is what a keyed table hashes its keys under (nil: unseeded).
	seed *HashSeed
}

// kernelLimiterConfig is core's LimiterConfig: `rate` tokens every `period`
// nanoseconds, bursts of `burst`.
type kernelLimiterConfig struct{ rate, period, burst uint64 }

// Per makes `rate` count tokens per `period` instead of per second.
func Per(period time.Duration) LimiterOption {
	return func(c *limiterCfg) { c.per = period }
}

// limiterConfig turns user units into the kernel's config through weir-host
// (weir_limiter_config_from_units), the one conversion every runtime uses:
// 1.0/3 per second is one token every 3 s exactly, as in Python and Node.
// A refusal is a *ConfigError that names the field and the value given.
func limiterConfig(rate float64, burst int, opts []LimiterOption) (C.weir_limiter_config, error) {
	c := limiterCfg{per: time.Second}
	for _, o := range opts {
		o(&c)
	}
	if k := c.kernel; k != nil {
		return C.weir_limiter_config{rate: C.uint64_t(k.rate), period_ns: C.uint64_t(k.period), burst: C.uint64_t(k.burst)}, nil
	}
	var cfg C.weir_limiter_config
	b := C.double(burst)
	// A negative period is passed as 0, which the conversion refuses by name.
	per := C.uint64_t(max(c.per, 0))
	err := create(func() C.weir_status { return C.weir_limiter_config_from_units(C.double(rate), per, &b, &cfg) })
	if ce, ok := err.(*ConfigError); ok {
		given := map[string]string{
			"rate":  strconv.FormatFloat(rate, 'g', -1, 64),
			"per":   c.per.String(),
			"burst": strconv.Itoa(burst),
		}
		ce.Message += ", got " + given[ce.Field]
	}
	return cfg, err
}

// NewLimiter makes a limiter allowing `rate` events per second (or per
// Per(period)) with bursts of `burst`. A bad config is a *ConfigError that
// names the field.
func NewLimiter(rate float64, burst int, opts ...LimiterOption) (*Limiter, error) {
	cfg, err := limiterConfig(rate, burst, opts)
	if err != nil {
		return nil, err
	}
	l := &Limiter{}
	if err := create(func() C.weir_status { return C.weir_limiter_new(&cfg, &l.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(l, (*Limiter).Close)
	return l, nil
}

// Allow takes one token now if there is one.
func (l *Limiter) Allow() bool {
	var d C.weir_decision
	if useDirect {
		directLimiterAcquireNow(handle(unsafe.Pointer(l.h)), 1, &d)
	} else {
		cgoLimiterAcquireNow(handle(unsafe.Pointer(l.h)), 1, &d)
	}
	runtime.KeepAlive(l)
	return d.admitted != 0
}

// AllowN takes n tokens at `now` if there are n.
func (l *Limiter) AllowN(now time.Time, n int) bool {
	return l.acquire(nanos(now), uint64(max(n, 0))).Admitted()
}

// Acquire asks for `cost` tokens now and says why not, and when to retry.
func (l *Limiter) Acquire(cost int) Decision {
	var d C.weir_decision
	if useDirect {
		directLimiterAcquireNow(handle(unsafe.Pointer(l.h)), uint64(max(cost, 0)), &d)
	} else {
		cgoLimiterAcquireNow(handle(unsafe.Pointer(l.h)), uint64(max(cost, 0)), &d)
	}
	runtime.KeepAlive(l)
	if l.h == nil {
		return Decision{Reason: RateLimited, RetryAfter: Never}
	}
	return decision(&d)
}

func (l *Limiter) acquire(now, cost uint64) Decision {
	var d C.weir_decision
	s := limiterAcquire(handle(unsafe.Pointer(l.h)), now, cost, &d)
	runtime.KeepAlive(l)
	return decided(s, &d, RateLimited)
}

// Reservation is the answer of Reserve.
type Reservation struct {
	ok    bool
	delay time.Duration
}

// OK is false when the request can never be admitted (more than the burst).
func (r Reservation) OK() bool { return r.ok }

// Delay is how long to wait before acting: 0 when the token was taken.
// Unlike x/time/rate a reservation with a delay holds no token (a GCRA
// refusal never writes state); ask again after the delay, or use Wait.
func (r Reservation) Delay() time.Duration { return r.delay }

// Reserve takes a token now, or says how long until one is free.
func (l *Limiter) Reserve() Reservation {
	d := l.Acquire(1)
	return Reservation{ok: d.RetryAfter != Never, delay: d.RetryAfter}
}

// Wait blocks until a token is taken or ctx ends; it fails at once when
// ctx's deadline comes before the token could.
func (l *Limiter) Wait(ctx context.Context) error {
	return l.WaitN(ctx, 1)
}

// WaitN is Wait for n tokens.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	return waitFor(ctx, func() Decision { return l.Acquire(n) })
}

// waitFor asks until admitted, sleeping as long as each refusal says.
func waitFor(ctx context.Context, ask func() Decision) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := ask()
		if d.Admitted() {
			return nil
		}
		if d.RetryAfter == Never {
			return &RejectedError{Decision: d}
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d.RetryAfter {
			return &RejectedError{Decision: d}
		}
		if timer == nil {
			timer = time.NewTimer(d.RetryAfter)
		} else {
			timer.Reset(d.RetryAfter)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// SetRate changes the rate to `rate` per second (or per Per(period)) now,
// keeping the burst and what was spent: tokens already taken stay taken
// under the new rate (their debt is rescaled to it, rounded up, and capped
// at one full burst), so a change never grants a burst. Safe while other
// goroutines call Allow: each decision is made under exactly one rate. A
// bad rate is a *ConfigError naming the field; the limit is then unchanged.
func (l *Limiter) SetRate(rate float64, opts ...LimiterOption) error {
	per := perOf(opts)
	err := create(func() C.weir_status { return C.weir_limiter_set_rate(l.h, C.double(rate), nanosOf(per), C.weir_now()) })
	runtime.KeepAlive(l)
	return given(err, rate, per, 0)
}

// SetLimit is SetRate per second, named as in golang.org/x/time/rate.
func (l *Limiter) SetLimit(rate float64) error { return l.SetRate(rate) }

// SetLimitAt is SetLimit as of t (as AllowN takes a time).
func (l *Limiter) SetLimitAt(t time.Time, rate float64) error {
	err := create(func() C.weir_status {
		return C.weir_limiter_set_rate(l.h, C.double(rate), nanosOf(time.Second), C.uint64_t(nanos(t)))
	})
	runtime.KeepAlive(l)
	return given(err, rate, time.Second, 0)
}

// SetBurst changes the burst now, keeping the rate and what was spent: the
// tokens taken stay taken, so a larger burst has its new size minus those
// free, and a smaller one leaves the bucket at most empty.
func (l *Limiter) SetBurst(burst int) error { return l.setBurst(uint64(Now()), burst) }

// SetBurstAt is SetBurst as of t.
func (l *Limiter) SetBurstAt(t time.Time, burst int) error { return l.setBurst(nanos(t), burst) }

func (l *Limiter) setBurst(now uint64, burst int) error {
	err := create(func() C.weir_status { return C.weir_limiter_set_burst(l.h, C.double(burst), C.uint64_t(now)) })
	runtime.KeepAlive(l)
	return given(err, 0, 0, burst)
}

// setKernel is SetRate with core's config and an explicit time, for the
// conformance replays.
func (l *Limiter) setKernel(now uint64, k kernelLimiterConfig) error {
	cfg := k.native()
	err := create(func() C.weir_status { return C.weir_limiter_set_config(l.h, &cfg, C.uint64_t(now)) })
	runtime.KeepAlive(l)
	return err
}

func (k kernelLimiterConfig) native() C.weir_limiter_config {
	return C.weir_limiter_config{rate: C.uint64_t(k.rate), period_ns: C.uint64_t(k.period), burst: C.uint64_t(k.burst)}
}

// perOf is the period the options name (a second by default).
func perOf(opts []LimiterOption) time.Duration {
	c := limiterCfg{per: time.Second}
	for _, o := range opts {
		o(&c)
	}
	return c.per
}

// nanosOf passes a negative period as 0, which the conversion refuses by name.
func nanosOf(per time.Duration) C.uint64_t { return C.uint64_t(max(per, 0)) }

// given appends the value the caller gave for the field a live change was
// refused for, as the constructors do.
func given(err error, rate float64, per time.Duration, burst int) error {
	if ce, ok := err.(*ConfigError); ok {
		values := map[string]string{
			"rate":  strconv.FormatFloat(rate, 'g', -1, 64),
			"per":   per.String(),
			"burst": strconv.Itoa(burst),
		}
		if v, ok := values[ce.Field]; ok {
			ce.Message += ", got " + v
		}
	}
	return err
}

// State is the limiter's one-word state, for snapshots.
func (l *Limiter) State() uint64 {
	var s C.uint64_t
	C.weir_limiter_state(l.h, &s)
	runtime.KeepAlive(l)
	return uint64(s)
}

// Restore replaces the state with one from State.
func (l *Limiter) Restore(state uint64) {
	C.weir_limiter_restore(l.h, C.uint64_t(state))
	runtime.KeepAlive(l)
}

// Decisions is how many decisions the limiter has made so far (every
// Allow, Acquire, Wait try and Reserve, from every goroutine), by reason:
// Admitted always, each refusal reason once it has happened. The counts
// live in the native limiter, so they are the numbers the C, Python and
// Node surfaces report too.
func (l *Limiter) Decisions() map[Reason]uint64 {
	var c C.weir_decision_counts
	C.weir_limiter_decisions(l.h, &c)
	runtime.KeepAlive(l)
	return decisionCounts(&c)
}

// decisionCounts turns a handle's counts by reason code into a map that
// holds Admitted and every reason seen at least once.
func decisionCounts(c *C.weir_decision_counts) map[Reason]uint64 {
	out := map[Reason]uint64{Admitted: uint64(c.count[Admitted])}
	for r, n := range c.count {
		if n > 0 {
			out[Reason(r)] = uint64(n)
		}
	}
	return out
}

// Close frees the native limiter; later calls refuse. Idempotent.
func (l *Limiter) Close() error {
	C.weir_limiter_free(&l.h)
	runtime.SetFinalizer(l, nil)
	return nil
}
