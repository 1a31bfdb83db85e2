// Package weirgrpc runs gRPC calls through weir: server interceptors that
// check every call against a policy (the Envoy filter's rules run in this
// process), and client interceptors for the caller's side (the SRE
// throttle, retries with a budget and the server's pushback, deadline
// propagation) with p2c picking: a Pool over the connections to one
// target, or the weir_p2c balancer over a ClientConn's sub-connections.
//
//	policy, _ := weir.LoadPolicy("policy.json")
//	server := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(weirgrpc.UnaryServerInterceptor(policy)),
//		grpc.ChainStreamInterceptor(weirgrpc.StreamServerInterceptor(policy)),
//	)
//
// It is a module of its own so that weir's library module requires nothing.
package weirgrpc

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

type serverConfig struct {
	key func(ctx context.Context, fullMethod string) string
}

// ServerOption configures the server interceptors.
type ServerOption func(*serverConfig)

// WithKey gives the caller key rules with "key": "caller" count under (a
// user id, an API key read from the metadata or the peer's certificate);
// "" is no key.
func WithKey(key func(ctx context.Context, fullMethod string) string) ServerOption {
	return func(c *serverConfig) { c.key = key }
}

type verdictKey struct{}

// VerdictFrom is the verdict that admitted the call whose context this is.
func VerdictFrom(ctx context.Context) (*weir.Verdict, bool) {
	v, ok := ctx.Value(verdictKey{}).(*weir.Verdict)
	return v, ok
}

// RequestOf describes an incoming call as the policy reads a request: a
// POST to the full method (`/pkg.Service/Method`), the metadata as
// headers, the peer's address as the client address, and the time left
// of the call's deadline (what its `grpc-timeout` said) as `grpc-timeout`.
func RequestOf(ctx context.Context, fullMethod, key string) weir.Request {
	md, _ := metadata.FromIncomingContext(ctx)
	header := make(http.Header, len(md)+2)
	for name, values := range md {
		// Binary metadata is base64 on the wire and no rule matches on it.
		if len(values) == 0 || strings.HasSuffix(name, "-bin") {
			continue
		}
		header[http.CanonicalHeaderKey(name)] = values
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/grpc")
	}
	if deadline, ok := ctx.Deadline(); ok {
		header.Set("Grpc-Timeout", weir.FormatGrpcTimeout(max(time.Until(deadline), 0)))
	}
	var address string
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		address = p.Addr.String()
	}
	return weir.Request{Method: http.MethodPost, Path: fullMethod, Header: header, ClientAddress: address, Key: key}
}

// check decides a call; a refusal comes back as the status to answer with
// and the trailer that goes with it.
func (c *serverConfig) check(ctx context.Context, policy *weir.Policy, fullMethod string) (*weir.Verdict, metadata.MD, error) {
	var key string
	if c.key != nil {
		key = c.key(ctx, fullMethod)
	}
	req := RequestOf(ctx, fullMethod, key)
	v := policy.Check(&req)
	if v.Admitted {
		return v, nil, nil
	}
	return v, Trailer(v), status.Error(Code(v.Reason), v.Body)
}

// admit puts what an admitted verdict gives the call on its context: the
// request headers the policy set (as incoming metadata), its deadline and
// the verdict itself.
func admit(ctx context.Context, v *weir.Verdict) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, verdictKey{}, v)
	if len(v.RequestHeader) > 0 {
		md, _ := metadata.FromIncomingContext(ctx)
		md = md.Copy()
		for name, values := range v.RequestHeader {
			name = strings.ToLower(name)
			if name != "grpc-timeout" { // the deadline goes on the context
				md[name] = values
			}
		}
		ctx = metadata.NewIncomingContext(ctx, md)
	}
	if v.Deadline > 0 {
		return context.WithTimeout(ctx, v.Deadline)
	}
	return ctx, func() {}
}

// responseHeader is what an admitted verdict adds to the response
// (x-ratelimit-* with headers_on_success).
func responseHeader(v *weir.Verdict) metadata.MD {
	if len(v.Header) == 0 {
		return nil
	}
	md := metadata.MD{}
	for name, values := range v.Header {
		md[strings.ToLower(name)] = values
	}
	return md
}

// report tells the policy's learners how the call ended: the grpc-status,
// or no answer at all when the caller went away or the deadline passed.
func report(ctx context.Context, v *weir.Verdict, err error, started time.Time) {
	if v.Header == nil {
		return // the plain admission: nothing learns from it
	}
	outcome := weir.PolicyOutcome{Status: http.StatusOK, GRPCStatus: int(status.Code(err)), Latency: time.Since(started)}
	if ctx.Err() != nil {
		outcome.Status, outcome.GRPCStatus = 0, 0
	}
	v.Report(outcome)
}

