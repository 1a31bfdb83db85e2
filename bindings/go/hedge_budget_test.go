package weir

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// sharedBudget allows half a retry per request over an hour, so nothing
// falls out of the window during a test: after one Deposit, a hedged
// request or a Retry call (each depositing one more) leaves room for
// exactly one retry between them.
func sharedBudget(t *testing.T) *RetryBudget {
	t.Helper()
	b, err := NewRetryBudget(RetryBudgetConfig{Ratio: 0.5, Window: time.Hour, Buckets: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	b.Deposit()
	return b
}

func hedgerSpending(t *testing.T, b *RetryBudget) *Hedger {
	t.Helper()
	c := DefaultHedgeConfig()
	c.Ceiling = time.Millisecond
	h, err := NewHedger(c, HedgerBudget(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// slowFirstCopy answers a hedge at once; the first copy waits for its
// ctx, or answers after 20 ms when no hedge comes.
func slowFirstCopy(ctx context.Context, a Attempt) (int, error) {
	if a.N > 0 {
		return a.N, nil
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(20 * time.Millisecond):
		return 0, nil
	}
}

func fastBackoff(t *testing.T) *Backoff {
	t.Helper()
	c := DefaultBackoffConfig()
	c.Base, c.Cap = time.Millisecond, time.Millisecond
	b, err := NewBackoff(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestAHedgeSpendsTheBudgetARetryNeeds(t *testing.T) {
	budget := sharedBudget(t)
	h := hedgerSpending(t, budget)
	if got, err := Hedge(context.Background(), h, slowFirstCopy); err != nil || got != 1 {
		t.Fatalf("hedged call = %d, %v: want the hedge's answer", got, err)
	}
	if s := h.Stats(); s.Hedges != 1 {
		t.Fatalf("stats %+v: want one hedge sent", s)
	}
	calls := 0
	err := Retry(context.Background(), fastBackoff(t), budget, func(context.Context) error {
		calls++
		return errors.New("boom")
	})
	var refused *RejectedError
	if !errors.As(err, &refused) || refused.Decision.Reason != BudgetExhausted || calls != 1 {
		t.Fatalf("retry after the hedge: %v after %d calls, want BudgetExhausted after 1", err, calls)
	}
	if requests, retries := budget.snapshot(Now()); requests != 3 || retries != 1 {
		t.Fatalf("budget holds %d requests, %d retries: want 3, 1", requests, retries)
	}
}

func TestARetrySpendsTheBudgetAHedgeNeeds(t *testing.T) {
	budget := sharedBudget(t)
	h := hedgerSpending(t, budget)
	calls := 0
	err := Retry(context.Background(), fastBackoff(t), budget, func(context.Context) error {
		calls++
		if calls == 1 {
			return errors.New("boom")
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("retry: %v after %d calls, want success on the retry", err, calls)
	}
	if got, err := Hedge(context.Background(), h, slowFirstCopy); err != nil || got != 0 {
		t.Fatalf("hedged call = %d, %v: want the first copy's answer", got, err)
	}
	if s := h.Stats(); s.Hedges != 0 || s.RefusedBudget != 1 {
		t.Fatalf("stats %+v: want the hedge refused by the budget", s)
	}
}

func TestAHedgerKeepsItsBudgetAfterTheBudgetIsClosed(t *testing.T) {
	budget := sharedBudget(t)
	h := hedgerSpending(t, budget)
	budget.Close()
	if got, err := Hedge(context.Background(), h, slowFirstCopy); err != nil || got != 1 {
		t.Fatalf("hedged call = %d, %v: want the hedge's answer", got, err)
	}
	if _, err := Hedge(context.Background(), h, slowFirstCopy); err != nil {
		t.Fatal(err)
	}
	if s := h.Stats(); s.Hedges != 1 || s.RefusedBudget != 1 {
		t.Fatalf("stats %+v: want one hedge, then one refused", s)
	}
	if _, err := NewHedger(DefaultHedgeConfig(), HedgerBudget(budget)); !errors.Is(err, ErrClosed) {
		t.Fatalf("a hedger on a closed budget: %v, want ErrClosed", err)
	}
}

// A service's hedges and retries toward one dependency spend one budget:
// neither can use what the other has spent.
func ExampleHedgerBudget() {
	budget, _ := NewRetryBudget(DefaultRetryBudgetConfig()) // 10 % of requests plus 10/s
	defer budget.Close()
	cfg := DefaultHedgeConfig()
	cfg.Ceiling = time.Millisecond
	hedger, _ := NewHedger(cfg, HedgerBudget(budget))
	defer hedger.Close()
	backoff, _ := NewBackoff(DefaultBackoffConfig())
	defer backoff.Close()

	answer, _ := Hedge(context.Background(), hedger, func(ctx context.Context, a Attempt) (string, error) {
		if a.N == 0 {
			<-ctx.Done() // the slow first copy, cancelled once the hedge answers
			return "", ctx.Err()
		}
		return "from the hedge", nil
	})
	failures := 0
	err := Retry(context.Background(), backoff, budget, func(context.Context) error {
		if failures++; failures == 1 {
			return errors.New("unavailable")
		}
		return nil
	})
	fmt.Println(answer, hedger.Stats().Hedges, err)
	// Output: from the hedge 1 <nil>
}
