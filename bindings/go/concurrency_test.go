package weir

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func refusalOf(t *testing.T, err error) string {
	t.Helper()
	var r *BulkheadRefusal
	if !errors.As(err, &r) {
		t.Fatalf("want a *BulkheadRefusal, got %v", err)
	}
	return r.Reason
}

// until polls cond for up to 5 s: waiters are goroutines, so their arrival
// in the queue is observed, not assumed.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func TestWaitersGetPermitsInArrivalOrder(t *testing.T) {
	c, err := NewQueuedConcurrencyLimiter(1, QueueOptions{MaxQueue: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	holder, _ := c.Acquire()
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			release, err := c.Wait(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			release()
		}(i)
		until(t, "waiter queued", func() bool { return c.Stats().Queued == i+1 })
	}
	if _, d := c.Acquire(); d.Admitted() {
		t.Fatal("a newcomer took a permit while 20 waited")
	}
	holder()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("grant order %v, want 0..19", order)
		}
	}
	if s := c.Stats(); s.InFlight != 0 || s.Queued != 0 || s.AdmittedAfterWait != 20 {
		t.Fatalf("%+v", s)
	}
}

func TestTheQueueBoundHoldsExactlyUnderConcurrentArrivals(t *testing.T) {
	c, _ := NewQueuedConcurrencyLimiter(1, QueueOptions{MaxQueue: 5})
	defer c.Close()
	holder, _ := c.Acquire()
	var wg sync.WaitGroup
	var mu sync.Mutex
	reasons := map[string]int{}
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			release, err := c.Wait(context.Background())
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				reasons[refusalOf(t, err)]++
				return
			}
			reasons["admitted"]++
			release()
		}()
	}
	close(start)
	until(t, "every arrival queued or refused", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return reasons["queue_full"]+c.Stats().Queued == 50
	})
	holder()
	wg.Wait()
	if reasons["queue_full"] != 45 || reasons["admitted"] != 5 {
		t.Fatalf("%v", reasons)
	}
	if s := c.Stats(); s.InFlight != 0 || s.Refused["queue_full"] != 45 {
		t.Fatalf("%+v", s)
	}
}

func TestAWaiterPastMaxWaitIsRefusedWithTheReason(t *testing.T) {
	c, _ := NewQueuedConcurrencyLimiter(1, QueueOptions{MaxWait: 20 * time.Millisecond})
	defer c.Close()
	holder, _ := c.Acquire()
	began := time.Now()
	_, err := c.Wait(context.Background())
	if reason := refusalOf(t, err); reason != "wait_timeout" {
		t.Fatalf("reason %q", reason)
	}
	if waited := time.Since(began); waited < 20*time.Millisecond {
		t.Fatalf("refused after %s, before the maximum wait", waited)
	}
	holder()
	if s := c.Stats(); s.InFlight != 0 || s.Queued != 0 || s.Refused["wait_timeout"] != 1 {
		t.Fatalf("%+v", s)
	}
}

func TestCancellingTheContextRemovesTheWaiter(t *testing.T) {
	c, _ := NewConcurrencyLimiter(1)
	defer c.Close()
	holder, _ := c.Acquire()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.Wait(ctx)
		done <- err
	}()
	until(t, "waiter queued", func() bool { return c.Stats().Queued == 1 })
	cancel()
	err := <-done
	if refusalOf(t, err) != "cancelled" || !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	if c.Stats().Queued != 0 {
		t.Fatal("the cancelled waiter is still queued")
	}
	holder()
	if s := c.Stats(); s.InFlight != 0 || s.Refused["cancelled"] != 1 {
		t.Fatalf("%+v", s)
	}
}

// The holder releases while the waiter's context is cancelled: whichever
// wins, a permit handed to a waiter that gave up is passed on, never kept.
func TestAPermitGrantedAsTheWaiterCancelsIsReleased(t *testing.T) {
	c, _ := NewConcurrencyLimiter(1)
	defer c.Close()
	for i := 0; i < 2000; i++ {
		holder, _ := c.Acquire()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			release, err := c.Wait(ctx)
			if err == nil {
				release()
			}
			done <- err
		}()
		until(t, "waiter queued", func() bool { return c.Stats().Queued == 1 })
		go cancel()
		holder()
		<-done
		if n := c.InFlight(); n != 0 {
			t.Fatalf("round %d: %d permits leaked", i, n)
		}
	}
}

func TestNoQueueRefusesAtOnceAndBadSettingsNameTheField(t *testing.T) {
	c, _ := NewQueuedConcurrencyLimiter(1, QueueOptions{MaxQueue: NoQueue})
	defer c.Close()
	holder, _ := c.Acquire()
	if _, err := c.Wait(context.Background()); refusalOf(t, err) != "concurrency_limited" {
		t.Fatal(err)
	}
	holder()
	for _, bad := range []struct {
		o     QueueOptions
		field string
	}{{QueueOptions{MaxQueue: -2}, "max_queue"}, {QueueOptions{MaxWait: -time.Second}, "max_wait"}, {QueueOptions{MaxWait: 25 * time.Hour}, "max_wait"}} {
		_, err := NewQueuedConcurrencyLimiter(1, bad.o)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != bad.field {
			t.Fatalf("%+v: want a ConfigError on %s, got %v", bad.o, bad.field, err)
		}
	}
}

func ExampleConcurrencyLimiter_Wait() {
	db, _ := NewQueuedConcurrencyLimiter(1, QueueOptions{MaxQueue: 10, MaxWait: 20 * time.Millisecond})
	defer db.Close()
	release, _ := db.Wait(context.Background())
	_, err := db.Wait(context.Background()) // the one permit is out: waits 20 ms in line
	var refused *BulkheadRefusal
	fmt.Println(errors.As(err, &refused), refused.Reason)
	release()
	fmt.Println(db.InFlight())
	// Output:
	// true wait_timeout
	// 0
}

func BenchmarkConcurrencyLimiterAcquireRelease(b *testing.B) {
	c, _ := NewConcurrencyLimiter(8)
	defer c.Close()
	for i := 0; i < b.N; i++ {
		release, _ := c.Acquire()
		release()
	}
}

// Two goroutines pass one permit back and forth through the queue: every
// Wait but the first parks and is woken by the other's release.
func BenchmarkConcurrencyLimiterWaitHandOff(b *testing.B) {
	c, _ := NewQueuedConcurrencyLimiter(1, QueueOptions{MaxQueue: 1})
	defer c.Close()
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N/2; i++ {
				release, err := c.Wait(context.Background())
				if err != nil {
					b.Error(err)
					return
				}
				release()
			}
		}()
	}
	wg.Wait()
}