// UnaryServerInterceptor checks every unary call against policy. A refused
// call is answered with Code(reason), the verdict's body as the message and
// Trailer(verdict); the handler never runs. An admitted one runs with the
// verdict's deadline on its context, and its grpc-status and latency are
// reported when the handler returns.
func UnaryServerInterceptor(policy *weir.Policy, opts ...ServerOption) grpc.UnaryServerInterceptor {
	var c serverConfig
	for _, o := range opts {
		o(&c)
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		v, trailer, refused := c.check(ctx, policy, info.FullMethod)
		if refused != nil {
			_ = grpc.SetTrailer(ctx, trailer)
			return nil, refused
		}
		if v.Header == nil {
			return handler(ctx, req)
		}
		started := time.Now()
		if md := responseHeader(v); md != nil {
			_ = grpc.SetHeader(ctx, md)
		}
		callCtx, cancel := admit(ctx, v)
		defer cancel()
		resp, err := handler(callCtx, req)
		report(callCtx, v, err, started)
		return resp, err
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streams: the check
// runs when the stream opens, the outcome is reported when the handler
// returns.
func StreamServerInterceptor(policy *weir.Policy, opts ...ServerOption) grpc.StreamServerInterceptor {
	var c serverConfig
	for _, o := range opts {
		o(&c)
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		v, trailer, refused := c.check(ss.Context(), policy, info.FullMethod)
		if refused != nil {
			ss.SetTrailer(trailer)
			return refused
		}
		if v.Header == nil {
			return handler(srv, ss)
		}
		started := time.Now()
		if md := responseHeader(v); md != nil {
			_ = ss.SetHeader(md)
		}
		callCtx, cancel := admit(ss.Context(), v)
		defer cancel()
		err := handler(srv, &serverStream{ServerStream: ss, ctx: callCtx})
		report(callCtx, v, err, started)
		return err
	}
}

type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// Code is the gRPC code a refusal of this reason answers with: a limit's
// refusal is RESOURCE_EXHAUSTED (the caller's quota), nothing left of the
// deadline DEADLINE_EXCEEDED, and every refusal that protects the server
// (shed, throttle, breaker, no upstream) UNAVAILABLE.
func Code(reason string) codes.Code {
	switch reason {
	case "admitted":
		return codes.OK
	case "rate_limited", "table_full", "cost_exceeds_burst":
		return codes.ResourceExhausted
	case "deadline_exceeded", "deadline_too_close":
		return codes.DeadlineExceeded
	case "closed":
		return codes.Internal
	default:
		return codes.Unavailable
	}
}

// Retry metadata a refusal carries.
const (
	// PushbackKey is gRPC's server pushback: milliseconds until a retry
	// may succeed; negative means do not retry.
	PushbackKey = "grpc-retry-pushback-ms"
	// NoRetryKey set to "1" says no retry of this call can succeed.
	NoRetryKey = "x-weir-no-retry"
)

// Trailer is the trailer of a refused call: the verdict's headers
// (retry-after, x-ratelimit-*, x-weir-rule, and the engine's
// x-weir-no-retry and grpc-retry-pushback-ms, which pass unchanged: an
// overload answer says "do not retry" so that only one layer retries, as
// the filter's answers do). A verdict that gives no pushback gets one: -1
// when it is marked no-retry or no wait can turn it into an admission (a
// cost above the burst, which also gets the marker), else its retry-after
// in milliseconds.
func Trailer(v *weir.Verdict) metadata.MD {
	md := metadata.MD{}
	for name, values := range v.Header {
		md[strings.ToLower(name)] = values
	}
	if len(md.Get(PushbackKey)) > 0 {
		return md
	}
	if v.Reason == "cost_exceeds_burst" {
		md.Set(NoRetryKey, "1")
	}
	if first(nil, md, NoRetryKey) == "1" {
		md.Set(PushbackKey, "-1")
		return md
	}
	if ms, ok := retryAfterMillis(v.Header); ok {
		md.Set(PushbackKey, ms)
	}
	return md
}

// retryAfterMillis reads the verdict's retry-after: the exact nanoseconds
// of debug_headers when present, else the whole seconds of retry-after.
func retryAfterMillis(h http.Header) (string, bool) {
	if ns := h.Get("X-Weir-Retry-After-Ns"); ns != "" {
		if d, err := strconv.ParseUint(ns, 10, 64); err == nil {
			return strconv.FormatUint(d/1_000_000+min(d%1_000_000, 1), 10), true
		}
	}
	if s := h.Get("Retry-After"); s != "" {
		if d, err := strconv.ParseUint(s, 10, 64); err == nil {
			return strconv.FormatUint(min(d, math.MaxUint64/1000)*1000, 10), true
		}
	}
	return "", false
}
