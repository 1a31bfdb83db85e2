/* Rate, keyed and concurrency limiters: happy paths and bad inputs. */
#include "tests.h"

#include <math.h>

static void rate_limiter(void) {
  weir_limiter_config cfg = {.rate = 10, .period_ns = SECOND, .burst = 3};
  weir_limiter *l = NULL;
  CHECK_OK(weir_limiter_new(&cfg, &l));
  weir_decision d;
  for (int i = 0; i < 3; i++) {
    CHECK_OK(weir_limiter_acquire(l, 0, 1, &d));
    CHECK(d.admitted == 1 && d.reason == WEIR_REASON_ADMITTED);
    CHECK_EQ_U64(d.remaining, (uint64_t)(2 - i));
  }
  CHECK_OK(weir_limiter_acquire(l, 0, 1, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_RATE_LIMITED);
  CHECK_EQ_U64(d.admitted, 0);
  CHECK_EQ_U64(d.retry_after_ns, SECOND / 10);
  CHECK_OK(weir_limiter_acquire(l, 0, 4, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_COST_EXCEEDS_BURST);
  CHECK_EQ_U64(d.retry_after_ns, UINT64_MAX);

  /* State round trip: a restored empty bucket refuses, a full one admits. */
  uint64_t state = 0;
  CHECK_OK(weir_limiter_state(l, &state));
  CHECK(state > 0);
  CHECK_OK(weir_limiter_restore(l, 0));
  CHECK_OK(weir_limiter_acquire(l, 0, 3, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_limiter_restore(l, state));
  CHECK_OK(weir_limiter_acquire(l, 0, 1, &d));
  CHECK(!d.admitted);

  /* The _now twin reads CLOCK_MONOTONIC: a fresh limiter admits its burst. */
  weir_limiter *fresh = NULL;
  CHECK_OK(weir_limiter_new(&cfg, &fresh));
  CHECK_OK(weir_limiter_acquire_now(fresh, 3, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_limiter_acquire_now(fresh, 1, &d));
  CHECK(!d.admitted && d.retry_after_ns > 0 && d.retry_after_ns <= SECOND / 10);

  /* Out-pointers are untouched on failure. */
  weir_decision untouched = {.reason = 77};
  CHECK_BAD(weir_limiter_acquire(NULL, 0, 1, &untouched), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_acquire(l, 0, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_acquire_now(NULL, 1, &untouched), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_acquire_now(l, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_state(NULL, &state), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_state(l, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_restore(NULL, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(untouched.reason, 77);

  /* Bad configs name their field; the out handle stays as it was. */
  weir_limiter *bad = (weir_limiter *)&untouched;
  weir_limiter_config zero_burst = {.rate = 1, .period_ns = SECOND, .burst = 0};
  CHECK_BAD(weir_limiter_new(&zero_burst, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(bad == (weir_limiter *)&untouched);
  CHECK(last_field_is("burst"));
  CHECK(strcmp(weir_last_error_rule(), ">= 1") == 0);
  CHECK(strcmp(weir_last_error_message(), "burst must be >= 1, got 0") == 0);
  weir_limiter_config zero_rate = {.rate = 0, .period_ns = SECOND, .burst = 1};
  CHECK_BAD(weir_limiter_new(&zero_rate, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("rate"));
  weir_limiter_config zero_period = {.rate = 1, .period_ns = 0, .burst = 1};
  CHECK_BAD(weir_limiter_new(&zero_period, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("period_ns"));
  weir_limiter_config too_fast = {.rate = 2, .period_ns = 1, .burst = 1};
  CHECK_BAD(weir_limiter_new(&too_fast, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("rate"));
  weir_limiter_config huge = {.rate = 1, .period_ns = UINT64_MAX, .burst = UINT64_MAX};
  CHECK_BAD(weir_limiter_new(&huge, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  /* A C caller passing a negative number gets it as a huge unsigned one. */
  weir_limiter_config negative = {.rate = (uint64_t)-1, .period_ns = SECOND, .burst = 1};
  CHECK_BAD(weir_limiter_new(&negative, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK_BAD(weir_limiter_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_new(&cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);

  /* Double free of the same variable is guarded. */
  weir_limiter_free(&l);
  CHECK(l == NULL);
  weir_limiter_free(&l);
  weir_limiter_free(NULL);
  weir_limiter_free(&fresh);
}

static void keyed_limiter(void) {
  weir_limiter_config cfg = {.rate = 1, .period_ns = SECOND, .burst = 2};
  weir_keyed_limiter *k = NULL;
  CHECK_OK(weir_keyed_limiter_new(&cfg, 64, NULL, &k));
  uint64_t cap = 0;
  CHECK_OK(weir_keyed_limiter_capacity(k, &cap));
  CHECK_EQ_U64(cap, 64);
  weir_decision d;
  uint64_t alice = weir_hash_key((const uint8_t *)"alice", 5);
  CHECK_OK(weir_keyed_limiter_acquire(k, alice, 0, 2, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_keyed_limiter_acquire(k, alice, 0, 1, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_RATE_LIMITED);
  CHECK_OK(weir_keyed_limiter_acquire(k, weir_hash_key((const uint8_t *)"bob", 3), 0, 1, &d));
  CHECK(d.admitted);
  uint64_t live = 0;
  CHECK_OK(weir_keyed_limiter_live(k, 0, &live));
  CHECK_EQ_U64(live, 2);
  CHECK_OK(weir_keyed_limiter_live(k, 10 * SECOND, &live));
  CHECK_EQ_U64(live, 0);

  /* Bytes + clock in one call: keys hash as weir_hash_key does. */
  CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, (const uint8_t *)"carol", 5, 2, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, (const uint8_t *)"carol", 5, 1, &d));
  CHECK(!d.admitted);
  CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, NULL, 0, 1, &d));
  CHECK(d.admitted);

  CHECK_BAD(weir_keyed_limiter_acquire_bytes_now(k, NULL, 3, 1, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_keyed_limiter_acquire(NULL, 1, 0, 1, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_keyed_limiter_acquire(k, 1, 0, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_keyed_limiter_live(k, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_keyed_limiter_capacity(NULL, &cap), WEIR_STATUS_NULL_ARGUMENT);
  weir_keyed_limiter *bad = NULL;
  CHECK_BAD(weir_keyed_limiter_new(&cfg, 0, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_keyed_limiter_new(&cfg, 12, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_keyed_limiter_new(&cfg, UINT64_MAX - 7, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  weir_limiter_config no_burst = {.rate = 1, .period_ns = SECOND, .burst = 0};
  CHECK_BAD(weir_keyed_limiter_new(&no_burst, 8, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  CHECK(bad == NULL);
  weir_keyed_limiter_free(&k);
  weir_keyed_limiter_free(&k);
  CHECK(k == NULL);
}

static void concurrency_limiter(void) {
  weir_concurrency_limiter *c = NULL;
  CHECK_OK(weir_concurrency_limiter_new(2, &c));
  weir_decision d;
  CHECK_OK(weir_concurrency_limiter_acquire(c, &d));
  CHECK(d.admitted && d.remaining == 1);
  CHECK_OK(weir_concurrency_limiter_acquire(c, &d));
  CHECK(d.admitted && d.remaining == 0);
  CHECK_OK(weir_concurrency_limiter_acquire(c, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_CONCURRENCY_LIMITED);
  uint64_t n = 0;
  CHECK_OK(weir_concurrency_limiter_in_flight(c, &n));
  CHECK_EQ_U64(n, 2);
  CHECK_OK(weir_concurrency_limiter_release(c));
  CHECK_OK(weir_concurrency_limiter_release(c));
  CHECK_BAD(weir_concurrency_limiter_release(c), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_concurrency_limiter_new(0, &c), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_in_flight"));
  CHECK_BAD(weir_concurrency_limiter_acquire(NULL, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_concurrency_limiter_acquire(c, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_concurrency_limiter_release(NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_concurrency_limiter_in_flight(c, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_concurrency_limiter_new(1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_concurrency_limiter_free(&c);
  weir_concurrency_limiter_free(&c);
}

static void concurrency_limiter_queue(void) {
  weir_concurrency_limiter *c = NULL;
  CHECK_OK(weir_concurrency_limiter_new_queued(1, 2, WEIR_BULKHEAD_DEFAULT, &c));
  weir_bulkhead_admission a;
  CHECK_OK(weir_concurrency_limiter_enqueue(c, 100, &a));
  CHECK_EQ_U64(a.outcome, 0);
  CHECK_OK(weir_concurrency_limiter_enqueue(c, 101, &a));
  CHECK_EQ_U64(a.outcome, 1);
  uint64_t first = a.ticket;
  CHECK_OK(weir_concurrency_limiter_enqueue(c, 102, &a));
  uint64_t second = a.ticket;
  CHECK_OK(weir_concurrency_limiter_enqueue(c, 103, &a));
  CHECK(a.outcome == 2 && a.refusal == WEIR_BULKHEAD_REFUSAL_QUEUE_FULL);
  weir_decision d;
  CHECK_OK(weir_concurrency_limiter_acquire(c, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_CONCURRENCY_LIMITED);
  bool handed = false, removed = false;
  uint64_t token = 0;
  CHECK_OK(weir_concurrency_limiter_release_next(c, &handed, &token));
  CHECK(handed && token == 101);
  CHECK_OK(weir_concurrency_limiter_cancel(c, second, WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT, &removed));
  CHECK(removed);
  CHECK_OK(weir_concurrency_limiter_cancel(c, first, WEIR_BULKHEAD_REFUSAL_CANCELLED, &removed));
  CHECK(!removed);
  CHECK_OK(weir_concurrency_limiter_release_next(c, &handed, &token));
  CHECK(!handed);
  weir_bulkhead_stats s;
  CHECK_OK(weir_concurrency_limiter_stats(c, &s));
  CHECK(s.in_flight == 0 && s.queued == 0 && s.admitted_after_wait == 1);
  CHECK(s.refused[WEIR_BULKHEAD_REFUSAL_QUEUE_FULL] == 1 && s.refused[WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT] == 1);
  CHECK_BAD(weir_concurrency_limiter_new_queued(1, 1u << 21, WEIR_BULKHEAD_DEFAULT, &c), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_queue"));
  CHECK_BAD(weir_concurrency_limiter_new_queued(1, 0, 0, &c), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_wait"));
  weir_concurrency_limiter_free(&c);
}

void test_limiters(void) {
  rate_limiter();
  keyed_limiter();
  concurrency_limiter();
  concurrency_limiter_queue();
}
