/* Bad inputs for the lease planner and lease cell, and for the fleet
 * limiter's config (which leases through them): NULLs, refused configs
 * naming their field, extreme plans and spends, and double frees. Every
 * refusal must leave out-pointers as they were. */
#include "tests.h"

#include <stdio.h>

static void lease(void) {
  weir_lease_config cfg;
  CHECK_OK(weir_lease_config_default(&cfg));
  CHECK_BAD(weir_lease_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_lease_planner *p = NULL, *bad = NULL;
  CHECK_BAD(weir_lease_planner_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_planner_new(&cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_lease_config c = cfg;
  c.min_batch = 0;
  CHECK_BAD(weir_lease_planner_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("min_batch"));
  c = cfg;
  c.max_batch = c.min_batch - 1;
  CHECK_BAD(weir_lease_planner_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_batch"));
  c.max_batch = UINT64_MAX;
  CHECK_BAD(weir_lease_planner_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_batch"));
  c = cfg;
  c.batch_period_ns = 0;
  CHECK_BAD(weir_lease_planner_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("batch_period_ns"));
  c = cfg;
  c.ttl_ns = c.batch_period_ns;
  CHECK_BAD(weir_lease_planner_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("ttl_ns"));
  c.ttl_ns = UINT64_MAX;
  CHECK_BAD(weir_lease_planner_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("ttl_ns"));
  CHECK(bad == NULL);

  CHECK_OK(weir_lease_planner_new(&cfg, &p));
  weir_lease_plan plan = {.ask = 77};
  uint64_t at = 77;
  CHECK_BAD(weir_lease_planner_plan(NULL, 0, 0, 0, 0, 0, &plan), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_planner_plan(p, 0, 0, 0, 0, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_planner_expiry(p, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_planner_expiry(NULL, 0, &at), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(plan.ask, 77);
  CHECK_EQ_U64(at, 77);
  /* A rate over no time, and extremes everywhere, plan within max_batch. */
  CHECK_OK(weir_lease_planner_plan(p, UINT64_MAX, UINT64_MAX, 0, UINT64_MAX, 0, &plan));
  CHECK(plan.ask <= cfg.max_batch);
  CHECK_OK(weir_lease_planner_plan(p, 0, UINT64_MAX, 1, 0, 0, &plan));
  CHECK(plan.ask <= cfg.max_batch);
  CHECK_OK(weir_lease_planner_expiry(p, UINT64_MAX, &at));
  weir_lease_planner_free(&p);
  CHECK(p == NULL);
  weir_lease_planner_free(&p);

  weir_lease *l = NULL;
  CHECK_BAD(weir_lease_new(10, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_OK(weir_lease_new(10, &l));
  weir_lease_spend s = {.outcome = 77};
  uint64_t left = 77, expires = 77;
  CHECK_BAD(weir_lease_try_spend(NULL, 0, 1, &s), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_try_spend(l, 0, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_grant(l, 0, 1, SECOND, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_revoke(l, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_snapshot(l, 0, NULL, &expires), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_lease_snapshot(l, 0, &left, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(s.outcome, 77);
  CHECK_EQ_U64(left, 77);
  /* Never granted; a grant already expired; more than the cap; too dear. */
  CHECK_OK(weir_lease_try_spend(l, 0, 1, &s));
  CHECK_EQ_U64(s.outcome, WEIR_SPEND_OUTCOME_EXPIRED);
  CHECK_OK(weir_lease_grant(l, SECOND, 5, SECOND / 2, &left));
  CHECK_OK(weir_lease_try_spend(l, SECOND, 1, &s));
  CHECK_EQ_U64(s.outcome, WEIR_SPEND_OUTCOME_EXPIRED);
  CHECK_OK(weir_lease_grant(l, SECOND, UINT64_MAX, 2 * SECOND, &left));
  CHECK_EQ_U64(left, 10);
  CHECK_OK(weir_lease_try_spend(l, SECOND, UINT64_MAX, &s));
  CHECK_EQ_U64(s.outcome, WEIR_SPEND_OUTCOME_SHORT);
  CHECK_EQ_U64(s.left, 10);
  CHECK_OK(weir_lease_revoke(l, SECOND, &left));
  CHECK_EQ_U64(left, 10);
  CHECK_OK(weir_lease_snapshot(l, SECOND, &left, &expires));
  CHECK_EQ_U64(left, 0);
  weir_lease_free(&l);
  CHECK(l == NULL);
  weir_lease_free(&l);
  weir_lease_free(NULL);
}

/* Refusals only: nothing here starts a thread or opens a socket (the
 * live-Redis cases are in test_fleet.c). */
static void fleet_config(void) {
  weir_fleet_config cfg;
  CHECK_OK(weir_fleet_config_default(&cfg));
  CHECK_BAD(weir_fleet_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);
  cfg.redis_url = "redis://127.0.0.1:1";
  cfg.key = "weir:c:bad";
  cfg.limit = 100;
  weir_fleet_limiter *bad = NULL;
  struct {
    const char *field;
    weir_fleet_config config;
  } cases[] = {
      {"limit", cfg}, {"redis_url", cfg}, {"redis_url", cfg}, {"redis_url", cfg}, {"key", cfg},
      {"key", cfg},   {"key", cfg},       {"period", cfg},    {"nodes", cfg},     {"nodes", cfg},
      {"max_batch", cfg}, {"redis_timeout", cfg}, {"retry_interval", cfg}, {"ttl_ns", cfg},
  };
  cases[0].config.limit = 0;
  cases[1].config.redis_url = NULL;
  cases[2].config.redis_url = "http://127.0.0.1:6379";
  cases[3].config.redis_url = "redis://\xff";
  cases[4].config.key = NULL;
  cases[5].config.key = "";
  cases[6].config.key = "\xc3\x28";
  cases[7].config.period_ns = 0;
  cases[8].config.nodes = 0;
  cases[9].config.nodes = 101;
  cases[10].config.max_batch = UINT64_MAX;
  cases[11].config.redis_timeout_ns = 0;
  cases[12].config.retry_interval_ns = 0;
  cases[13].config.lease_ttl_ns = 1;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    CHECK_BAD(weir_fleet_limiter_new(&cases[i].config, &bad), WEIR_STATUS_INVALID_CONFIG);
    if (!last_field_is(cases[i].field)) {
      fprintf(stderr, "fleet case %zu: field %s, want %s\n", i, weir_last_error_field(), cases[i].field);
      CHECK(0);
    }
  }
  CHECK(bad == NULL);
  CHECK_BAD(weir_fleet_limiter_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_fleet_limiter_new(&cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_decision d = {.reason = 77};
  weir_fleet_stats st = {.admitted = 77};
  double bound = 77;
  CHECK_BAD(weir_fleet_limiter_acquire(NULL, 1, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_fleet_limiter_stats(NULL, &st), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_fleet_limiter_bound(NULL, &bound, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(d.reason, 77);
  CHECK_EQ_U64(st.admitted, 77);
  CHECK(bound == 77);
  weir_fleet_limiter_free(&bad);
  weir_fleet_limiter_free(NULL);
}

void test_lease(void) {
  lease();
  fleet_config();
}
