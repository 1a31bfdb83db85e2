package weir

/*
#include "weir.h"
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"
)

// HedgeConfig is when and how often to hedge; start from
// DefaultHedgeConfig.
type HedgeConfig struct {
	Quantile   float64       // which quantile of recent latency is the delay, (0, 1]
	Floor      time.Duration // shortest delay
	Ceiling    time.Duration // longest delay, and the delay until MinSamples; math.MaxInt64 for none
	MaxHedges  int           // copies beyond the first, 1..16
	MinSamples int           // samples the window needs before its quantile is trusted
	Window     time.Duration // the latency window
	SubWindows int           // its sub-windows, 1..4
	// Budget is the hedger's own budget; with HedgerBudget it is not used.
	Budget RetryBudgetConfig
}

// DefaultHedgeConfig hedges once after the recent p95 (within 1 ms..1 s,
// from 20 samples of a 10 s window), spending a budget of 10 % plus 10/s.
func DefaultHedgeConfig() HedgeConfig {
	var c C.weir_hedge_config
	C.weir_hedge_config_default(&c)
	return HedgeConfig{
		Quantile: float64(c.quantile), Floor: duration(c.floor_ns), Ceiling: duration(c.ceiling_ns),
		MaxHedges: int(c.max_hedges), MinSamples: int(c.min_samples),
		Window: duration(c.window_ns), SubWindows: int(c.sub_windows),
		Budget: DefaultRetryBudgetConfig(),
	}
}

// Hedger decides when a request's next copy goes out: after the
// configured quantile of recent latency, at most MaxHedges times, each
// hedge spending one retry of its budget. Hedge runs requests through it.
type Hedger struct {
	h         *C.weir_hedger
	maxHedges int
}

// HedgerStats counts what a hedger decided.
type HedgerStats struct {
	Requests        uint64 // requests begun
	Hedges          uint64 // hedges sent
	RefusedBudget   uint64 // hedges the budget refused
	RefusedDeadline uint64 // hedges that could not start before the deadline
}

// HedgerOption adjusts NewHedger.
type HedgerOption func(*hedgerSetup)

type hedgerSetup struct{ budget *RetryBudget }

// HedgerBudget makes the hedger's hedges spend b, the budget the same
// operation's Retry calls spend, so hedges and retries toward one
// dependency are bounded together; the config's Budget is then not used.
// Hedge deposits each request in b: do not Deposit it again. The hedger
// holds b's native budget, so b may be closed first. A nil b leaves the
// hedger a budget of its own.
func HedgerBudget(b *RetryBudget) HedgerOption { return func(s *hedgerSetup) { s.budget = b } }

// NewHedger makes a hedger; a bad field is a *ConfigError naming it.
func NewHedger(c HedgeConfig, opts ...HedgerOption) (*Hedger, error) {
	var setup hedgerSetup
	for _, o := range opts {
		o(&setup)
	}
	cfg := C.weir_hedge_config{
		quantile: C.double(c.Quantile), floor_ns: C.uint64_t(uint64(max(c.Floor, 0))),
		ceiling_ns: C.uint64_t(ceilingNs(c.Ceiling)), max_hedges: C.uint64_t(uint64(max(c.MaxHedges, 0))),
		min_samples: C.uint64_t(uint64(max(c.MinSamples, 0))), window_ns: C.uint64_t(uint64(max(c.Window, 0))),
		sub_windows: C.uint64_t(uint64(max(c.SubWindows, 0))),
	}
	h := &Hedger{maxHedges: c.MaxHedges}
	var err error
	if shared := setup.budget; shared != nil {
		err = create(func() C.weir_status { return C.weir_hedger_new_with_budget(&cfg, shared.h, &h.h) })
		runtime.KeepAlive(shared)
	} else {
		b := C.weir_retry_budget_config{
			ratio: C.double(c.Budget.Ratio), min_per_second: C.uint64_t(uint64(max(c.Budget.MinPerSecond, 0))),
			window_ns: C.uint64_t(uint64(max(c.Budget.Window, 0))), buckets: C.uint64_t(uint64(max(c.Budget.Buckets, 0))),
		}
		err = create(func() C.weir_status { return C.weir_hedger_new(&cfg, &b, &h.h) })
	}
	if err != nil {
		return nil, err
	}
	runtime.SetFinalizer(h, (*Hedger).Close)
	return h, nil
}

// ceilingNs reads the largest Duration as none at all (no ceiling, no
// halving): a Duration cannot reach the kernel's UINT64_MAX.
func ceilingNs(d time.Duration) uint64 {
	if d == math.MaxInt64 {
		return math.MaxUint64
	}
	return uint64(max(d, 0))
}

// Stats are the counters so far.
func (h *Hedger) Stats() HedgerStats {
	var s C.weir_hedger_stats
	C.weir_hedger_snapshot(h.h, &s)
	runtime.KeepAlive(h)
	return HedgerStats{Requests: uint64(s.requests), Hedges: uint64(s.hedges),
		RefusedBudget: uint64(s.refused_budget), RefusedDeadline: uint64(s.refused_deadline)}
}

// Close frees the hedger. Idempotent; not while Hedge calls run.
func (h *Hedger) Close() error {
	C.weir_hedger_free(&h.h)
	return nil
}

func (h *Hedger) begin() uint64 {
	var started C.uint64_t
	C.weir_hedger_begin_now(h.h, &started)
	runtime.KeepAlive(h)
	return uint64(started)
}

func (h *Hedger) next(started uint64, sent int, deadlineLeft uint64) C.weir_hedge_decision {
	var d C.weir_hedge_decision
	C.weir_hedger_next_now(h.h, C.uint64_t(started), C.uint64_t(uint64(sent)), C.uint64_t(deadlineLeft), &d)
	runtime.KeepAlive(h)
	return d
}

func (h *Hedger) record(latency uint64) {
	C.weir_hedger_record_now(h.h, C.uint64_t(latency))
	runtime.KeepAlive(h)
}

// Attempt tells a hedged call which copy it is.
type Attempt struct {
	N    int // 0 for the first copy, 1.. for hedges
	Node int // the picker's slot for this copy; -1 without a picker
}

// HedgeOption adjusts one Hedge call.
type HedgeOption func(*hedgeCall)

type hedgeCall struct{ picker *Picker }

// HedgePicker sends each copy to a node of p, a hedge to one the request
// has not used yet when p has one up; each copy's outcome is reported to
// p (a cancelled loser as a failure: it was the slow one).
func HedgePicker(p *Picker) HedgeOption { return func(c *hedgeCall) { c.picker = p } }

type hedgeResult[T any] struct {
	v   T
	err error
}

// nodeTickets are the picks of one node in one request: the copy sent
// there and any later pick that drew the same node again. The later ones
// share the copy's outcome, so the picker's books balance without a
// sample the node never served.
type nodeTickets struct {
	mu    sync.Mutex
	index int
	picks []Pick
	ended bool
	err   error
}

func (t *nodeTickets) ride(p Pick) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		p.Done(t.err)
		return
	}
	t.picks = append(t.picks, p)
}

func (t *nodeTickets) end(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended, t.err = true, err
	for _, p := range t.picks {
		p.Done(err)
	}
}

// Hedge runs call and, when no answer came within the hedger's delay,
// another copy beside it (up to MaxHedges, each spending the budget), and
// returns the first success, cancelling the ctx of every other copy. When
// every copy sent has failed, it returns the last error; when ctx ends
// first, ctx's error.
func Hedge[T any](ctx context.Context, h *Hedger, call func(ctx context.Context, a Attempt) (T, error), opts ...HedgeOption) (T, error) {
	var setup hedgeCall
	for _, o := range opts {
		o(&setup)
	}
	started := h.begin()
	results := make(chan hedgeResult[T], h.maxHedges+1)
	cancels := make([]context.CancelFunc, 0, h.maxHedges+1)
	var nodes []*nodeTickets
	defer func() {
		for _, cancel := range cancels {
			cancel()
		}
	}()
	launch := func(n int) {
		actx, cancel := context.WithCancel(ctx)
		cancels = append(cancels, cancel)
		a := Attempt{N: n, Node: -1}
		var tickets *nodeTickets
		if setup.picker != nil {
			tickets = pickNode(setup.picker, &nodes)
			if tickets != nil {
				a.Node = tickets.index
			}
		}
		go runAttempt(actx, a, call, results, tickets)
	}
	launch(0)
	inFlight, sent := 1, 0
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		// Answers first: a hedge is not sent (nor its retry spent) for a
		// request whose answer is already in.
		select {
		case r := <-results:
			inFlight--
			if r.err == nil {
				h.record(Now() - started)
				return r.v, nil
			}
			if inFlight == 0 {
				var zero T
				return zero, r.err
			}
			continue
		default:
		}
		var due <-chan time.Time
		if sent < h.maxHedges {
			d := h.next(started, sent, deadlineLeft(ctx))
			switch d.action {
			case C.WEIR_HEDGE_ACTION_SEND:
				sent++
				inFlight++
				launch(sent)
				continue
			case C.WEIR_HEDGE_ACTION_WAIT:
				wait := time.Duration(uint64(d.due) - min(uint64(d.due), Now()))
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				due = timer.C
			default:
				sent = h.maxHedges // stopped: no more hedges for this request
			}
		}
		select {
		case r := <-results:
			inFlight--
			if r.err == nil {
				h.record(Now() - started)
				return r.v, nil
			}
			if inFlight == 0 {
				var zero T
				return zero, r.err
			}
		case <-due:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

func runAttempt[T any](ctx context.Context, a Attempt, call func(context.Context, Attempt) (T, error), out chan<- hedgeResult[T], tickets *nodeTickets) {
	v, err := call(ctx, a)
	if tickets != nil {
		outcome := err
		if outcome == nil && ctx.Err() != nil {
			outcome = ctx.Err()
		}
		tickets.end(outcome)
	}
	out <- hedgeResult[T]{v: v, err: err}
}

// pickNode picks the node for the next copy, drawing up to four times for
// one the request has not used; a draw of a used node rides on that
// node's copy. Nil when no node is up.
func pickNode(p *Picker, nodes *[]*nodeTickets) *nodeTickets {
	for try := 0; try < 4; try++ {
		pick, err := p.Pick()
		if err != nil {
			return nil
		}
		var used *nodeTickets
		for _, t := range *nodes {
			if t.index == pick.Index {
				used = t
			}
		}
		if used == nil {
			t := &nodeTickets{index: pick.Index, picks: []Pick{pick}}
			*nodes = append(*nodes, t)
			return t
		}
		used.ride(pick)
	}
	// Every draw found a used node: send the copy there again.
	pick, err := p.Pick()
	if err != nil {
		return nil
	}
	return &nodeTickets{index: pick.Index, picks: []Pick{pick}}
}

func deadlineLeft(ctx context.Context) uint64 {
	dl, ok := ctx.Deadline()
	if !ok {
		return math.MaxUint64
	}
	return uint64(max(time.Until(dl), 0))
}

// hedgeAsk is a request's state as the caller knows it, for the
// conformance vectors: the estimate is the caller's, not the hedger's.
type hedgeAsk struct {
	startedAt, hedgesSent uint64
	quantile              *uint64
	samples, deadlineLeft uint64
}

func (h *Hedger) ask(now uint64, a hedgeAsk, spend bool) (action string, reason Reason, due, delay uint64) {
	raw := C.weir_hedge_ask{started_at: C.uint64_t(a.startedAt), hedges_sent: C.uint64_t(a.hedgesSent),
		samples: C.uint64_t(a.samples), deadline_left_ns: C.uint64_t(a.deadlineLeft)}
	if a.quantile != nil {
		raw.has_quantile, raw.quantile_ns = 1, C.uint64_t(*a.quantile)
	}
	var d C.weir_hedge_decision
	C.weir_hedger_ask(h.h, C.uint64_t(now), &raw, cbool(spend), &d)
	runtime.KeepAlive(h)
	return C.GoString(C.weir_hedge_action_str(d.action)), Reason(d.reason), uint64(d.due), uint64(d.delay_ns)
}

func (h *Hedger) deposit(now uint64) {
	C.weir_hedger_deposit(h.h, C.uint64_t(now))
	runtime.KeepAlive(h)
}

func (h *Hedger) budget(now uint64) (requests, retries uint64) {
	var r, t C.uint64_t
	C.weir_hedger_budget(h.h, C.uint64_t(now), &r, &t)
	runtime.KeepAlive(h)
	return uint64(r), uint64(t)
}
