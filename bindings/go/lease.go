package weir

/*
#include "weir.h"
*/
import "C"

import "runtime"

// LeasePlanner decides when a node asks a central store (Redis) for quota
// and how much: batches sized to the node's recent rate.
type LeasePlanner struct {
	h *C.weir_lease_planner
}

// LeaseConfig is how a node plans leases; start from DefaultLeaseConfig.
type LeaseConfig struct {
	MinBatch, MaxBatch     uint64
	BatchPeriod, Lead, TTL uint64 // ns
}

// DefaultLeaseConfig is min 1, max 1000, 100 ms batches, 10 ms lead, 1 s ttl.
func DefaultLeaseConfig() LeaseConfig {
	var cfg C.weir_lease_config
	C.weir_lease_config_default(&cfg)
	return LeaseConfig{uint64(cfg.min_batch), uint64(cfg.max_batch), uint64(cfg.batch_period_ns), uint64(cfg.lead_ns), uint64(cfg.ttl_ns)}
}

// LeasePlan is the planner's answer.
type LeasePlan struct {
	Ask      uint64 // tokens to ask for now; 0: do not ask now
	NextAt   uint64 // when to plan again (native clock ns)
	LowWater uint64 // ask again when the lease falls to this many tokens
}

// NewLeasePlanner makes a planner; a bad field is a *ConfigError.
func NewLeasePlanner(c LeaseConfig) (*LeasePlanner, error) {
	cfg := C.weir_lease_config{min_batch: C.uint64_t(c.MinBatch), max_batch: C.uint64_t(c.MaxBatch),
		batch_period_ns: C.uint64_t(c.BatchPeriod), lead_ns: C.uint64_t(c.Lead), ttl_ns: C.uint64_t(c.TTL)}
	p := &LeasePlanner{}
	if err := create(func() C.weir_status { return C.weir_lease_planner_new(&cfg, &p.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(p, (*LeasePlanner).Close)
	return p, nil
}

// Plan says what to do at `now` given `rateTokens` demanded over the last
// `rateOver` ns and the lease held (`left` tokens expiring at `expiresAt`).
func (p *LeasePlanner) Plan(now, rateTokens, rateOver, left, expiresAt uint64) LeasePlan {
	var out C.weir_lease_plan
	C.weir_lease_planner_plan(p.h, C.uint64_t(now), C.uint64_t(rateTokens), C.uint64_t(rateOver), C.uint64_t(left), C.uint64_t(expiresAt), &out)
	runtime.KeepAlive(p)
	return LeasePlan{Ask: uint64(out.ask), NextAt: uint64(out.next_at), LowWater: uint64(out.low_water)}
}

// Close frees the planner. Idempotent.
func (p *LeasePlanner) Close() error {
	C.weir_lease_planner_free(&p.h)
	runtime.SetFinalizer(p, nil)
	return nil
}

// Lease holds leased quota; concurrent spenders take exactly the granted
// tokens between them.
type Lease struct {
	h *C.weir_lease
}

// NewLease makes an empty lease holding at most `cap` tokens.
func NewLease(cap uint64) *Lease {
	l := &Lease{}
	C.weir_lease_new(C.uint64_t(cap), &l.h)
	runtime.SetFinalizer(l, (*Lease).Close)
	return l
}

// Spend outcomes.
const (
	Spent   = "spent"
	Short   = "short"
	Expired = "expired"
)

var spendOutcomes = [...]string{Spent, Short, Expired}

// TrySpend takes `cost` tokens at `now` if the lease is live and holds
// them; it returns the outcome and the tokens left.
func (l *Lease) TrySpend(now, cost uint64) (string, uint64) {
	var s C.weir_lease_spend
	if C.weir_lease_try_spend(l.h, C.uint64_t(now), C.uint64_t(cost), &s) != C.WEIR_STATUS_OK || int(s.outcome) >= len(spendOutcomes) {
		return Expired, 0
	}
	runtime.KeepAlive(l)
	return spendOutcomes[s.outcome], uint64(s.left)
}

// Grant adds `tokens` valid until `expiresAt`; returns the tokens held.
func (l *Lease) Grant(now, tokens, expiresAt uint64) uint64 {
	var left C.uint64_t
	C.weir_lease_grant(l.h, C.uint64_t(now), C.uint64_t(tokens), C.uint64_t(expiresAt), &left)
	runtime.KeepAlive(l)
	return uint64(left)
}

// Close frees the lease. Idempotent.
func (l *Lease) Close() error {
	C.weir_lease_free(&l.h)
	runtime.SetFinalizer(l, nil)
	return nil
}
