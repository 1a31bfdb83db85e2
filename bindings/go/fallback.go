package weir

import (
	"context"
	"errors"
	"sync/atomic"
)

// fallbackTaken counts the fallbacks taken, by reason code; the last slot
// counts plain failures (errors that are not a weir refusal).
var fallbackTaken [int(NotRetryable) + 2]atomic.Uint64

const failedSlot = len(fallbackTaken) - 1

// FallbackOption changes when Fallback answers for fn.
type FallbackOption func(*fallbackOn)

type fallbackOn struct{ failures bool }

// OnFailure makes Fallback answer for every error of fn, not only for a
// weir refusal.
func OnFailure() FallbackOption { return func(o *fallbackOn) { o.failures = true } }

// Fallback calls fn and, when a weir primitive refused it (its error wraps a
// *RejectedError: rate limited, shed, circuit open, ...) or, with OnFailure,
// when it failed at all, answers with fallback(err) instead: a static value,
// a stale cache entry, a partial answer. fallback gets fn's error, so
// errors.As on a *RejectedError tells it the reason. Each fallback taken is
// counted by reason (FallbackCounts). A cancelled ctx is passed through,
// never answered by the fallback.
func Fallback[T any](ctx context.Context, fn func(context.Context) (T, error), fallback func(error) (T, error), opts ...FallbackOption) (T, error) {
	var on fallbackOn
	for _, o := range opts {
		o(&on)
	}
	v, err := fn(ctx)
	if err == nil || ctx.Err() != nil {
		return v, err
	}
	var rejected *RejectedError
	switch {
	case errors.As(err, &rejected) && int(rejected.Decision.Reason) < failedSlot:
		fallbackTaken[rejected.Decision.Reason].Add(1)
	case on.failures:
		fallbackTaken[failedSlot].Add(1)
	default:
		return v, err
	}
	return fallback(err)
}

// FallbackCounts is the fallbacks taken since the process started, by
// reason name ("rate_limited", ...; "failed" for errors that were not a
// refusal); reasons never taken are left out.
func FallbackCounts() map[string]uint64 {
	counts := make(map[string]uint64)
	for i := range fallbackTaken {
		if n := fallbackTaken[i].Load(); n > 0 {
			name := "failed"
			if i != failedSlot {
				name = Reason(i).String()
			}
			counts[name] = n
		}
	}
	return counts
}
