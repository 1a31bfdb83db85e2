package weir

/*
#include "weir.h"
*/
import "C"

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The reasons a circuit breaker refuses with.
const (
	CircuitOpen     Reason = C.WEIR_REASON_CIRCUIT_OPEN      // open (RetryAfter: time left) or forced open (Never)
	CircuitHalfOpen Reason = C.WEIR_REASON_CIRCUIT_HALF_OPEN // half-open and every probe is out
)

// BreakerState is where a circuit breaker stands.
type BreakerState uint32

// The states of a breaker.
const (
	BreakerClosed     BreakerState = C.WEIR_BREAKER_STATE_CLOSED
	BreakerOpen       BreakerState = C.WEIR_BREAKER_STATE_OPEN
	BreakerHalfOpen   BreakerState = C.WEIR_BREAKER_STATE_HALF_OPEN
	BreakerForcedOpen BreakerState = C.WEIR_BREAKER_STATE_FORCED_OPEN
	BreakerDisabled   BreakerState = C.WEIR_BREAKER_STATE_DISABLED
)

// String is the snake_case name ("half_open").
func (s BreakerState) String() string { return C.GoString(C.weir_breaker_state_str(C.uint32_t(s))) }

// BreakerWindow is how a closed breaker's sliding window is measured.
type BreakerWindow uint32

// The windows.
const (
	CountWindow BreakerWindow = C.WEIR_BREAKER_WINDOW_COUNT // the last WindowCalls calls
	TimeWindow  BreakerWindow = C.WEIR_BREAKER_WINDOW_TIME  // the calls of the last WindowDuration
)

// BreakerConfig is every setting of a breaker. DefaultBreakerConfig gives
// resilience4j's defaults; the options of NewBreaker change one field each.
type BreakerConfig struct {
	Window                BreakerWindow
	WindowCalls           int           // count window: calls remembered, 1..8192
	WindowDuration        time.Duration // time window: its length, a whole number of Buckets of >= 1 ms
	Buckets               int           // time window: 1..128
	MinimumCalls          int           // calls the window needs before a rate can open the breaker
	FailureRateThreshold  float64       // percent of failures that opens it, [0, 100]; 0 off
	SlowCallRateThreshold float64       // percent of slow calls that opens it, [0, 100]; 0 off
	SlowCallDuration      time.Duration // a call longer than this is slow
	ConsecutiveFailures   int           // failures in a row that open it; 0 off
	OpenDuration          time.Duration // the wait in open before probes go through
	HalfOpenProbes        int           // calls let through half-open, 1..30
	HalfOpenMaxWait       time.Duration // longest half-open waits for its probes; 0 waits for them
}

// DefaultBreakerConfig is a count window of 100 calls, 100 minimum, 50%
// failures, slow calls 100% over 60 s, 60 s open, 10 probes.
func DefaultBreakerConfig() BreakerConfig {
	var c C.weir_breaker_config
	C.weir_breaker_config_default(&c)
	return BreakerConfig{
		Window:                BreakerWindow(c.window),
		WindowCalls:           int(c.window_calls),
		WindowDuration:        time.Duration(c.window_ns),
		Buckets:               int(c.buckets),
		MinimumCalls:          int(c.minimum_calls),
		FailureRateThreshold:  float64(c.failure_rate_threshold),
		SlowCallRateThreshold: float64(c.slow_call_rate_threshold),
		SlowCallDuration:      time.Duration(c.slow_call_ns),
		ConsecutiveFailures:   int(c.consecutive_failures),
		OpenDuration:          time.Duration(c.open_ns),
		HalfOpenProbes:        int(c.half_open_probes),
		HalfOpenMaxWait:       time.Duration(c.half_open_max_ns),
	}
}

// StateChange is one move of a breaker, with the counts that decided it
// (the window's when it left closed, the probes' when it left half-open).
type StateChange struct {
	From, To            BreakerState
	Cause               string // "failure_rate", "slow_call_rate", "consecutive_failures", "wait_over", "probes_failed", ...
	Calls, Failures     uint64
	Slow                uint64
	ConsecutiveFailures uint64
	At                  time.Time
}

// BreakerOption changes a breaker's config or behaviour.
type BreakerOption func(*breakerSetup)

type breakerSetup struct {
	config    BreakerConfig
	onChange  func(StateChange)
	isFailure func(error) bool
}

