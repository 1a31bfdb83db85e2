/* Bad inputs for backoff, the retry budget and weir_retry: NULLs, zero /
 * NaN / infinite / huge configs, attempts past the last and clocks at their
 * ends. Every refusal must leave out-pointers as they were. */
#include "tests.h"

#include <math.h>

static void backoff(void) {
  weir_backoff_config cfg;
  CHECK_OK(weir_backoff_config_default(&cfg));
  CHECK_BAD(weir_backoff_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_backoff *b = NULL, *bad = NULL;
  CHECK_BAD(weir_backoff_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_backoff_new(&cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_backoff_config c = cfg;
  c.base_ns = 0;
  CHECK_BAD(weir_backoff_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("base_ns"));
  c = cfg;
  c.cap_ns = c.base_ns - 1;
  CHECK_BAD(weir_backoff_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("cap_ns"));
  double multipliers[] = {NAN, INFINITY, -1.0, 0.5, 1000.5};
  for (size_t i = 0; i < sizeof multipliers / sizeof *multipliers; i++) {
    c = cfg;
    c.multiplier = multipliers[i];
    CHECK_BAD(weir_backoff_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
    CHECK(last_field_is("multiplier"));
  }
  c = cfg;
  c.jitter = 4;
  CHECK_BAD(weir_backoff_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("jitter"));
  c.jitter = UINT32_MAX;
  CHECK_BAD(weir_backoff_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  c = cfg;
  c.max_attempts = 0;
  CHECK_BAD(weir_backoff_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_attempts"));
  CHECK(bad == NULL);

  /* Huge settings are valid and the delay stays within the cap. */
  c = cfg;
  c.cap_ns = UINT64_MAX;
  c.multiplier = 1000;
  c.jitter = WEIR_JITTER_DECORRELATED;
  c.max_attempts = UINT32_MAX;
  c.advised_cap_ns = UINT64_MAX;
  CHECK_OK(weir_backoff_new(&c, &b));
  uint64_t delay = 77;
  CHECK_OK(weir_backoff_delay(b, UINT32_MAX, UINT64_MAX, UINT64_MAX, &delay));
  CHECK(delay >= c.base_ns);
  CHECK_OK(weir_backoff_delay(b, 0, 0, 0, &delay));
  weir_retry_decision r = {.delay_ns = 77};
  CHECK_OK(weir_backoff_next(b, UINT32_MAX - 1, UINT64_MAX, UINT64_MAX, true, UINT64_MAX, &r));
  CHECK_EQ_U64(r.decision.admitted, 1);
  CHECK_EQ_U64(r.delay_ns, UINT64_MAX);
  weir_backoff_free(&b);

  CHECK_OK(weir_backoff_new(&cfg, &b));
  delay = 77;
  CHECK_BAD(weir_backoff_delay(NULL, 1, 0, 0, &delay), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_backoff_delay(b, 1, 0, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(delay, 77);
  r.delay_ns = 77;
  CHECK_BAD(weir_backoff_next(NULL, 1, 0, 0, false, 0, &r), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_backoff_next(b, 1, 0, 0, false, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(r.delay_ns, 77);
  /* Past the last attempt: refused, and a huge advice is capped. */
  CHECK_OK(weir_backoff_next(b, UINT32_MAX, 0, 0, false, 0, &r));
  CHECK_EQ_U64(r.decision.reason, WEIR_REASON_ATTEMPTS_EXHAUSTED);
  CHECK_OK(weir_backoff_next(b, 1, 0, 0, true, UINT64_MAX, &r));
  CHECK_EQ_U64(r.delay_ns, cfg.advised_cap_ns);
  weir_backoff_free(&b);
  weir_backoff_free(&b);
  weir_backoff_free(NULL);
}

static void retry_budget(void) {
  weir_retry_budget_config cfg;
  CHECK_OK(weir_retry_budget_config_default(&cfg));
  CHECK_BAD(weir_retry_budget_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_retry_budget *budget = NULL, *bad = NULL;
  CHECK_BAD(weir_retry_budget_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_budget_new(&cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);
  double ratios[] = {NAN, INFINITY, -INFINITY, -0.1, 1000.1};
  for (size_t i = 0; i < sizeof ratios / sizeof *ratios; i++) {
    weir_retry_budget_config c = cfg;
    c.ratio = ratios[i];
    CHECK_BAD(weir_retry_budget_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
    CHECK(last_field_is("ratio"));
  }
  weir_retry_budget_config c = cfg;
  c.buckets = 0;
  CHECK_BAD(weir_retry_budget_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("buckets"));
  c.buckets = 65;
  CHECK_BAD(weir_retry_budget_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("buckets"));
  c = cfg;
  c.window_ns = c.buckets - 1;
  CHECK_BAD(weir_retry_budget_new(&c, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("window_ns"));
  CHECK(bad == NULL);

  CHECK_OK(weir_retry_budget_new(&cfg, &budget));
  weir_decision d = {.reason = 77};
  uint64_t requests = 77, retries = 77;
  CHECK_BAD(weir_retry_budget_deposit(NULL, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_budget_deposit_now(NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_budget_withdraw(NULL, 0, 0, UINT64_MAX, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_budget_withdraw(budget, 0, 0, UINT64_MAX, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_budget_snapshot(budget, 0, NULL, &retries), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_budget_snapshot(budget, 0, &requests, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(d.reason, 77);
  CHECK_EQ_U64(requests, 77);
  CHECK_EQ_U64(retries, 77);
  /* Time running backwards or at the end of the clock is no crash. */
  CHECK_OK(weir_retry_budget_deposit(budget, UINT64_MAX));
  CHECK_OK(weir_retry_budget_deposit(budget, 0));
  CHECK_OK(weir_retry_budget_withdraw(budget, UINT64_MAX, UINT64_MAX, 0, &d));
  CHECK(!d.admitted);
  CHECK_OK(weir_retry_budget_snapshot(budget, UINT64_MAX, &requests, &retries));

  /* weir_retry: every pointer checked, the out untouched. */
  weir_backoff_config bc;
  CHECK_OK(weir_backoff_config_default(&bc));
  weir_backoff *b = NULL;
  CHECK_OK(weir_backoff_new(&bc, &b));
  weir_retry_ask ask = {.attempt = 1, .deadline_left_ns = UINT64_MAX};
  weir_retry_decision r = {.delay_ns = 77};
  CHECK_BAD(weir_retry(NULL, budget, 0, &ask, &r), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry(b, budget, 0, NULL, &r), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry(b, budget, 0, &ask, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_retry_now(b, budget, NULL, &r), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(r.delay_ns, 77);
  ask.attempt = 0;
  CHECK_OK(weir_retry(b, budget, 0, &ask, &r));
  ask.attempt = UINT32_MAX;
  CHECK_OK(weir_retry(b, budget, 0, &ask, &r));
  CHECK_EQ_U64(r.decision.reason, WEIR_REASON_ATTEMPTS_EXHAUSTED);
  /* A NULL budget is a policy without one: attempts and deadline still refuse. */
  CHECK_OK(weir_retry(b, NULL, 0, &ask, &r));
  CHECK_EQ_U64(r.decision.reason, WEIR_REASON_ATTEMPTS_EXHAUSTED);
  ask.attempt = 1;
  CHECK_OK(weir_retry(b, NULL, 0, &ask, &r));
  CHECK(r.decision.admitted);
  ask.deadline_left_ns = 0;
  CHECK_OK(weir_retry(b, NULL, 0, &ask, &r));
  CHECK_EQ_U64(r.decision.reason, WEIR_REASON_DEADLINE_TOO_CLOSE);
  weir_backoff_free(&b);
  weir_retry_budget_free(&budget);
  CHECK(budget == NULL);
  weir_retry_budget_free(&budget);
  weir_retry_budget_free(NULL);
}

void test_retry(void) {
  backoff();
  retry_budget();
}
