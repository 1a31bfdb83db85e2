package weir

/*
#include "weir.h"
*/
import "C"

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"time"
)

// NotRetryable is the refusal of a retry whose failure carried a final
// answer: a layer below already decided against a retry.
const NotRetryable Reason = C.WEIR_REASON_NOT_RETRYABLE

// Jitter is how a backoff delay is randomised.
type Jitter uint32

// The jitters.
const (
	NoJitter           Jitter = C.WEIR_JITTER_NONE
	FullJitter         Jitter = C.WEIR_JITTER_FULL
	EqualJitter        Jitter = C.WEIR_JITTER_EQUAL
	DecorrelatedJitter Jitter = C.WEIR_JITTER_DECORRELATED
)

// Backoff is exponential backoff with jitter that honours a server's
// advised delay. Defaults are Envoy's: base 25 ms, cap 250 ms, x2, full
// jitter, 3 attempts, advice capped at 30 s.
type Backoff struct {
	h *C.weir_backoff
}

// BackoffConfig is a backoff policy; start from DefaultBackoffConfig.
type BackoffConfig struct {
	Base, Cap   time.Duration // first delay before jitter; largest delay
	Multiplier  float64       // growth per attempt, [1, 1000]
	Jitter      Jitter
	MaxAttempts int           // attempts in all, the first call included
	AdvisedCap  time.Duration // largest server-advised delay honoured
}

// DefaultBackoffConfig is Envoy's policy with 3 attempts.
func DefaultBackoffConfig() BackoffConfig {
	var cfg C.weir_backoff_config
	C.weir_backoff_config_default(&cfg)
	return BackoffConfig{
		Base: duration(cfg.base_ns), Cap: duration(cfg.cap_ns), Multiplier: float64(cfg.multiplier),
		Jitter: Jitter(cfg.jitter), MaxAttempts: int(cfg.max_attempts), AdvisedCap: duration(cfg.advised_cap_ns),
	}
}

