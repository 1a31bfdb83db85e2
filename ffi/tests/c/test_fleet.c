/* The fleet limiter against the suite's redis-server (WEIR_REDIS_URL) and
 * against no Redis at all: it leases from Redis, spends from two threads
 * within the limit, and with Redis down serves only its local share. */
#include "tests.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
  nanosleep(&ts, NULL);
}

struct hammer {
  const weir_fleet_limiter *limiter;
  double until;
  uint64_t admitted;
  int failures;
};

/* Asks every ~200 us until `until`: a steady demand above the limit. */
static void *hammer(void *arg) {
  struct hammer *h = arg;
  weir_decision d;
  while (seconds() < h->until) {
    if (weir_fleet_limiter_acquire(h->limiter, 1, &d) != WEIR_STATUS_OK) h->failures++;
    h->admitted += d.admitted;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 200000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void leases_from_redis(const char *url) {
  char key[64];
  snprintf(key, sizeof key, "weir:c:fleet:%ld:%ld", (long)getpid(), (long)time(NULL));
  weir_fleet_config cfg;
  CHECK_OK(weir_fleet_config_default(&cfg));
  cfg.redis_url = url;
  cfg.key = key;
  cfg.limit = 2000;
  weir_fleet_limiter *l = NULL;
  CHECK_OK(weir_fleet_limiter_new(&cfg, &l));
  if (l == NULL) return;
  double bound = 0;
  uint64_t max_batch = 0;
  CHECK_OK(weir_fleet_limiter_bound(l, &bound, &max_batch));
  CHECK(bound > 0 && bound < 1);
  CHECK_EQ_U64(max_batch, 200);

  /* Two threads share one handle for ~0.8 s at up to ~10,000/s of demand. */
  double start = seconds();
  struct hammer h[2] = {{l, start + 0.8, 0, 0}, {l, start + 0.8, 0, 0}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&threads[i], NULL, hammer, &h[i]) == 0);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
  double elapsed = seconds() - start;
  uint64_t admitted = h[0].admitted + h[1].admitted;
  CHECK_EQ_U64(h[0].failures + h[1].failures, 0);

  weir_fleet_stats s;
  CHECK_OK(weir_fleet_limiter_stats(l, &s));
  fprintf(stderr, "fleet: %llu admitted in %.2f s, %llu Redis calls, %llu leases\n", (unsigned long long)admitted,
          elapsed, (unsigned long long)s.redis_calls, (unsigned long long)s.leases);
  CHECK_EQ_U64(s.admitted, admitted);
  CHECK_EQ_U64(s.in_fallback, 0);
  CHECK_EQ_U64(s.fallbacks, 0);
  CHECK(s.leases >= 1);
  CHECK(s.leased_tokens >= admitted);
  /* A fresh key starts empty and fills at the limit's rate, so the run
   * admits at most the limit's rate over the run plus the stated bound. */
  CHECK(admitted > 0);
  CHECK((double)admitted <= 2000.0 * elapsed + 2000.0 * bound);
  /* Batches, not a call per request. */
  CHECK(s.redis_calls * 4 <= admitted);

  /* A cost above the batch can never be served. */
  weir_decision d;
  CHECK_OK(weir_fleet_limiter_acquire(l, max_batch + 1, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_COST_EXCEEDS_BURST);
  CHECK_EQ_U64(d.retry_after_ns, UINT64_MAX);
  weir_fleet_limiter_free(&l);
  CHECK(l == NULL);
  weir_fleet_limiter_free(&l);
}

static void redis_down(void) {
  weir_fleet_config cfg;
  CHECK_OK(weir_fleet_config_default(&cfg));
  cfg.redis_url = "redis://127.0.0.1:1"; /* nothing listens: refused at once */
  cfg.key = "weir:c:down";
  cfg.limit = 200;
  cfg.nodes = 2;
  weir_fleet_limiter *l = NULL;
  CHECK_OK(weir_fleet_limiter_new(&cfg, &l)); /* Redis down is not an error */
  if (l == NULL) return;
  weir_fleet_stats s = {0};
  weir_decision d;
  /* Demand makes the refill thread ask; the refusal switches to the share. */
  int failures = 0;
  double start = seconds();
  while (!s.in_fallback && seconds() - start < 2) {
    failures += weir_fleet_limiter_acquire(l, 1, &d) != WEIR_STATUS_OK;
    failures += weir_fleet_limiter_stats(l, &s) != WEIR_STATUS_OK;
    sleep_ms(1);
  }
  CHECK_EQ_U64(s.in_fallback, 1);
  CHECK_EQ_U64(s.admitted, s.fallback_admitted);
  /* The share is 200 / 2 = 100/s with a burst of 1, however hard we ask. */
  uint64_t admitted = 0;
  start = seconds();
  while (seconds() - start < 0.3) {
    failures += weir_fleet_limiter_acquire(l, 1, &d) != WEIR_STATUS_OK;
    admitted += d.admitted;
  }
  double elapsed = seconds() - start;
  CHECK_EQ_U64(failures, 0);
  CHECK(admitted >= 5);
  CHECK((double)admitted <= 100.0 * elapsed + 2.0);
  CHECK_OK(weir_fleet_limiter_stats(l, &s));
  CHECK_EQ_U64(s.leases, 0);
  CHECK(s.fallbacks >= 1);
  weir_fleet_limiter_free(&l);
}

void test_fleet(void) {
  const char *url = getenv("WEIR_REDIS_URL");
  if (url == NULL || *url == '\0') {
    fprintf(stderr, "WEIR_REDIS_URL is not set: the fleet tests need a redis-server (ci/suites/40-ffi-go.sh)\n");
    CHECK(0);
  } else {
    leases_from_redis(url);
  }
  redis_down();
}
