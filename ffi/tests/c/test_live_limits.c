/* Live limits: a change keeps what was spent, callers racing a change stay
 * exact, and several rates decide all or nothing. */
#include "tests.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void set_rate_keeps_spent(void) {
  weir_limiter_config cfg = {.rate = 10, .period_ns = SECOND, .burst = 10};
  weir_limiter *l = NULL;
  CHECK_OK(weir_limiter_new(&cfg, &l));
  weir_decision d;
  CHECK_OK(weir_limiter_acquire(l, 0, 10, &d));
  CHECK(d.admitted);
  /* 100/s in user units, burst kept: the 10 spent stay spent (100 ms). */
  CHECK_OK(weir_limiter_set_rate(l, 100.0, SECOND, 0));
  weir_limiter_config now_cfg;
  CHECK_OK(weir_limiter_get_config(l, &now_cfg));
  CHECK_EQ_U64(now_cfg.rate, 100);
  CHECK_EQ_U64(now_cfg.burst, 10);
  CHECK_OK(weir_limiter_acquire(l, 0, 1, &d));
  CHECK(!d.admitted);
  CHECK_EQ_U64(d.retry_after_ns, SECOND / 100);
  /* 10 spent of a burst of 20: 10 free, not 20. */
  CHECK_OK(weir_limiter_set_burst(l, 20.0, 0));
  CHECK_OK(weir_limiter_acquire(l, 0, 11, &d));
  CHECK(!d.admitted);
  CHECK_OK(weir_limiter_acquire(l, 0, 10, &d));
  CHECK(d.admitted);
  /* Refusals name the field and leave the limit as it was. */
  CHECK_BAD(weir_limiter_set_rate(l, -1.0, SECOND, 0), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("rate"));
  CHECK_BAD(weir_limiter_set_burst(l, 0.5, 0), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  CHECK_BAD(weir_limiter_set_rate(NULL, 1.0, SECOND, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_limiter_get_config(l, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_OK(weir_limiter_get_config(l, &now_cfg));
  CHECK_EQ_U64(now_cfg.burst, 20);
  weir_limiter_free(&l);

  weir_keyed_limiter *k = NULL;
  CHECK_OK(weir_keyed_limiter_new(&cfg, 8, NULL, &k));
  CHECK_OK(weir_keyed_limiter_acquire(k, 1, 0, 10, &d));
  CHECK_OK(weir_keyed_limiter_set_rate(k, 100.0, SECOND, 0));
  CHECK_OK(weir_keyed_limiter_acquire(k, 1, 0, 1, &d));
  CHECK(!d.admitted);
  CHECK_OK(weir_keyed_limiter_acquire(k, 2, 0, 10, &d));
  CHECK(d.admitted);
  CHECK_BAD(weir_keyed_limiter_set_burst(k, 0, 0), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  weir_keyed_limiter_free(&k);
}

struct racer {
  weir_limiter *l;
  uint64_t admitted;
};

static void *race(void *arg) {
  struct racer *r = arg;
  weir_decision d;
  for (int i = 0; i < 200; i++) {
    if (weir_limiter_acquire(r->l, 0, 1, &d) == WEIR_STATUS_OK && d.admitted) r->admitted++;
  }
  return NULL;
}

static void concurrent_callers_stay_exact(void) {
  /* Burst 100 -> 50 at t=0 while two threads spend: at most the old burst,
   * at least the new one, and the bucket ends empty under the new config. */
  for (int round = 0; round < 20; round++) {
    weir_limiter_config cfg = {.rate = 1, .period_ns = SECOND, .burst = 100};
    weir_limiter *l = NULL;
    CHECK_OK(weir_limiter_new(&cfg, &l));
    struct racer a = {l, 0}, b = {l, 0};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, race, &a) == 0);
    CHECK(pthread_create(&tb, NULL, race, &b) == 0);
    CHECK_OK(weir_limiter_set_burst(l, 50, 0));
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    uint64_t total = a.admitted + b.admitted, state = 0;
    CHECK(total >= 50 && total <= 100);
    CHECK_OK(weir_limiter_state(l, &state));
    CHECK_EQ_U64(state, 50 * SECOND);
    weir_limiter_free(&l);
  }
}

static void several_rates_all_or_nothing(void) {
  weir_limiter_config rates[2] = {{.rate = 10, .period_ns = SECOND, .burst = 5},
                                  {.rate = 1, .period_ns = SECOND, .burst = 2}};
  weir_multi_limiter *m = NULL;
  CHECK_OK(weir_multi_limiter_new(rates, 2, &m));
  weir_decision d;
  CHECK_OK(weir_multi_limiter_acquire(m, 0, 2, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_multi_limiter_acquire(m, 0, 1, &d));
  CHECK(!d.admitted);
  CHECK_EQ_U64(d.retry_after_ns, SECOND);
  /* The refusals spent nothing from the first rate: once the second allows
   * 3 more, all 3 of the first's remaining pass. */
  weir_limiter_config wider = {.rate = 1, .period_ns = SECOND, .burst = 5};
  CHECK_OK(weir_multi_limiter_set_config(m, 1, &wider, 0));
  CHECK_OK(weir_multi_limiter_acquire(m, 0, 3, &d));
  CHECK(d.admitted);
  CHECK_BAD(weir_multi_limiter_set_config(m, 2, &wider, 0), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("index"));
  weir_multi_limiter_free(&m);
  weir_multi_limiter *none = NULL;
  CHECK_BAD(weir_multi_limiter_new(rates, 0, &none), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("rates") && none == NULL);
  weir_limiter_config five[5] = {rates[0], rates[0], rates[0], rates[0], rates[0]};
  CHECK_BAD(weir_multi_limiter_new(five, 5, &none), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("rates"));
}


static void shared_change_reaches_every_handle(void) {
  /* A change from one handle is the config of every handle on the file. */
  char dir[] = "/tmp/weir-c-live-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/bucket", dir);
  weir_limiter_config cfg = {.rate = 10, .period_ns = SECOND, .burst = 10};
  weir_shared_limiter *a = NULL, *b = NULL;
  CHECK_OK(weir_shared_limiter_open(path, &cfg, &a));
  CHECK_OK(weir_shared_limiter_open(path, &cfg, &b));
  weir_decision d;
  CHECK_OK(weir_shared_limiter_acquire_now(a, 10, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_shared_limiter_set_rate(b, 100.0, SECOND));
  weir_limiter_config seen;
  CHECK_OK(weir_shared_limiter_get_config(a, &seen));
  CHECK_EQ_U64(seen.rate, 100);
  CHECK_OK(weir_shared_limiter_acquire_now(a, 1, &d));
  CHECK(!d.admitted && d.retry_after_ns <= SECOND / 100);
  CHECK_BAD(weir_shared_limiter_set_burst(a, 0), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  weir_shared_limiter_free(&a);
  weir_shared_limiter_free(&b);
  unlink(path);
  rmdir(dir);
}

void test_live_limits(void) {
  set_rate_keeps_spent();
  concurrent_callers_stay_exact();
  several_rates_all_or_nothing();
  shared_change_reaches_every_handle();
}
