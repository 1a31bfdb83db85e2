package weirgrpc

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// CPUKey is the response metadata (header or trailer) a server may report
// its CPU in, permille, as the filter's pick.cpu_header: the pool folds it
// into the connection's load.
const CPUKey = "x-weir-cpu"

// DefaultPickFailureCodes are the answers that count against a
// connection's success rate: the server failed, not the request.
var DefaultPickFailureCodes = []codes.Code{codes.Unknown, codes.DeadlineExceeded, codes.Internal, codes.Unavailable, codes.DataLoss}

// Pool spreads the calls to one target over several connections (one per
// backend address) by power of two choices on latency, in-flight calls,
// success and the CPU the backends report (weir.Picker). It is a
// grpc.ClientConnInterface: generated clients take it in place of a
// *grpc.ClientConn.
//
//	picker, _ := weir.NewPicker(8)
//	pool, _ := weirgrpc.NewPool(picker, connA, connB)
//	client := grpc_health_v1.NewHealthClient(pool)
//
// Interceptors given with WithPoolUnaryInterceptors run around the pick,
// so a retry there picks again. Each connection's own interceptors run
// after the pick.
type Pool struct {
	picker   *weir.Picker
	failures codeSet
	unary    grpc.UnaryClientInterceptor
	mu       sync.RWMutex
	conns    map[int]*grpc.ClientConn
	added    uint64 // the picker's node id of the next connection
}

// PoolOption configures a Pool.
type PoolOption func(*Pool)

// WithPickFailureCodes replaces DefaultPickFailureCodes.
func WithPickFailureCodes(cs ...codes.Code) PoolOption {
	return func(p *Pool) { p.failures = setOf(cs) }
}

// WithPoolUnaryInterceptors runs interceptors (the first outermost) around
// each unary call's pick; the *grpc.ClientConn they are given is nil, the
// connection being chosen inside.
func WithPoolUnaryInterceptors(interceptors ...grpc.UnaryClientInterceptor) PoolOption {
	return func(p *Pool) { p.unary = chainUnary(interceptors) }
}

// NewPool picks among conns with picker (whose capacity bounds how many
// connections the pool can hold).
func NewPool(picker *weir.Picker, conns []*grpc.ClientConn, opts ...PoolOption) (*Pool, error) {
	p := &Pool{picker: picker, failures: setOf(DefaultPickFailureCodes), conns: map[int]*grpc.ClientConn{}}
	for _, o := range opts {
		o(p)
	}
	for _, cc := range conns {
		if _, err := p.Add(cc); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Add puts a connection in the pool; its slot is the picker's.
func (p *Pool) Add(cc *grpc.ClientConn) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	index, err := p.picker.Add(p.added)
	if err != nil {
		return -1, fmt.Errorf("weirgrpc: adding %s to the pool: %w", cc.Target(), err)
	}
	p.added++
	p.conns[index] = cc
	return index, nil
}

// Remove takes the connection in slot index out of the pool (the caller
// closes it).
func (p *Pool) Remove(index int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.picker.Remove(index)
	delete(p.conns, index)
}

// SetUp marks a connection pickable or not (a failed health check).
func (p *Pool) SetUp(index int, up bool) bool { return p.picker.SetUp(index, up) }

func (p *Pool) pick() (weir.Pick, *grpc.ClientConn, error) {
	pick, err := p.picker.Pick()
	if err != nil {
		return weir.Pick{}, nil, &LocalError{Code: codes.Unavailable, Err: err}
	}
	p.mu.RLock()
	cc := p.conns[pick.Index]
	p.mu.RUnlock()
	if cc == nil {
		pick.Done(nil)
		return weir.Pick{}, nil, &LocalError{Code: codes.Unavailable, Err: weir.ErrNoNode}
	}
	return pick, cc, nil
}

// done reports a call's end to the picker.
func (p *Pool) done(pick weir.Pick, err error, header, trailer metadata.MD) {
	if !p.failures.has(status.Code(err)) {
		err = nil
	}
	cpu := -1
	if value := first(header, trailer, CPUKey); value != "" {
		if n, perr := strconv.Atoi(value); perr == nil && n >= 0 {
			cpu = n
		}
	}
	pick.DoneWithCPU(err, cpu)
}

// Invoke sends a unary call on the connection picked for it.
func (p *Pool) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if p.unary != nil {
		return p.unary(ctx, method, args, reply, nil, p.invoke, opts...)
	}
	return p.invoke(ctx, method, args, reply, nil, opts...)
}

func (p *Pool) invoke(ctx context.Context, method string, args, reply any, _ *grpc.ClientConn, opts ...grpc.CallOption) error {
	pick, cc, err := p.pick()
	if err != nil {
		return err
	}
	var header, trailer metadata.MD
	err = cc.Invoke(ctx, method, args, reply, append(opts[:len(opts):len(opts)], grpc.Header(&header), grpc.Trailer(&trailer))...)
	p.done(pick, err, header, trailer)
	return err
}

// NewStream opens a stream on the connection picked for it; the pick is
// done when the stream ends (RecvMsg returns io.EOF or an error).
func (p *Pool) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	pick, cc, err := p.pick()
	if err != nil {
		return nil, err
	}
	s, err := cc.NewStream(ctx, desc, method, opts...)
	if err != nil {
		p.done(pick, err, nil, nil)
		return nil, err
	}
	var ended *endStream
	ended = &endStream{ClientStream: s, end: func(err error) {
		header, _ := ended.Header()
		p.done(pick, err, header, ended.Trailer())
	}}
	return ended, nil
}

// chainUnary composes interceptors, the first outermost.
func chainUnary(interceptors []grpc.UnaryClientInterceptor) grpc.UnaryClientInterceptor {
	if len(interceptors) == 0 {
		return nil
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		next := invoker
		for i := len(interceptors) - 1; i >= 0; i-- {
			inner, interceptor := next, interceptors[i]
			next = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
				return interceptor(ctx, method, req, reply, cc, inner, opts...)
			}
		}
		return next(ctx, method, req, reply, cc, opts...)
	}
}

var _ grpc.ClientConnInterface = (*Pool)(nil)
