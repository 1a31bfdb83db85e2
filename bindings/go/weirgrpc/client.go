package weirgrpc

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	weir "github.com/weir-rs/weir/bindings/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// LocalError is weir's own answer on the client side, given before the
// server was called: the throttle refused, nothing was left of the
// deadline, or the pool had no connection up. Its gRPC status (Code,
// status.FromError) is UNAVAILABLE or DEADLINE_EXCEEDED; it wraps the weir
// error behind it (a *weir.RejectedError, weir.ErrDeadlineExceeded or
// weir.ErrNoNode). Retries never repeat it.
type LocalError struct {
	Code codes.Code
	Err  error
}

func (e *LocalError) Error() string { return e.Err.Error() }
func (e *LocalError) Unwrap() error { return e.Err }

// GRPCStatus lets status.FromError and status.Code read the code.
func (e *LocalError) GRPCStatus() *status.Status { return status.New(e.Code, e.Err.Error()) }

// DefaultFailureCodes are the answers that mean the server refused the work
// (it is overloaded or the caller over quota): what the throttle counts as
// refusals.
var DefaultFailureCodes = []codes.Code{codes.Unavailable, codes.ResourceExhausted}

type codeSet uint32

func setOf(cs []codes.Code) codeSet {
	var s codeSet
	for _, c := range cs {
		if c < 32 {
			s |= 1 << c
		}
	}
	return s
}

func (s codeSet) has(c codes.Code) bool { return c < 32 && s&(1<<c) != 0 }

// ThrottleUnaryClientInterceptor runs each call through the SRE throttle:
// refused locally with the throttle's probability (a *LocalError,
// UNAVAILABLE), else sent and recorded as accepted unless its code is one
// of failures (DefaultFailureCodes when none are given). Place it inside
// the retry interceptor so that every attempt is counted.
func ThrottleUnaryClientInterceptor(t *weir.Throttle, failures ...codes.Code) grpc.UnaryClientInterceptor {
	failed := failureSet(failures)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		sent := false
		err := t.Do(func() error {
			sent = true
			return invoker(ctx, method, req, reply, cc, opts...)
		}, func(err error) bool { return !failed.has(status.Code(err)) })
		if !sent && err != nil {
			return &LocalError{Code: codes.Unavailable, Err: err}
		}
		return err
	}
}

func failureSet(failures []codes.Code) codeSet {
	if len(failures) == 0 {
		return setOf(DefaultFailureCodes)
	}
	return setOf(failures)
}

// ThrottleStreamClientInterceptor is the throttle for streams: the stream
// is allowed or refused when it opens, and recorded when it ends (RecvMsg
// returns io.EOF or an error; a stream never read to its end is not
// recorded).
func ThrottleStreamClientInterceptor(t *weir.Throttle, failures ...codes.Code) grpc.StreamClientInterceptor {
	failed := failureSet(failures)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if err := t.Allow(); err != nil {
			return nil, &LocalError{Code: codes.Unavailable, Err: err}
		}
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			t.Record(!failed.has(status.Code(err)))
			return nil, err
		}
		return &endStream{ClientStream: s, end: func(err error) { t.Record(!failed.has(status.Code(err))) }}, nil
	}
}

// endStream calls end once, with nil for io.EOF, when the stream ends.
type endStream struct {
	grpc.ClientStream
	once sync.Once
	end  func(error)
}

func (s *endStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil {
		s.once.Do(func() {
			if errors.Is(err, io.EOF) {
				s.end(nil)
			} else {
				s.end(err)
			}
		})
	}
	return err
}

// DeadlineUnaryClientInterceptor gives each call min(what is left of the
// caller's deadline, the callee's timeout) less the margin (weir.Deadline);
// grpc-go sends it as the call's grpc-timeout. A call with nothing left is
// not sent: a *LocalError, DEADLINE_EXCEEDED.
func DeadlineUnaryClientInterceptor(d *weir.Deadline) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		callCtx, cancel, err := d.Context(ctx)
		if err != nil {
			return &LocalError{Code: codes.DeadlineExceeded, Err: err}
		}
		defer cancel()
		return invoker(callCtx, method, req, reply, cc, opts...)
	}
}

