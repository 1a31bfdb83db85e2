/* Shedder and throttle: happy paths, NaN/zero/huge configs, NULLs. */
#include "tests.h"

#include <math.h>

static void shedder(void) {
  weir_shedder_config cfg;
  CHECK_OK(weir_shedder_config_default(&cfg));
  CHECK_EQ_U64(cfg.buckets, 100);
  CHECK_EQ_U64(cfg.cpu_threshold, 800);
  CHECK(cfg.cpu_decay == 0.95);
  cfg.max_queue = 2;
  weir_shedder *s = NULL;
  CHECK_OK(weir_shedder_new(&cfg, &s));
  weir_decision d;
  CHECK_OK(weir_shedder_acquire(s, 0, &d));
  CHECK(d.admitted);
  uint64_t started = 0;
  CHECK_OK(weir_shedder_acquire_now(s, &d, &started));
  CHECK(d.admitted && started > 0);
  CHECK_OK(weir_shedder_acquire(s, 0, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_QUEUE_FULL);
  weir_shedder_stats st;
  CHECK_OK(weir_shedder_snapshot(s, 0, &st));
  CHECK_EQ_U64(st.in_flight, 2);
  CHECK_OK(weir_shedder_done(s, 0, 5 * MS));
  CHECK_OK(weir_shedder_done_now(s, started));
  CHECK_OK(weir_shedder_snapshot(s, 5 * MS, &st));
  CHECK_EQ_U64(st.in_flight, 0);
  double cpu = -1;
  CHECK_OK(weir_shedder_record_cpu(s, 1000, &cpu));
  CHECK(fabs(cpu - 50.0) < 1e-9);
  CHECK_OK(weir_shedder_record_cpu(s, 1000, NULL));
  CHECK_OK(weir_shedder_snapshot(s, 5 * MS, &st));
  CHECK(st.cpu > 97.0 && st.cpu < 98.0);

  CHECK_BAD(weir_shedder_acquire(NULL, 0, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_acquire_now(s, &d, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_acquire_now(s, NULL, &started), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_done(NULL, 0, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_done_now(NULL, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_record_cpu(NULL, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_snapshot(s, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);

  weir_shedder *bad = NULL;
  weir_shedder_config c = cfg;
  c.cpu_decay = NAN;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("cpu_decay"));
  c = cfg;
  c.cpu_decay = INFINITY;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.cpu_decay = -0.5;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.cpu_decay = 1.0;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.buckets = 0;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("buckets"));
  c = cfg;
  c.buckets = UINT64_MAX;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.cpu_threshold = 1001;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("cpu_threshold"));
  c = cfg;
  c.window_ns = 0;
  CHECK_BAD(weir_shedder_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("window_ns"));
  CHECK_BAD(weir_shedder_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_new(&cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(bad == NULL);
  weir_shedder_free(&s);
  weir_shedder_free(&s);
}

static void throttle(void) {
  weir_throttle_config cfg;
  CHECK_OK(weir_throttle_config_default(&cfg));
  CHECK(cfg.k == 2.0);
  cfg.min_requests = 0;
  cfg.max_reject_probability = 1.0;
  weir_throttle *t = NULL;
  CHECK_OK(weir_throttle_new(&cfg, &t));
  weir_decision d;
  /* Every request fails: the refusal probability climbs. */
  for (int i = 0; i < 10; i++) {
    CHECK_OK(weir_throttle_acquire(t, 0, UINT64_MAX, &d));
    CHECK(d.admitted);
    CHECK_OK(weir_throttle_record(t, 0, false));
  }
  weir_throttle_stats st;
  CHECK_OK(weir_throttle_snapshot(t, 0, &st));
  CHECK_EQ_U64(st.requests, 10);
  CHECK_EQ_U64(st.accepts, 0);
  CHECK(fabs(st.reject_probability - 10.0 / 11.0) < 1e-12);
  CHECK_OK(weir_throttle_acquire(t, 0, 0, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_THROTTLED);
  CHECK_OK(weir_throttle_acquire_now(t, &d));
  CHECK_OK(weir_throttle_record_now(t, true));

  CHECK_BAD(weir_throttle_acquire(NULL, 0, 0, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_throttle_acquire(t, 0, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_throttle_acquire_now(NULL, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_throttle_record(NULL, 0, true), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_throttle_record_now(NULL, true), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_throttle_snapshot(NULL, 0, &st), WEIR_STATUS_NULL_ARGUMENT);
  weir_throttle *bad = NULL;
  weir_throttle_config c = cfg;
  c.k = NAN;
  CHECK_BAD(weir_throttle_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("k"));
  c = cfg;
  c.k = 0.5;
  CHECK_BAD(weir_throttle_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.max_reject_probability = NAN;
  CHECK_BAD(weir_throttle_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_reject_probability"));
  c = cfg;
  c.max_reject_probability = -INFINITY;
  CHECK_BAD(weir_throttle_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.buckets = 129;
  CHECK_BAD(weir_throttle_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("buckets"));
  CHECK_BAD(weir_throttle_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(bad == NULL);
  weir_throttle_free(&t);
  weir_throttle_free(&t);
}

void test_shedder_throttle(void) {
  shedder();
  throttle();
}
