package weir

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestRetryStopsAtAFinalAnswerWithoutSpendingTheBudget(t *testing.T) {
	c := DefaultBackoffConfig()
	c.Base, c.Cap, c.MaxAttempts = time.Millisecond, 2*time.Millisecond, 5
	b, err := NewBackoff(c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	budget, err := NewRetryBudget(DefaultRetryBudgetConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer budget.Close()
	calls := 0
	err = Retry(context.Background(), b, budget, func(context.Context) error {
		calls++
		return &AdvisedError{Err: errors.New("503 from below"), NoRetry: true}
	})
	var rejected *RejectedError
	if calls != 1 || !errors.As(err, &rejected) || rejected.Decision.Reason != NotRetryable {
		t.Fatalf("calls %d, err %v", calls, err)
	}
	if rejected.Decision.Reason.String() != "not_retryable" {
		t.Fatalf("reason %q", rejected.Decision.Reason)
	}
	if _, retries := budget.snapshot(Now()); retries != 0 {
		t.Fatalf("a final answer spent %d retries of the budget", retries)
	}
}

func TestAdvisedFromResponseReadsTheMarkers(t *testing.T) {
	answer := func(h http.Header) *http.Response {
		return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: h}
	}
	marked := AdvisedFromResponse(answer(http.Header{"X-Weir-No-Retry": {"1"}, "Retry-After": {"2"}}))
	if !marked.NoRetry || marked.After != 2*time.Second {
		t.Fatalf("no-retry %v, after %s", marked.NoRetry, marked.After)
	}
	var status *ResponseError
	if !errors.As(marked, &status) || status.StatusCode != 503 {
		t.Fatalf("err %v", marked)
	}
	if pushback := AdvisedFromResponse(answer(http.Header{"Grpc-Retry-Pushback-Ms": {"-1"}})); !pushback.NoRetry {
		t.Fatal("a negative grpc-retry-pushback-ms is final")
	}
	plain := AdvisedFromResponse(answer(http.Header{"Retry-After": {"1"}}))
	if plain.NoRetry || plain.After != time.Second {
		t.Fatalf("no-retry %v, after %s", plain.NoRetry, plain.After)
	}

	c := DefaultBackoffConfig()
	c.Base, c.Cap, c.MaxAttempts = time.Millisecond, time.Millisecond, 3
	b, _ := NewBackoff(c)
	defer b.Close()
	calls := 0
	err := Retry(context.Background(), b, nil, func(context.Context) error {
		calls++
		return AdvisedFromResponse(answer(http.Header{"X-Weir-No-Retry": {"1"}}))
	})
	var rejected *RejectedError
	if calls != 1 || !errors.As(err, &rejected) || rejected.Decision.Reason != NotRetryable {
		t.Fatalf("calls %d, err %v", calls, err)
	}
}

func TestFallbackAnswersARefusalWithItsReason(t *testing.T) {
	l, err := NewLimiter(1, 1, Per(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	call := func(context.Context) (string, error) {
		if d := l.Acquire(1); !d.Admitted() {
			return "", &RejectedError{Decision: d}
		}
		return "fresh", nil
	}
	var seen Reason
	stale := func(err error) (string, error) {
		var rejected *RejectedError
		if errors.As(err, &rejected) {
			seen = rejected.Decision.Reason
		}
		return "stale", nil
	}
	before := FallbackCounts()["rate_limited"]
	if v, err := Fallback(context.Background(), call, stale); v != "fresh" || err != nil {
		t.Fatalf("first call %q %v", v, err)
	}
	if v, err := Fallback(context.Background(), call, stale); v != "stale" || err != nil || seen != RateLimited {
		t.Fatalf("second call %q %v, reason %s", v, err, seen)
	}
	if got := FallbackCounts()["rate_limited"]; got != before+1 {
		t.Fatalf("rate_limited fallbacks %d, want %d", got, before+1)
	}
}

func TestFallbackTakesFailuresOnlyWhenAsked(t *testing.T) {
	boom := errors.New("boom")
	failing := func(context.Context) (int, error) { return 0, boom }
	spare := func(error) (int, error) { return 7, nil }
	if _, err := Fallback(context.Background(), failing, spare); !errors.Is(err, boom) {
		t.Fatalf("a plain failure passes through by default: %v", err)
	}
	before := FallbackCounts()["failed"]
	if v, err := Fallback(context.Background(), failing, spare, OnFailure()); v != 7 || err != nil {
		t.Fatalf("%d %v", v, err)
	}
	if FallbackCounts()["failed"] != before+1 {
		t.Fatal("the failure fallback is counted as failed")
	}
}
