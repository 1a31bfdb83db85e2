package weir

/*
#include "hot.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Group is singleflight: among concurrent Do calls for one key, the first
// leads (runs fn) and the rest share its result. The native table decides
// who leads; every caller waits on its own ctx and may leave early; the
// work is cancelled only when every caller has left.
type Group struct {
	h     *C.weir_singleflight
	mu    sync.Mutex
	calls map[flightID]*call
}

type flightID struct{ slot, gen uint32 }

type call struct {
	done    chan struct{}
	val     any
	err     error
	waiting int // callers still waiting (leader included)
	cancel  context.CancelFunc
}

// NewGroup makes a group whose native table has `capacity` slots; size it
// at a few times the keys in flight at once (a key whose slot is busy with
// another key runs unshared). When callers choose the keys, pass
// GroupSeed(HashSeedFromSecret(secret)).
func NewGroup(capacity int, opts ...GroupOption) (*Group, error) {
	var c groupCfg
	for _, o := range opts {
		o(&c)
	}
	seed := nativeSeed(c.seed)
	g := &Group{calls: make(map[flightID]*call)}
	if err := create(func() C.weir_status {
		return C.weir_singleflight_new(C.uint64_t(uint64(max(capacity, 0))), seed, &g.h)
	}); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(g, (*Group).Close)
	return g, nil
}

// PanicError carries a panic of the shared fn to every caller.
type PanicError struct{ Value any }

func (e *PanicError) Error() string {
	return fmt.Sprintf("weir: singleflight fn panicked: %v", e.Value)
}

// Do runs fn once for concurrent callers of `key` and gives each the
// result; shared says whether it came from another caller's flight.
func (g *Group) Do(ctx context.Context, key string, fn func(context.Context) (any, error)) (v any, err error, shared bool) {
	var f C.weir_flight
	s := C.weir_go_singleflight_begin_bytes(C.uintptr_t(handle(unsafe.Pointer(g.h))), (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(key))), C.size_t(len(key)), &f)
	runtime.KeepAlive(g)
	if s != C.WEIR_STATUS_OK {
		return nil, ErrClosed, false
	}
	switch f.role {
	case C.WEIR_FLIGHT_ROLE_TABLE_FULL:
		v, err = run(ctx, fn)
		return v, err, false
	case C.WEIR_FLIGHT_ROLE_LEADER:
		return g.lead(ctx, flightID{uint32(f.slot), uint32(f.gen)}, fn)
	default:
		return g.follow(ctx, flightID{uint32(f.slot), uint32(f.gen)})
	}
}

func run(ctx context.Context, fn func(context.Context) (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, &PanicError{Value: r}
		}
	}()
	return fn(ctx)
}

// join returns the flight's call, made by whichever of leader and
// follower gets here first.
func (g *Group) join(id flightID) *call {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.calls[id]
	if c == nil {
		c = &call{done: make(chan struct{})}
		g.calls[id] = c
	}
	c.waiting++
	return c
}

// part is a caller leaving; the last one out drops the call and, if the
// work is still running, cancels it.
func (g *Group) part(id flightID, c *call) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.waiting--
	if c.waiting > 0 {
		return
	}
	select {
	case <-c.done:
		delete(g.calls, id)
	default:
		if c.cancel != nil {
			c.cancel()
		}
	}
}

func (g *Group) lead(ctx context.Context, id flightID, fn func(context.Context) (any, error)) (any, error, bool) {
	c := g.join(id)
	finish := func(v any, err error) {
		g.mu.Lock()
		c.val, c.err = v, err
		close(c.done)
		if c.waiting == 0 {
			delete(g.calls, id)
		}
		g.mu.Unlock()
		C.weir_singleflight_finish(g.h, C.uint32_t(id.slot), C.uint32_t(id.gen))
		runtime.KeepAlive(g)
	}
	if ctx.Done() == nil {
		// Nobody can leave early: run in place, no goroutine.
		v, err := run(ctx, fn)
		finish(v, err)
		g.part(id, c)
		return v, err, false
	}
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g.mu.Lock()
	c.cancel = cancel
	g.mu.Unlock()
	go func() {
		defer cancel()
		finish(run(work, fn))
	}()
	return g.wait(ctx, id, c, false)
}

func (g *Group) follow(ctx context.Context, id flightID) (any, error, bool) {
	c := g.join(id)
	v, err, shared := g.wait(ctx, id, c, true)
	C.weir_singleflight_leave(g.h, C.uint32_t(id.slot), C.uint32_t(id.gen))
	runtime.KeepAlive(g)
	return v, err, shared
}

func (g *Group) wait(ctx context.Context, id flightID, c *call, shared bool) (any, error, bool) {
	defer g.part(id, c)
	select {
	case <-c.done:
		return c.val, c.err, shared
	case <-ctx.Done():
		return nil, ctx.Err(), shared
	}
}

var roles = [...]string{"leader", "follower", "table_full"}

func (g *Group) begin(key uint64) (role string, slot, gen uint32) {
	var f C.weir_flight
	C.weir_singleflight_begin(g.h, C.uint64_t(key), &f)
	runtime.KeepAlive(g)
	return roles[min(int(f.role), 2)], uint32(f.slot), uint32(f.gen)
}

func (g *Group) finish(slot, gen uint32) bool {
	ok := C.weir_singleflight_finish(g.h, C.uint32_t(slot), C.uint32_t(gen)) == C.WEIR_STATUS_OK
	runtime.KeepAlive(g)
	return ok
}

func (g *Group) leave(slot, gen uint32) bool {
	ok := C.weir_singleflight_leave(g.h, C.uint32_t(slot), C.uint32_t(gen)) == C.WEIR_STATUS_OK
	runtime.KeepAlive(g)
	return ok
}

func (g *Group) isDone(slot, gen uint32) bool {
	var done C.bool
	C.weir_singleflight_is_done(g.h, C.uint32_t(slot), C.uint32_t(gen), &done)
	runtime.KeepAlive(g)
	return bool(done)
}

func (g *Group) occupied() uint64 {
	var n C.uint64_t
	C.weir_singleflight_occupied(g.h, &n)
	runtime.KeepAlive(g)
	return uint64(n)
}

func (g *Group) waiters(slot uint32) uint64 {
	var state C.uint32_t
	var n C.uint64_t
	C.weir_singleflight_slot(g.h, C.uint32_t(slot), &state, &n)
	runtime.KeepAlive(g)
	return uint64(n)
}

// Close frees the native table. Idempotent; not while Do calls run.
func (g *Group) Close() error {
	C.weir_singleflight_free(&g.h)
	runtime.SetFinalizer(g, nil)
	return nil
}
