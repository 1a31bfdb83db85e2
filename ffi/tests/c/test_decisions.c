/* The decisions each handle counts by reason, read with _decisions: every
 * acquire counted once, whichever entry point made it, and nothing else. */
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static weir_decision_counts counts_of_limiter(const weir_limiter *l) {
  weir_decision_counts c;
  memset(&c, 0xff, sizeof c);
  CHECK_OK(weir_limiter_decisions(l, &c));
  return c;
}

static void limiter(void) {
  weir_limiter_config cfg = {.rate = 10, .period_ns = SECOND, .burst = 3};
  weir_limiter *l = NULL;
  CHECK_OK(weir_limiter_new(&cfg, &l));
  weir_decision_counts c = counts_of_limiter(l);
  for (int r = 0; r < 32; r++) CHECK_EQ_U64(c.count[r], 0);
  weir_decision d;
  CHECK_OK(weir_limiter_acquire(l, 0, 2, &d));
  CHECK_OK(weir_limiter_acquire(l, 0, 1, &d));
  CHECK_OK(weir_limiter_acquire(l, 0, 1, &d));
  CHECK_OK(weir_limiter_acquire(l, 0, 4, &d));
  CHECK_OK(weir_limiter_acquire_now(l, 0, &d)); /* a zero-cost ask is a decision too */
  /* What decides nothing is not counted. */
  uint64_t state;
  CHECK_OK(weir_limiter_state(l, &state));
  CHECK_OK(weir_limiter_set_burst(l, 5, 0));
  c = counts_of_limiter(l);
  CHECK_EQ_U64(c.count[WEIR_REASON_ADMITTED], 3);
  CHECK_EQ_U64(c.count[WEIR_REASON_RATE_LIMITED], 1);
  CHECK_EQ_U64(c.count[WEIR_REASON_COST_EXCEEDS_BURST], 1);
  CHECK_EQ_U64(c.count[WEIR_REASON_QUEUE_FULL], 0);

  weir_decision_counts untouched = {.count = {77}};
  CHECK_BAD(weir_limiter_decisions(NULL, &untouched), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_decisions(l, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(untouched.count[0], 77);
  weir_limiter_free(&l);
}

static void keyed_limiter(void) {
  weir_limiter_config cfg = {.rate = 1, .period_ns = SECOND, .burst = 1};
  weir_keyed_limiter *k = NULL;
  CHECK_OK(weir_keyed_limiter_new(&cfg, 8, NULL, &k));
  weir_decision d;
  CHECK_OK(weir_keyed_limiter_acquire(k, 1, 0, 1, &d));
  CHECK_OK(weir_keyed_limiter_acquire(k, 2, 0, 1, &d));
  CHECK_OK(weir_keyed_limiter_acquire(k, 1, 0, 1, &d));
  CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, (const uint8_t *)"key", 3, 2, &d));
  uint64_t live;
  CHECK_OK(weir_keyed_limiter_live(k, 0, &live));
  weir_decision_counts c;
  CHECK_OK(weir_keyed_limiter_decisions(k, &c));
  CHECK_EQ_U64(c.count[WEIR_REASON_ADMITTED], 2);
  CHECK_EQ_U64(c.count[WEIR_REASON_RATE_LIMITED], 1);
  CHECK_EQ_U64(c.count[WEIR_REASON_COST_EXCEEDS_BURST], 1);
  CHECK_BAD(weir_keyed_limiter_decisions(NULL, &c), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_keyed_limiter_decisions(k, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_keyed_limiter_free(&k);
}

static void shared_limiter(void) {
  char path[] = "/tmp/weir-decisions-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  weir_limiter_config cfg = {.rate = 10, .period_ns = SECOND, .burst = 2};
  weir_shared_limiter *a = NULL, *b = NULL;
  CHECK_OK(weir_shared_limiter_open(path, &cfg, &a));
  CHECK_OK(weir_shared_limiter_open(path, &cfg, &b));
  weir_decision d;
  const uint64_t now = 50 * SECOND;
  CHECK_OK(weir_shared_limiter_acquire(a, now, 2, &d));
  CHECK_OK(weir_shared_limiter_acquire(b, now, 1, &d));
  CHECK_OK(weir_shared_limiter_acquire(a, now, 3, &d));
  /* Each handle counts the decisions made through it. */
  weir_decision_counts ca, cb;
  CHECK_OK(weir_shared_limiter_decisions(a, &ca));
  CHECK_OK(weir_shared_limiter_decisions(b, &cb));
  CHECK_EQ_U64(ca.count[WEIR_REASON_ADMITTED], 1);
  CHECK_EQ_U64(ca.count[WEIR_REASON_COST_EXCEEDS_BURST], 1);
  CHECK_EQ_U64(cb.count[WEIR_REASON_ADMITTED], 0);
  CHECK_EQ_U64(cb.count[WEIR_REASON_RATE_LIMITED], 1);
  CHECK_BAD(weir_shared_limiter_decisions(NULL, &ca), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shared_limiter_decisions(a, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_shared_limiter_free(&a);
  weir_shared_limiter_free(&b);
  unlink(path);
}

static void shedder(void) {
  weir_shedder_config cfg;
  CHECK_OK(weir_shedder_config_default(&cfg));
  cfg.max_queue = 1;
  weir_shedder *s = NULL;
  CHECK_OK(weir_shedder_new(&cfg, &s));
  weir_decision d;
  uint64_t started;
  CHECK_OK(weir_shedder_acquire(s, 0, &d));
  CHECK_OK(weir_shedder_acquire_now(s, &d, &started));
  CHECK_EQ_U64(d.reason, WEIR_REASON_QUEUE_FULL);
  CHECK_OK(weir_shedder_done(s, 0, 5 * MS));
  /* The slot path counts through the same counter. */
  weir_shedder_slots slots = {0};
  weir_shedder_admission a;
  CHECK_OK(weir_shedder_acquire_slot(s, &slots, 10 * MS, &a));
  CHECK(a.decision.admitted);
  CHECK_OK(weir_shedder_acquire_slot(s, &slots, 11 * MS, &a));
  CHECK_EQ_U64(a.decision.reason, WEIR_REASON_QUEUE_FULL);
  weir_decision_counts c;
  CHECK_OK(weir_shedder_decisions(s, &c));
  CHECK_EQ_U64(c.count[WEIR_REASON_ADMITTED], 2);
  CHECK_EQ_U64(c.count[WEIR_REASON_QUEUE_FULL], 2);
  CHECK_BAD(weir_shedder_decisions(NULL, &c), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_decisions(s, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_shedder_free(&s);
}

static void throttle(void) {
  weir_throttle_config cfg;
  CHECK_OK(weir_throttle_config_default(&cfg));
  cfg.min_requests = 0;
  cfg.max_reject_probability = 1.0;
  weir_throttle *t = NULL;
  CHECK_OK(weir_throttle_new(&cfg, &t));
  weir_decision d;
  for (int i = 0; i < 4; i++) {
    CHECK_OK(weir_throttle_acquire(t, 0, UINT64_MAX, &d));
    CHECK_OK(weir_throttle_record(t, 0, false));
  }
  CHECK_OK(weir_throttle_acquire(t, 0, 0, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_THROTTLED);
  weir_decision_counts c;
  CHECK_OK(weir_throttle_decisions(t, &c));
  CHECK_EQ_U64(c.count[WEIR_REASON_ADMITTED], 4);
  CHECK_EQ_U64(c.count[WEIR_REASON_THROTTLED], 1);
  CHECK_BAD(weir_throttle_decisions(NULL, &c), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_throttle_decisions(t, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_throttle_free(&t);
}

void test_decisions(void) {
  limiter();
  keyed_limiter();
  shared_limiter();
  shedder();
  throttle();
}
