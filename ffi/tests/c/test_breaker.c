/* Circuit breaker and adaptive limit: the clock-reading forms, events,
 * counters, and their bad inputs (NULLs, refused configs naming the field,
 * unknown enum codes). */
#include "tests.h"

#include <math.h>

static void breaker(void) {
  weir_breaker_config cfg;
  CHECK_OK(weir_breaker_config_default(&cfg));
  CHECK_EQ_U64(cfg.window_calls, 100);
  CHECK_EQ_U64(cfg.open_ns, 60 * SECOND);
  CHECK(cfg.failure_rate_threshold == 50.0);
  cfg.window_calls = 2;
  cfg.minimum_calls = 2;
  cfg.open_ns = 10 * SECOND;
  weir_breaker *b = NULL;
  CHECK_OK(weir_breaker_new(&cfg, &b));
  weir_decision d;
  weir_breaker_permit p;
  weir_breaker_transition t;
  for (int i = 0; i < 2; i++) {
    CHECK_OK(weir_breaker_acquire_now(b, &d, &p, NULL));
    CHECK(d.admitted && !p.probe && p.started_at > 0);
    CHECK_OK(weir_breaker_record_now(b, &p, true, &t));
  }
  CHECK(t.moved && t.to == WEIR_BREAKER_STATE_OPEN && t.cause == WEIR_BREAKER_CAUSE_FAILURE_RATE);
  CHECK_EQ_U64(t.failures, 2);
  CHECK_OK(weir_breaker_acquire_now(b, &d, &p, &t));
  CHECK_EQ_U64(d.reason, WEIR_REASON_CIRCUIT_OPEN);
  CHECK(!t.moved && d.retry_after_ns > 9 * SECOND && d.retry_after_ns <= 10 * SECOND);
  weir_breaker_stats st;
  CHECK_OK(weir_breaker_snapshot(b, weir_now(), &st));
  CHECK_EQ_U64(st.state, WEIR_BREAKER_STATE_OPEN);
  CHECK_EQ_U64(st.admitted, 2);
  CHECK_EQ_U64(st.refused_open, 1);
  weir_breaker_transition e;
  CHECK_OK(weir_breaker_next_event(b, &e));
  CHECK(e.moved && e.from == WEIR_BREAKER_STATE_CLOSED && e.to == WEIR_BREAKER_STATE_OPEN && e.at > 0);
  CHECK_EQ_U64(weir_breaker_next_event(b, &e), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_breaker_force_open(b, 0, &t));
  CHECK(t.moved && t.cause == WEIR_BREAKER_CAUSE_FORCED_OPEN);
  CHECK_OK(weir_breaker_acquire(b, 0, &d, &p, NULL));
  CHECK_EQ_U64(d.retry_after_ns, UINT64_MAX);
  CHECK_OK(weir_breaker_reset(b, 0, NULL));
  CHECK_OK(weir_breaker_acquire(b, 0, &d, &p, NULL));
  bool released = false;
  CHECK_OK(weir_breaker_release(b, &p, &released));
  CHECK(released);
  CHECK(strcmp(weir_breaker_state_str(WEIR_BREAKER_STATE_HALF_OPEN), "half_open") == 0);
  CHECK(strcmp(weir_breaker_cause_str(WEIR_BREAKER_CAUSE_PROBES_TIMED_OUT), "probes_timed_out") == 0);
  CHECK(strcmp(weir_breaker_cause_str(99), "unknown") == 0);

  CHECK_BAD(weir_breaker_acquire(NULL, 0, &d, &p, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_acquire(b, 0, NULL, &p, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_acquire_now(b, &d, NULL, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_record(b, 0, NULL, false, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_record_now(NULL, &p, false, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_release(b, &p, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_force_open(NULL, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_next_event(b, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_snapshot(b, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_breaker_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);

  weir_breaker *bad = NULL;
  CHECK_BAD(weir_breaker_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  weir_breaker_config c = cfg;
  c.minimum_calls = 3;
  CHECK_BAD(weir_breaker_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("minimum_calls") && strstr(weir_last_error_message(), "got 3") != NULL);
  c = cfg;
  c.failure_rate_threshold = NAN;
  CHECK_BAD(weir_breaker_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("failure_rate_threshold"));
  c = cfg;
  c.half_open_probes = 31;
  CHECK_BAD(weir_breaker_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("half_open_probes"));
  c = cfg;
  c.window = 7;
  CHECK_BAD(weir_breaker_new(&c, &bad), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(weir_last_error_message(), "window") != NULL && strstr(weir_last_error_message(), "got 7") != NULL);
  CHECK(bad == NULL);
  weir_breaker_free(&b);
  CHECK(b == NULL);
  weir_breaker_free(&b);
}

static void adaptive_limit(void) {
  weir_adaptive_limit_config cfg;
  CHECK_OK(weir_adaptive_limit_config_default(WEIR_ADAPTIVE_ALGORITHM_VEGAS, &cfg));
  CHECK_EQ_U64(cfg.min_limit, 1);
  CHECK_EQ_U64(cfg.max_limit, 1000);
  CHECK(cfg.smoothing == 1.0);
  CHECK_OK(weir_adaptive_limit_config_default(WEIR_ADAPTIVE_ALGORITHM_GRADIENT2, &cfg));
  CHECK(cfg.smoothing == 0.2 && cfg.rtt_tolerance == 1.5);
  cfg.initial_limit = cfg.min_limit = 1;
  weir_adaptive_limit *l = NULL;
  CHECK_OK(weir_adaptive_limit_new(&cfg, &l));
  weir_decision d;
  weir_adaptive_permit p, refused;
  CHECK_OK(weir_adaptive_limit_acquire_now(l, &d, &p));
  CHECK(d.admitted && p.in_flight == 1 && p.started_at > 0);
  CHECK_OK(weir_adaptive_limit_acquire_now(l, &d, &refused));
  CHECK_EQ_U64(d.reason, WEIR_REASON_CONCURRENCY_LIMITED);
  uint64_t limit = 0;
  CHECK_BAD(weir_adaptive_limit_release_now(l, &p, 9, &limit), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(weir_last_error_message(), "outcome") != NULL && strstr(weir_last_error_message(), "got 9") != NULL);
  CHECK_OK(weir_adaptive_limit_release_now(l, &p, WEIR_ADAPTIVE_OUTCOME_SUCCESS, &limit));
  CHECK(limit >= 1);
  weir_adaptive_limit_stats st;
  CHECK_OK(weir_adaptive_limit_snapshot(l, &st));
  CHECK_EQ_U64(st.in_flight, 0);
  CHECK_EQ_U64(st.admitted, 1);
  CHECK_EQ_U64(st.refused, 1);
  CHECK(st.baseline_rtt_ns > 0);

  CHECK_BAD(weir_adaptive_limit_acquire(NULL, 0, &d, &p), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_adaptive_limit_acquire(l, 0, &d, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_adaptive_limit_acquire_now(l, NULL, &p), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_adaptive_limit_release(l, NULL, 0, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_adaptive_limit_snapshot(NULL, &st), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_adaptive_limit_config_default(3, &cfg), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK_BAD(weir_adaptive_limit_config_default(0, NULL), WEIR_STATUS_NULL_ARGUMENT);

  weir_adaptive_limit *bad = NULL;
  weir_adaptive_limit_config c = cfg;
  c.max_limit = 2000000;
  CHECK_BAD(weir_adaptive_limit_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_limit") && strstr(weir_last_error_message(), "got 2000000") != NULL);
  c = cfg;
  c.smoothing = 0;
  CHECK_BAD(weir_adaptive_limit_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("smoothing"));
  c = cfg;
  c.algorithm = 5;
  CHECK_BAD(weir_adaptive_limit_new(&c, &bad), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK(bad == NULL);
  weir_adaptive_limit_free(&l);
  CHECK(l == NULL);
}

void test_breaker(void) {
  breaker();
  adaptive_limit();
}