// WithBreakerConfig replaces the whole config.
func WithBreakerConfig(c BreakerConfig) BreakerOption { return func(s *breakerSetup) { s.config = c } }

// WindowCalls keeps a count window of the last n calls.
func WindowCalls(n int) BreakerOption {
	return func(s *breakerSetup) { s.config.Window, s.config.WindowCalls = CountWindow, n }
}

// WindowDuration keeps a time window of d in buckets.
func WindowDuration(d time.Duration, buckets int) BreakerOption {
	return func(s *breakerSetup) {
		s.config.Window, s.config.WindowDuration, s.config.Buckets = TimeWindow, d, buckets
	}
}

// MinimumCalls sets the calls the window needs before a rate can trip.
func MinimumCalls(n int) BreakerOption { return func(s *breakerSetup) { s.config.MinimumCalls = n } }

// FailureRateThreshold sets the percent of failed calls that opens the breaker.
func FailureRateThreshold(percent float64) BreakerOption {
	return func(s *breakerSetup) { s.config.FailureRateThreshold = percent }
}

// SlowCalls opens the breaker when percent of calls take longer than d.
func SlowCalls(percent float64, d time.Duration) BreakerOption {
	return func(s *breakerSetup) { s.config.SlowCallRateThreshold, s.config.SlowCallDuration = percent, d }
}

// ConsecutiveFailures opens the breaker after n failures in a row.
func ConsecutiveFailures(n int) BreakerOption {
	return func(s *breakerSetup) { s.config.ConsecutiveFailures = n }
}

// OpenDuration sets the wait in open before half-open probes.
func OpenDuration(d time.Duration) BreakerOption {
	return func(s *breakerSetup) { s.config.OpenDuration = d }
}

// HalfOpenProbes sets the calls half-open lets through (1..30).
func HalfOpenProbes(n int) BreakerOption {
	return func(s *breakerSetup) { s.config.HalfOpenProbes = n }
}

// HalfOpenMaxWait reopens the breaker when its probes have not all
// reported within d.
func HalfOpenMaxWait(d time.Duration) BreakerOption {
	return func(s *breakerSetup) { s.config.HalfOpenMaxWait = d }
}

// OnStateChange calls fn for every move of the breaker, in order, on a
// goroutine of its own: never on the caller's path.
func OnStateChange(fn func(StateChange)) BreakerOption {
	return func(s *breakerSetup) { s.onChange = fn }
}

// IsFailure says which errors count as failures (default: every non-nil
// error). weir's own refusals from inside the call and context.Canceled
// never count: the call is given back instead.
func IsFailure(fn func(error) bool) BreakerOption { return func(s *breakerSetup) { s.isFailure = fn } }

// Breaker is a circuit breaker: closed, open, half-open, forced open or
// disabled, over a count or time window, tripped by a failure rate, a
// slow-call rate or consecutive failures.
type Breaker struct {
	h         *C.weir_breaker
	onChange  func(StateChange)
	isFailure func(error) bool
	delivery  sync.Mutex
}

func durationOf(field string, d time.Duration) (C.uint64_t, error) {
	if d < 0 {
		return 0, negative(field, d.String())
	}
	return C.uint64_t(d), nil
}

func countOf(field string, n int) (C.uint64_t, error) {
	if n < 0 {
		return 0, negative(field, strconv.Itoa(n))
	}
	return C.uint64_t(n), nil
}

func negative(field, got string) error {
	return &ConfigError{Field: field, Rule: ">= 0", Message: field + " must be >= 0, got " + got}
}

func (c BreakerConfig) native() (C.weir_breaker_config, error) {
	var out C.weir_breaker_config
	var err error
	// The first negative field is the error; the fields after it are not read.
	count := func(dst *C.uint64_t, field string, n int) {
		if err == nil {
			*dst, err = countOf(field, n)
		}
	}
	dur := func(dst *C.uint64_t, field string, d time.Duration) {
		if err == nil {
			*dst, err = durationOf(field, d)
		}
	}
	out.window = C.uint32_t(c.Window)
	count(&out.window_calls, "window_calls", c.WindowCalls)
	dur(&out.window_ns, "window_ns", c.WindowDuration)
	count(&out.buckets, "buckets", c.Buckets)
	count(&out.minimum_calls, "minimum_calls", c.MinimumCalls)
	dur(&out.slow_call_ns, "slow_call_ns", c.SlowCallDuration)
	count(&out.consecutive_failures, "consecutive_failures", c.ConsecutiveFailures)
	dur(&out.open_ns, "open_ns", c.OpenDuration)
	count(&out.half_open_probes, "half_open_probes", c.HalfOpenProbes)
	dur(&out.half_open_max_ns, "half_open_max_ns", c.HalfOpenMaxWait)
	out.failure_rate_threshold = C.double(c.FailureRateThreshold)
	out.slow_call_rate_threshold = C.double(c.SlowCallRateThreshold)
	return out, err
}

