/* Two threads on one handle: the limits hold exactly, and the last error
 * is per thread. */
#include "tests.h"

#include <pthread.h>

typedef struct {
  weir_limiter *limiter;
  weir_concurrency_limiter *concurrency;
  int admitted;
  int concurrency_refused;
  int config_error_seen;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  weir_decision d;
  for (int i = 0; i < 5000; i++) {
    /* Time stands still: exactly `burst` admissions between both threads. */
    if (weir_limiter_acquire(w->limiter, 1000, 1, &d) == WEIR_STATUS_OK && d.admitted) w->admitted++;
    if (weir_concurrency_limiter_acquire(w->concurrency, &d) == WEIR_STATUS_OK) {
      if (d.admitted) weir_concurrency_limiter_release(w->concurrency);
      else w->concurrency_refused++;
    }
  }
  weir_limiter_config bad = {.rate = 0, .period_ns = 1, .burst = 1};
  weir_limiter *none = NULL;
  w->config_error_seen = weir_limiter_new(&bad, &none) == WEIR_STATUS_INVALID_CONFIG && last_field_is("rate");
  return NULL;
}

void test_threads(void) {
  weir_limiter_config cfg = {.rate = 1, .period_ns = SECOND, .burst = 1000};
  weir_limiter *l = NULL;
  weir_concurrency_limiter *c = NULL;
  CHECK_OK(weir_limiter_new(&cfg, &l));
  CHECK_OK(weir_concurrency_limiter_new(1, &c));
  worker a = {.limiter = l, .concurrency = c}, b = a;
  pthread_t ta, tb;
  CHECK(pthread_create(&ta, NULL, run, &a) == 0);
  CHECK(pthread_create(&tb, NULL, run, &b) == 0);
  /* Meanwhile this thread's last error stays its own. */
  weir_limiter_config zero_burst = {.rate = 1, .period_ns = SECOND, .burst = 0};
  weir_limiter *none = NULL;
  CHECK_EQ_U64(weir_limiter_new(&zero_burst, &none), WEIR_STATUS_INVALID_CONFIG);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(last_field_is("burst"));
  CHECK_EQ_U64(a.admitted + b.admitted, 1000);
  CHECK(a.config_error_seen && b.config_error_seen);
  uint64_t in_flight = 99;
  CHECK_OK(weir_concurrency_limiter_in_flight(c, &in_flight));
  CHECK_EQ_U64(in_flight, 0);
  weir_limiter_free(&l);
  weir_concurrency_limiter_free(&c);
}