// NewBackoff makes a policy; a bad field is a *ConfigError naming it.
func NewBackoff(c BackoffConfig) (*Backoff, error) {
	cfg := C.weir_backoff_config{
		base_ns: C.uint64_t(uint64(max(c.Base, 0))), cap_ns: C.uint64_t(uint64(max(c.Cap, 0))),
		multiplier: C.double(c.Multiplier), jitter: C.uint32_t(c.Jitter),
		max_attempts: C.uint32_t(uint32(min(max(c.MaxAttempts, 0), 1<<32-1))), advised_cap_ns: C.uint64_t(uint64(max(c.AdvisedCap, 0))),
	}
	b := &Backoff{}
	if err := create(func() C.weir_status { return C.weir_backoff_new(&cfg, &b.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(b, (*Backoff).Close)
	return b, nil
}

// Delay is the jittered delay before retry number `retry` (1 first);
// `previous` is the delay before the retry before (decorrelated jitter).
func (b *Backoff) Delay(retry int, previous time.Duration) time.Duration {
	return b.delay(uint32(max(retry, 0)), uint64(C.weir_draw()), uint64(max(previous, 0)))
}

func (b *Backoff) delay(retry uint32, draw, previous uint64) time.Duration {
	var d C.uint64_t
	C.weir_backoff_delay(b.h, C.uint32_t(retry), C.uint64_t(draw), C.uint64_t(previous), &d)
	runtime.KeepAlive(b)
	return duration(d)
}

func (b *Backoff) next(attempt uint32, draw, previous uint64, advised *uint64) (Reason, time.Duration) {
	var r C.weir_retry_decision
	var adv uint64
	if advised != nil {
		adv = *advised
	}
	C.weir_backoff_next(b.h, C.uint32_t(attempt), C.uint64_t(draw), C.uint64_t(previous), cbool(advised != nil), C.uint64_t(adv), &r)
	runtime.KeepAlive(b)
	return Reason(r.decision.reason), duration(r.delay_ns)
}

// Close frees the policy. Idempotent.
func (b *Backoff) Close() error {
	C.weir_backoff_free(&b.h)
	runtime.SetFinalizer(b, nil)
	return nil
}

// RetryBudget caps retries at a ratio of requests over a rolling window
// plus a per-second floor (defaults: 10 %, 10/s, 10 s of 10 buckets).
type RetryBudget struct {
	h      *C.weir_retry_budget
	events *eventHub
}

// RetryBudgetConfig is a retry budget; start from DefaultRetryBudgetConfig.
type RetryBudgetConfig struct {
	Ratio        float64 // retries per request, [0, 1000]
	MinPerSecond int     // retries per second allowed regardless of traffic
	Window       time.Duration
	Buckets      int // 1..64
}

// DefaultRetryBudgetConfig is 10 % plus 10/s over 10 s in 10 buckets.
func DefaultRetryBudgetConfig() RetryBudgetConfig {
	var cfg C.weir_retry_budget_config
	C.weir_retry_budget_config_default(&cfg)
	return RetryBudgetConfig{Ratio: float64(cfg.ratio), MinPerSecond: int(cfg.min_per_second), Window: duration(cfg.window_ns), Buckets: int(cfg.buckets)}
}

// NewRetryBudget makes an empty budget; a bad field is a *ConfigError.
func NewRetryBudget(c RetryBudgetConfig) (*RetryBudget, error) {
	cfg := C.weir_retry_budget_config{
		ratio: C.double(c.Ratio), min_per_second: C.uint64_t(uint64(max(c.MinPerSecond, 0))),
		window_ns: C.uint64_t(uint64(max(c.Window, 0))), buckets: C.uint64_t(uint64(max(c.Buckets, 0))),
	}
	r := &RetryBudget{}
	if err := create(func() C.weir_status { return C.weir_retry_budget_new(&cfg, &r.h) }); err != nil {
		return nil, err
	}
	r.events = budgetEvents(r.h)
	runtime.SetFinalizer(r, (*RetryBudget).Close)
	return r, nil
}

// Deposit counts one original request (not a retry).
func (r *RetryBudget) Deposit() {
	C.weir_retry_budget_deposit_now(r.h)
	runtime.KeepAlive(r)
}

func (r *RetryBudget) deposit(now uint64) {
	C.weir_retry_budget_deposit(r.h, C.uint64_t(now))
	runtime.KeepAlive(r)
}

// Withdraw asks for one retry after `delay` with `deadlineLeft` of the
// caller's deadline (<= 0: none).
func (r *RetryBudget) Withdraw(delay, deadlineLeft time.Duration) Decision {
	left := uint64(1<<64 - 1)
	if deadlineLeft > 0 {
		left = uint64(deadlineLeft)
	}
	return r.withdraw(Now(), uint64(max(delay, 0)), left)
}

func (r *RetryBudget) withdraw(now, delay, deadlineLeft uint64) Decision {
	var d C.weir_decision
	C.weir_retry_budget_withdraw(r.h, C.uint64_t(now), C.uint64_t(delay), C.uint64_t(deadlineLeft), &d)
	runtime.KeepAlive(r)
	r.events.after()
	return decision(&d)
}

func (r *RetryBudget) snapshot(now uint64) (requests, retries uint64) {
	var req, ret C.uint64_t
	C.weir_retry_budget_snapshot(r.h, C.uint64_t(now), &req, &ret)
	runtime.KeepAlive(r)
	return uint64(req), uint64(ret)
}

// Close frees the budget. Idempotent.
func (r *RetryBudget) Close() error {
	r.events.close()
	C.weir_retry_budget_free(&r.h)
	runtime.SetFinalizer(r, nil)
	return nil
}

func (r *RetryBudget) retry(b *Backoff, now uint64, attempt uint32, draw, previous uint64, advised *uint64, deadlineLeft uint64, noRetry bool) (Decision, time.Duration) {
	ask := C.weir_retry_ask{attempt: C.uint32_t(attempt), draw: C.uint64_t(draw), previous_delay_ns: C.uint64_t(previous), deadline_left_ns: C.uint64_t(deadlineLeft), no_retry: finalFlag(noRetry)}
	if advised != nil {
		ask.has_advised, ask.advised_ns = 1, C.uint64_t(*advised)
	}
	var out C.weir_retry_decision
	C.weir_retry(b.h, r.h, C.uint64_t(now), &ask, &out)
	runtime.KeepAlive(b)
	runtime.KeepAlive(r)
	r.events.after()
	return decision(&out.decision), duration(out.delay_ns)
}

func finalFlag(noRetry bool) C.uint32_t {
	if noRetry {
		return 1
	}
	return 0
}

// AdvisedError wraps an error with the server's advice: After, its advised
// delay (Retry-After, grpc-retry-pushback-ms), which Retry waits instead of
// its backoff; NoRetry, its word that a layer below already decided against
// a retry (x-weir-no-retry: 1, a negative grpc-retry-pushback-ms), which
// Retry honours by not retrying: retrying at every layer multiplies the
// attempts once per layer.
type AdvisedError struct {
	Err     error
	After   time.Duration
	NoRetry bool
}

func (e *AdvisedError) Error() string { return e.Err.Error() }
func (e *AdvisedError) Unwrap() error { return e.Err }

// NoRetryHeader is the header weir's middleware sets on every overload
// answer it gives, so the caller's caller does not retry it again.
const NoRetryHeader = "x-weir-no-retry"

// ResponseError is a failed HTTP answer, as AdvisedFromResponse reports it.
type ResponseError struct {
	StatusCode int
	Status     string
}

func (e *ResponseError) Error() string { return "weir: the server answered " + e.Status }

// AdvisedFromResponse reads a failed answer's advice for Retry: Retry-After
// (seconds or an HTTP date) as After, and x-weir-no-retry: 1 or a negative
// grpc-retry-pushback-ms as NoRetry. The caller decides which answers are
// failures; the body is left to the caller to drain and close.
func AdvisedFromResponse(resp *http.Response) *AdvisedError {
	e := &AdvisedError{Err: &ResponseError{StatusCode: resp.StatusCode, Status: resp.Status}}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if after, err := ParseRetryAfter(v, time.Now()); err == nil {
			e.After = after
		}
	}
	e.NoRetry = strings.TrimSpace(resp.Header.Get(NoRetryHeader)) == "1" ||
		strings.HasPrefix(strings.TrimSpace(resp.Header.Get("grpc-retry-pushback-ms")), "-") ||
		strings.HasPrefix(strings.TrimSpace(resp.Trailer.Get("grpc-retry-pushback-ms")), "-")
	return e
}

// Retry runs fn until it succeeds, the backoff's attempts run out, the
// budget refuses, the delay would pass ctx's deadline, or the error is an
// *AdvisedError with NoRetry (refused as NotRetryable, spending no budget).
// It deposits one request per call of Retry. A nil budget means none is
// shared: only the attempts and the deadline refuse. The last error is
// returned, joined with a *RejectedError saying why no further retry was
// made.
func Retry(ctx context.Context, b *Backoff, budget *RetryBudget, fn func(context.Context) error) error {
	var shared *C.weir_retry_budget
	if budget != nil {
		budget.Deposit()
		shared = budget.h
	}
	var previous time.Duration
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		ask := C.weir_retry_ask{attempt: C.uint32_t(uint32(attempt)), previous_delay_ns: C.uint64_t(uint64(previous)), deadline_left_ns: C.uint64_t(1<<64 - 1)}
		var advised *AdvisedError
		if errors.As(err, &advised) {
			ask.has_advised, ask.advised_ns = 1, C.uint64_t(uint64(max(advised.After, 0)))
			ask.no_retry = finalFlag(advised.NoRetry)
		}
		if deadline, ok := ctx.Deadline(); ok {
			ask.deadline_left_ns = C.uint64_t(uint64(max(time.Until(deadline), 0)))
		}
		var out C.weir_retry_decision
		C.weir_retry_now(b.h, shared, &ask, &out)
		runtime.KeepAlive(b)
		runtime.KeepAlive(budget)
		if budget != nil {
			budget.events.after()
		}
		d := decision(&out.decision)
		if !d.Admitted() {
			return errors.Join(err, &RejectedError{Decision: d})
		}
		previous = duration(out.delay_ns)
		timer := time.NewTimer(previous)
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, ctx.Err())
		case <-timer.C:
		}
	}
}