// NewBreaker makes a closed breaker with DefaultBreakerConfig changed by opts.
func NewBreaker(opts ...BreakerOption) (*Breaker, error) {
	s := breakerSetup{config: DefaultBreakerConfig()}
	for _, o := range opts {
		o(&s)
	}
	cfg, err := s.config.native()
	if err != nil {
		return nil, err
	}
	b := &Breaker{onChange: s.onChange, isFailure: s.isFailure}
	if err := create(func() C.weir_status { return C.weir_breaker_new(&cfg, &b.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(b, (*Breaker).Close)
	return b, nil
}

// Allow asks to make a call now. Refused, err is a *RejectedError whose
// Decision has Reason CircuitOpen (RetryAfter: the time left in open) or
// CircuitHalfOpen. Admitted, call done exactly once with the call's error:
// its duration is measured from Allow on weir's clock.
func (b *Breaker) Allow() (done func(err error), err error) {
	var d C.weir_decision
	var p C.weir_breaker_permit
	var t C.weir_breaker_transition
	s := C.weir_breaker_acquire_now(b.h, &d, &p, &t)
	runtime.KeepAlive(b)
	if s != C.WEIR_STATUS_OK {
		return nil, ErrClosed
	}
	b.moved(&t)
	if d.admitted == 0 {
		return nil, &RejectedError{Decision: decision(&d)}
	}
	var once sync.Once
	return func(err error) { once.Do(func() { b.finish(&p, err) }) }, nil
}

func (b *Breaker) finish(p *C.weir_breaker_permit, err error) {
	if isLocalRefusal(err) || errors.Is(err, context.Canceled) {
		var released C.bool
		C.weir_breaker_release(b.h, p, &released)
		runtime.KeepAlive(b)
		return
	}
	failed := err != nil
	if b.isFailure != nil {
		failed = b.isFailure(err)
	}
	var t C.weir_breaker_transition
	C.weir_breaker_record_now(b.h, p, C.bool(failed), &t)
	runtime.KeepAlive(b)
	b.moved(&t)
}

// Do runs fn through the breaker: a refusal returns a *RejectedError
// without calling fn; otherwise fn's error is returned and counted.
func (b *Breaker) Do(ctx context.Context, fn func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done, err := b.Allow()
	if err != nil {
		return err
	}
	err = fn(ctx)
	done(err)
	return err
}

// moved hands state changes to OnStateChange on a goroutine of its own.
// The breaker queues every move; each delivery drains the queue under one
// lock, so the callback sees the moves in the order they happened.
func (b *Breaker) moved(t *C.weir_breaker_transition) {
	if t.moved == 0 || b.onChange == nil {
		return
	}
	go b.deliver()
}

func (b *Breaker) deliver() {
	b.delivery.Lock()
	defer b.delivery.Unlock()
	for {
		var e C.weir_breaker_transition
		s := C.weir_breaker_next_event(b.h, &e)
		runtime.KeepAlive(b)
		if s != C.WEIR_STATUS_OK {
			return
		}
		b.onChange(stateChange(&e))
	}
}

func stateChange(t *C.weir_breaker_transition) StateChange {
	return StateChange{
		From: BreakerState(t.from), To: BreakerState(t.to),
		Cause: C.GoString(C.weir_breaker_cause_str(t.cause)),
		Calls: uint64(t.calls), Failures: uint64(t.failures), Slow: uint64(t.slow),
		ConsecutiveFailures: uint64(t.consecutive_failures),
		At:                  baseTime.Add(time.Duration(int64(uint64(t.at) - baseNanos))),
	}
}

func (b *Breaker) command(run func(*C.weir_breaker, C.uint64_t, *C.weir_breaker_transition) C.weir_status, now uint64) *StateChange {
	var t C.weir_breaker_transition
	run(b.h, C.uint64_t(now), &t)
	runtime.KeepAlive(b)
	b.moved(&t)
	if t.moved == 0 {
		return nil
	}
	sc := stateChange(&t)
	return &sc
}

func forceOpen(h *C.weir_breaker, now C.uint64_t, t *C.weir_breaker_transition) C.weir_status {
	return C.weir_breaker_force_open(h, now, t)
}
func disable(h *C.weir_breaker, now C.uint64_t, t *C.weir_breaker_transition) C.weir_status {
	return C.weir_breaker_disable(h, now, t)
}
func reset(h *C.weir_breaker, now C.uint64_t, t *C.weir_breaker_transition) C.weir_status {
	return C.weir_breaker_reset(h, now, t)
}

// ForceOpen refuses every call (RetryAfter Never) until Reset.
func (b *Breaker) ForceOpen() { b.command(forceOpen, Now()) }

// Disable lets every call through and records nothing until Reset.
func (b *Breaker) Disable() { b.command(disable, Now()) }

// Reset closes the breaker with an empty window, from any state.
func (b *Breaker) Reset() { b.command(reset, Now()) }

// BreakerStats is a breaker's snapshot.
type BreakerStats struct {
	State                                  BreakerState
	Calls, Failures, Slow                  uint64 // closed: the window's counts
	ConsecutiveFailures                    uint64 // closed: failures in a row
	ProbesIssued, ProbesReturned           uint64 // half-open
	OpenLeft                               time.Duration
	Admitted, RefusedOpen, RefusedHalfOpen uint64 // decisions so far
	EventsDropped                          uint64 // moves nobody took (no OnStateChange, or a full queue)
}

// Stats is the snapshot now.
func (b *Breaker) Stats() BreakerStats { return b.stats(Now()) }

// State is the breaker's state now.
func (b *Breaker) State() BreakerState { return b.Stats().State }

func (b *Breaker) stats(now uint64) BreakerStats {
	var s C.weir_breaker_stats
	C.weir_breaker_snapshot(b.h, C.uint64_t(now), &s)
	runtime.KeepAlive(b)
	return BreakerStats{
		State: BreakerState(s.state), Calls: uint64(s.calls), Failures: uint64(s.failures), Slow: uint64(s.slow),
		ConsecutiveFailures: uint64(s.consecutive_failures),
		ProbesIssued:        uint64(s.probes_issued), ProbesReturned: uint64(s.probes_returned),
		OpenLeft: duration(s.open_left_ns), Admitted: uint64(s.admitted),
		RefusedOpen: uint64(s.refused_open), RefusedHalfOpen: uint64(s.refused_half_open),
		EventsDropped: uint64(s.events_dropped),
	}
}

// breakerPermit is an admitted call's permit, for the explicit-time forms.
type breakerPermit struct{ p C.weir_breaker_permit }

func (b *Breaker) changes(t *C.weir_breaker_transition, into []StateChange) []StateChange {
	b.moved(t)
	if t.moved != 0 {
		into = append(into, stateChange(t))
	}
	return into
}

func (b *Breaker) acquireAt(now uint64) (Decision, *breakerPermit, []StateChange) {
	var d C.weir_decision
	var p breakerPermit
	var t C.weir_breaker_transition
	C.weir_breaker_acquire(b.h, C.uint64_t(now), &d, &p.p, &t)
	runtime.KeepAlive(b)
	moves := b.changes(&t, nil)
	if d.admitted == 0 {
		return decision(&d), nil, moves
	}
	return decision(&d), &p, moves
}

func (p *breakerPermit) probe() bool { return p != nil && p.p.probe != 0 }

func (b *Breaker) recordAt(now uint64, p *breakerPermit, failed bool, duration uint64) []StateChange {
	var t C.weir_breaker_transition
	C.weir_breaker_record(b.h, C.uint64_t(now), &p.p, C.bool(failed), C.uint64_t(duration), &t)
	runtime.KeepAlive(b)
	return b.changes(&t, nil)
}

func (b *Breaker) releasePermit(p *breakerPermit) bool {
	var released C.bool
	C.weir_breaker_release(b.h, &p.p, &released)
	runtime.KeepAlive(b)
	return bool(released)
}

// Close frees the breaker. Idempotent.
func (b *Breaker) Close() error {
	C.weir_breaker_free(&b.h)
	runtime.SetFinalizer(b, nil)
	return nil
}
