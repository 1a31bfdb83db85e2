package weir

/*
#include "hot.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Shedder is BBR-style adaptive overload protection: when the CPU passes
// its threshold it sheds requests beyond the in-flight count the service
// has shown it sustains (max pass rate x min response time over a rolling
// window), and keeps enforcing that for a cool-off after a shed.
type Shedder struct {
	h       *C.weir_shedder
	slots   *shedSlots // nil where this platform has no counter to read
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	tickets sync.Pool // of *shedTicket
	events  *eventHub
}

// ShedderOption adjusts a shedder's config.
type ShedderOption func(*shedderSettings)

type shedderSettings struct {
	cfg         C.weir_shedder_config
	cpuInterval time.Duration
}

// Window sets the rolling window and its bucket count.
func Window(window time.Duration, buckets int) ShedderOption {
	return func(s *shedderSettings) {
		s.cfg.window_ns = C.uint64_t(uint64(max(window, 0)))
		s.cfg.buckets = C.uint64_t(uint64(max(buckets, 0)))
	}
}

// CPUThreshold sets the CPU (permille) at which shedding may start.
func CPUThreshold(permille int) ShedderOption {
	return func(s *shedderSettings) { s.cfg.cpu_threshold = C.uint64_t(uint64(max(permille, 0))) }
}

// CPUDecay sets the weight of the previous smoothed CPU per sample, [0, 1).
func CPUDecay(decay float64) ShedderOption {
	return func(s *shedderSettings) { s.cfg.cpu_decay = C.double(decay) }
}

// CoolOff sets how long after a shed the in-flight estimate stays enforced.
func CoolOff(d time.Duration) ShedderOption {
	return func(s *shedderSettings) { s.cfg.cool_off_ns = C.uint64_t(uint64(max(d, 0))) }
}

// MaxQueue caps requests in flight outright; 0 turns the cap off.
func MaxQueue(n int) ShedderOption {
	return func(s *shedderSettings) { s.cfg.max_queue = C.uint64_t(uint64(max(n, 0))) }
}

// SampleCPU makes the shedder sample this process's CPU (cgroup v2, else
// /proc/stat) every `interval` on a goroutine that Close stops; without it,
// feed RecordCPU yourself.
func SampleCPU(interval time.Duration) ShedderOption {
	return func(s *shedderSettings) { s.cpuInterval = interval }
}

// NewShedder makes a shedder with the defaults (10 s window of 100
// buckets, CPU threshold 800, decay 0.95, cool-off 1 s) changed by opts.
func NewShedder(opts ...ShedderOption) (*Shedder, error) {
	var s shedderSettings
	C.weir_shedder_config_default(&s.cfg)
	for _, o := range opts {
		o(&s)
	}
	sh := &Shedder{stop: make(chan struct{})}
	sh.tickets.New = func() any { return newShedTicket(sh) }
	if err := create(func() C.weir_status { return C.weir_shedder_new(&s.cfg, &sh.h) }); err != nil {
		return nil, err
	}
	sh.events = shedderEvents(sh.h)
	sh.slots = newShedSlots()
	if s.cpuInterval > 0 {
		sampler, err := NewCPUSampler()
		if err != nil {
			C.weir_shedder_free(&sh.h)
			return nil, err
		}
		sh.wg.Add(1)
		go sh.sampleCPU(sampler, s.cpuInterval)
	}
	runtime.SetFinalizer(sh, (*Shedder).Close)
	return sh, nil
}

func (s *Shedder) sampleCPU(sampler *CPUSampler, interval time.Duration) {
	defer s.wg.Done()
	defer sampler.Close()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
			if permille, ok := sampler.Sample(); ok {
				s.RecordCPU(permille)
			}
		}
	}
}

// Allow asks to start a request now. When admitted, call done exactly once
// when the request ends with its error. The shedder learns from response
// times, so the error matters only when it is weir's own refusal (a
// *RejectedError, ErrDeadlineExceeded or ErrNoNode from a throttle, limit,
// deadline or picker that answered before the work was done): that request
// ends without a response time. A refusal is a *RejectedError.
//
// Allow is one cgo call and done none, and once warm neither allocates:
// done writes the end into the request's slot (shedder_slots.go), and the
// next Allow hands it to the shedder before it decides. Past 64 requests
// in flight, done is a ticket from a per-shedder pool that claims a spare
// slot when the request ends (a cgo call only if 64 ends are waiting for
// the next Allow); on a platform without a counter Go can read, done is
// always a pooled ticket and a cgo call.
func (s *Shedder) Allow() (done func(error), err error) {
	if s.slots != nil {
		return s.slots.allow(s)
	}
	started, err := s.admit()
	if err != nil {
		return nil, err
	}
	return s.ticket(started), nil
}

// ticket is the done of a request that ends through a cgo call.
func (s *Shedder) ticket(started uint64) func(error) {
	t := s.tickets.Get().(*shedTicket)
	t.started, t.live = started, true
	return t.done
}

// shedTicket is one admitted request's done. Its done field is its finish
// method bound once, when the pool made it, so handing it out is free.
type shedTicket struct {
	s       *Shedder // keeps the shedder (and its handle) alive until done
	started uint64
	live    bool
	done    func(error)
}

func newShedTicket(s *Shedder) *shedTicket {
	t := &shedTicket{s: s}
	t.done = t.finish
	return t
}

// finish ends the request and returns the ticket to the pool. A second
// call before the ticket is reused does nothing.
func (t *shedTicket) finish(err error) {
	if !t.live {
		return
	}
	t.live = false
	switch {
	case t.s.slots != nil && t.s.slots.endSpare(t.started, err):
	case isLocalRefusal(err):
		C.weir_shedder_cancel(t.s.h)
		runtime.KeepAlive(t.s)
	default:
		t.s.finish(t.started)
	}
	t.s.tickets.Put(t)
}

// admit is Allow's one cgo call: the decision and the time it was made at.
func (s *Shedder) admit() (uint64, error) {
	var d C.weir_decision
	var started C.uint64_t
	var st C.weir_status
	if useDirect {
		st = directShedderAcquireNow(handle(unsafe.Pointer(s.h)), &d, &started)
	} else {
		st = cgoShedderAcquireNow(handle(unsafe.Pointer(s.h)), &d, &started)
	}
	runtime.KeepAlive(s)
	s.events.after()
	if st != C.WEIR_STATUS_OK {
		return 0, ErrClosed
	}
	if d.admitted == 0 {
		return 0, &RejectedError{Decision: decision(&d)}
	}
	return uint64(started), nil
}

// finish is done's one cgo call.
func (s *Shedder) finish(started uint64) {
	if useDirect {
		directShedderDoneNow(handle(unsafe.Pointer(s.h)), started)
	} else {
		cgoShedderDoneNow(handle(unsafe.Pointer(s.h)), started)
	}
	runtime.KeepAlive(s)
}

func (s *Shedder) acquire(now uint64) Decision {
	var d C.weir_decision
	shedderAcquire(handle(unsafe.Pointer(s.h)), now, &d)
	runtime.KeepAlive(s)
	s.events.after()
	return decision(&d)
}

func (s *Shedder) done(startedAt, now uint64) {
	shedderDone(handle(unsafe.Pointer(s.h)), startedAt, now)
	runtime.KeepAlive(s)
}

// RecordCPU folds a CPU sample (permille) into the smoothed CPU and
// returns the new value.
func (s *Shedder) RecordCPU(permille uint64) float64 {
	var cpu C.double
	C.weir_shedder_record_cpu(s.h, C.uint64_t(permille), &cpu)
	runtime.KeepAlive(s)
	return float64(cpu)
}

// ShedderStats is what a shedder knows at one instant.
type ShedderStats struct {
	InFlight    uint64
	CPU         float64 // smoothed, permille
	MaxPass     uint64
	MinRT       time.Duration
	MaxInFlight uint64 // the estimate enforced under CPU pressure
	CoolingOff  bool
}

// Stats is a snapshot, e.g. for Prometheus gauges.
func (s *Shedder) Stats() ShedderStats { return s.stats(Now()) }

func (s *Shedder) stats(now uint64) ShedderStats {
	var st C.weir_shedder_stats
	s.slots.drain(s, now)
	C.weir_shedder_snapshot(s.h, C.uint64_t(now), &st)
	runtime.KeepAlive(s)
	return ShedderStats{
		InFlight:    uint64(st.in_flight),
		CPU:         float64(st.cpu),
		MaxPass:     uint64(st.max_pass),
		MinRT:       duration(st.min_rt_ns),
		MaxInFlight: uint64(st.max_in_flight),
		CoolingOff:  st.cooling_off != 0,
	}
}

// Decisions is how many Allow calls the shedder has decided so far, from
// every goroutine, by reason: Admitted always, each refusal reason once it
// has happened.
func (s *Shedder) Decisions() map[Reason]uint64 {
	var c C.weir_decision_counts
	C.weir_shedder_decisions(s.h, &c)
	runtime.KeepAlive(s)
	return decisionCounts(&c)
}

// Close stops CPU sampling and frees the shedder. Idempotent.
func (s *Shedder) Close() error {
	s.once.Do(func() {
		close(s.stop)
		s.wg.Wait()
		s.events.close()
		C.weir_shedder_free(&s.h)
		runtime.SetFinalizer(s, nil)
	})
	return nil
}
