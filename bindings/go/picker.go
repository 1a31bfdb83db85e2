package weir

/*
#include "hot.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"time"
	"unsafe"
)

// Picker is power-of-two-choices load balancing over up to `capacity`
// nodes: two random nodes, the lower load wins (EWMA latency x in-flight,
// success rate, server CPU); a node left idle too long is picked once.
type Picker struct {
	h *C.weir_picker
}

// PickerOption adjusts a picker's config.
type PickerOption func(*C.weir_picker_config)

// Tau sets the time constant of the latency and success EWMAs.
func Tau(d time.Duration) PickerOption {
	return func(c *C.weir_picker_config) { c.tau_ns = C.uint64_t(uint64(max(d, 0))) }
}

// ForcePickAfter sets how long a node may go unpicked before it is picked
// once; 0 never.
func ForcePickAfter(d time.Duration) PickerOption {
	return func(c *C.weir_picker_config) { c.force_pick_ns = C.uint64_t(uint64(max(d, 0))) }
}

// Health sets the success-rate floor [0, 1] and the server CPU ceiling
// (permille) below/above which a node is passed over.
func Health(successFloor float64, cpuCeiling int) PickerOption {
	return func(c *C.weir_picker_config) {
		c.success_floor = C.double(successFloor)
		c.cpu_ceiling = C.uint64_t(uint64(max(cpuCeiling, 0)))
	}
}

// LatencyBias sets what is added to the latency in the load.
func LatencyBias(d time.Duration) PickerOption {
	return func(c *C.weir_picker_config) { c.latency_bias_ns = C.uint64_t(uint64(max(d, 0))) }
}

// InitialLatency sets a new node's latency before its first response.
func InitialLatency(d time.Duration) PickerOption {
	return func(c *C.weir_picker_config) { c.initial_latency_ns = C.uint64_t(uint64(max(d, 0))) }
}

// ErrNoNode is Pick's error when no node is up.
var ErrNoNode = errors.New("weir: no node is up")

// ErrFull is Add's error when every slot holds a node.
var ErrFull = errors.New("weir: every slot is taken")

// NewPicker makes a picker with `capacity` node slots (1..65536).
func NewPicker(capacity int, opts ...PickerOption) (*Picker, error) {
	var cfg C.weir_picker_config
	C.weir_picker_config_default(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	p := &Picker{}
	if err := create(func() C.weir_status {
		return C.weir_picker_new(&cfg, C.uint64_t(uint64(max(capacity, 0))), &p.h)
	}); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(p, (*Picker).Close)
	return p, nil
}

// Add puts node `id` (yours) in a free slot and returns the slot index.
func (p *Picker) Add(id uint64) (int, error) { return p.add(id, Now()) }

func (p *Picker) add(id, now uint64) (int, error) {
	var index C.uint32_t
	s := C.weir_picker_add(p.h, C.uint64_t(id), C.uint64_t(now), &index)
	runtime.KeepAlive(p)
	switch s {
	case C.WEIR_STATUS_OK:
		return int(index), nil
	case C.WEIR_STATUS_FULL:
		return 0, ErrFull
	default:
		return 0, statusError(s)
	}
}

// Remove drops the node in slot `index`; false if there was none.
func (p *Picker) Remove(index int) bool {
	ok := C.weir_picker_remove(p.h, C.uint32_t(uint32(index))) == C.WEIR_STATUS_OK
	runtime.KeepAlive(p)
	return ok
}

// SetUp marks the node in slot `index` up (pickable) or down.
func (p *Picker) SetUp(index int, up bool) bool {
	ok := C.weir_picker_set_up(p.h, C.uint32_t(uint32(index)), cbool(up)) == C.WEIR_STATUS_OK
	runtime.KeepAlive(p)
	return ok
}

// Pick is one chosen node; report its outcome once with Done.
type Pick struct {
	Index  int  // the node's slot
	Forced bool // picked because it was idle too long, not on load
	p      *Picker
	raw    C.weir_pick
}

// Pick chooses a node now.
func (p *Picker) Pick() (Pick, error) {
	var raw C.weir_pick
	var s C.weir_status
	if useDirect {
		s = directPickerPickNow(handle(unsafe.Pointer(p.h)), &raw)
	} else {
		s = cgoPickerPickNow(handle(unsafe.Pointer(p.h)), &raw)
	}
	runtime.KeepAlive(p)
	if s != C.WEIR_STATUS_OK {
		return Pick{}, statusError(s)
	}
	if raw.reason != C.WEIR_REASON_ADMITTED {
		return Pick{}, ErrNoNode
	}
	return Pick{Index: int(raw.index), Forced: raw.forced != 0, p: p, raw: raw}, nil
}

// Done reports the request's outcome: its latency is measured from the
// pick, success is err == nil. False for a stale pick (already done, or
// the node was removed).
func (k Pick) Done(err error) bool { return k.DoneWithCPU(err, -1) }

// DoneWithCPU is Done with the server's CPU (permille) from the response,
// folded into the node's load; negative when the response had none.
func (k Pick) DoneWithCPU(err error, cpuPermille int) bool {
	if k.p == nil {
		return false
	}
	cpu := int32(max(min(cpuPermille, 1<<20), -1))
	var ok bool
	if useDirect {
		ok = directPickerDoneNow(handle(unsafe.Pointer(k.p.h)), &k.raw, err == nil, cpu) == C.WEIR_STATUS_OK
	} else {
		ok = cgoPickerDoneNow(handle(unsafe.Pointer(k.p.h)), &k.raw, err == nil, cpu) == C.WEIR_STATUS_OK
	}
	runtime.KeepAlive(k.p)
	return ok
}

func (p *Picker) pick(now, draw uint64) (reason Reason, index, gen uint32, forced bool) {
	var raw C.weir_pick
	pickerPick(handle(unsafe.Pointer(p.h)), now, draw, &raw)
	runtime.KeepAlive(p)
	return Reason(raw.reason), uint32(raw.index), uint32(raw.gen), raw.forced != 0
}

func (p *Picker) done(index, gen uint32, now, latency uint64, success bool, cpu int) bool {
	raw := C.weir_pick{reason: C.WEIR_REASON_ADMITTED, index: C.uint32_t(index), gen: C.uint32_t(gen)}
	ok := pickerDone(handle(unsafe.Pointer(p.h)), &raw, now, latency, success, int32(cpu)) == C.WEIR_STATUS_OK
	runtime.KeepAlive(p)
	return ok
}

// NodeStats is one slot's node.
type NodeStats struct {
	ID          uint64
	State       string // "empty", "up", "down", "adding"
	InFlight    uint64
	Latency     float64 // EWMA, ns
	Success     float64 // EWMA, [0, 1]
	CPUPermille uint64
}

var nodeStates = [...]string{"empty", "up", "down", "adding"}

// Node is the node in slot `index`; false past the capacity.
func (p *Picker) Node(index int) (NodeStats, bool) {
	var n C.weir_node_stats
	ok := C.weir_picker_node(p.h, C.uint32_t(uint32(index)), &n) == C.WEIR_STATUS_OK
	runtime.KeepAlive(p)
	if !ok {
		return NodeStats{}, false
	}
	state := "adding"
	if int(n.state) < len(nodeStates) {
		state = nodeStates[n.state]
	}
	return NodeStats{ID: uint64(n.id), State: state, InFlight: uint64(n.in_flight), Latency: float64(n.latency_ns),
		Success: float64(n.success), CPUPermille: uint64(n.cpu_permille)}, true
}

// Close frees the picker. Idempotent.
func (p *Picker) Close() error {
	C.weir_picker_free(&p.h)
	runtime.SetFinalizer(p, nil)
	return nil
}