// DeadlineStreamClientInterceptor is the deadline for streams: the budget
// bounds the whole stream.
func DeadlineStreamClientInterceptor(d *weir.Deadline) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		callCtx, cancel, err := d.Context(ctx)
		if err != nil {
			return nil, &LocalError{Code: codes.DeadlineExceeded, Err: err}
		}
		s, err := streamer(callCtx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &endStream{ClientStream: s, end: func(error) { cancel() }}, nil
	}
}

type retryConfig struct {
	codes codeSet
}

// RetryOption configures the retry interceptor.
type RetryOption func(*retryConfig)

// RetryCodes replaces the codes retried (UNAVAILABLE by default;
// RESOURCE_EXHAUSTED is retried only when the server said when, with a
// pushback).
func RetryCodes(cs ...codes.Code) RetryOption {
	return func(c *retryConfig) { c.codes = setOf(cs) }
}

// RetryUnaryClientInterceptor retries failed calls with backoff's delays,
// as long as budget (shared per dependency; nil: none) allows, the attempts
// last and the caller's deadline leaves room (weir.Retry). A server's
// grpc-retry-pushback-ms replaces the backoff's delay (capped by the
// backoff's AdvisedCap); a negative or malformed pushback, or
// x-weir-no-retry: 1 in the answer, ends the retries, as does a code not
// retried and any *LocalError. The error of the last attempt is returned;
// when the retries ran out it is joined with the *weir.RejectedError saying
// why (attempts_exhausted, budget_exhausted, deadline_too_close), and
// status.Code still reads the last attempt's code.
func RetryUnaryClientInterceptor(backoff *weir.Backoff, budget *weir.RetryBudget, opts ...RetryOption) grpc.UnaryClientInterceptor {
	c := retryConfig{codes: setOf([]codes.Code{codes.Unavailable})}
	for _, o := range opts {
		o(&c)
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		var final error
		err := weir.Retry(ctx, backoff, budget, func(ctx context.Context) error {
			var header, trailer metadata.MD
			attempt := append(opts[:len(opts):len(opts)], grpc.Header(&header), grpc.Trailer(&trailer))
			err := invoker(ctx, method, req, reply, cc, attempt...)
			final = err
			if err == nil {
				return nil
			}
			after, retry := c.retryable(ctx, err, header, trailer)
			if !retry {
				return nil // the answer is final: weir.Retry stops here
			}
			if after >= 0 {
				return &weir.AdvisedError{Err: err, After: after}
			}
			return err
		})
		if err != nil {
			return err
		}
		return final
	}
}

// retryable says whether err may be retried and after the server's
// pushback (-1: none given).
func (c *retryConfig) retryable(ctx context.Context, err error, header, trailer metadata.MD) (time.Duration, bool) {
	var local *LocalError
	if errors.As(err, &local) || ctx.Err() != nil {
		return -1, false
	}
	if first(header, trailer, NoRetryKey) == "1" {
		return -1, false
	}
	after := time.Duration(-1)
	if value := first(header, trailer, PushbackKey); value != "" {
		ms, perr := strconv.ParseInt(value, 10, 64)
		if perr != nil || ms < 0 {
			return -1, false // gRPC's rule: a pushback that is not a count of ms forbids a retry
		}
		after = time.Duration(min(ms, int64(weir.Never/time.Millisecond))) * time.Millisecond
	}
	code := status.Code(err)
	if c.codes.has(code) || (code == codes.ResourceExhausted && after >= 0) {
		return after, true
	}
	return -1, false
}

// first is key's first value in the trailer (where a refusal puts it) or
// the header.
func first(header, trailer metadata.MD, key string) string {
	if v := trailer.Get(key); len(v) > 0 {
		return v[0]
	}
	if v := header.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
