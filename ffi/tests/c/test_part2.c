/* Bad inputs for the part-2 primitives (picker, backoff, retry budget,
 * singleflight, deadline, lease) and the fleet limiter's config: NULLs,
 * zero / NaN / infinite / huge configs, bad buffers, stale tickets and
 * double frees. Every refusal must leave out-pointers as they were. */
#include "tests.h"

#include <math.h>

static void picker(void) {
  weir_picker_config cfg;
  CHECK_OK(weir_picker_config_default(&cfg));
  CHECK_BAD(weir_picker_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_picker *p = NULL, *bad = NULL;
  CHECK_BAD(weir_picker_new(NULL, 4, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_new(&cfg, 4, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_new(&cfg, 0, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_picker_new(&cfg, 65537, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK_BAD(weir_picker_new(&cfg, UINT64_MAX, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  weir_picker_config c = cfg;
  c.tau_ns = 0;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("tau_ns"));
  c = cfg;
  c.success_floor = NAN;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("success_floor"));
  c.success_floor = 1.5;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  c.success_floor = -INFINITY;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("success_floor"));
  c = cfg;
  c.cpu_ceiling = 1001;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("cpu_ceiling"));
  c = cfg;
  c.latency_bias_ns = 0;
  c.initial_latency_ns = 0;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("latency_bias_ns"));
  CHECK(bad == NULL);

  CHECK_OK(weir_picker_new(&cfg, 2, &p));
  weir_pick pick = {.reason = 77};
  /* No node yet: a refusal, and its pick is no ticket. */
  CHECK_OK(weir_picker_pick(p, 0, 1, &pick));
  CHECK_EQ_U64(pick.reason, WEIR_REASON_NO_NODE);
  CHECK_BAD(weir_picker_done(p, &pick, 0, 0, true, -1), WEIR_STATUS_NOT_FOUND);
  uint32_t index = 99, a = 0;
  CHECK_BAD(weir_picker_add(NULL, 1, 0, &index), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_add(p, 1, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(index, 99);
  CHECK_OK(weir_picker_add(p, 1, 0, &a));
  CHECK_OK(weir_picker_add(p, 2, 0, &index));
  CHECK_BAD(weir_picker_add(p, 3, 0, &index), WEIR_STATUS_FULL);
  CHECK_BAD(weir_picker_remove(p, 7), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_remove(p, UINT32_MAX), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_set_up(p, 7, true), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_set_up(NULL, a, true), WEIR_STATUS_NULL_ARGUMENT);
  weir_node_stats node = {.id = 77};
  CHECK_BAD(weir_picker_node(p, 7, &node), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_node(p, a, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(node.id, 77);
  CHECK_BAD(weir_picker_find(p, 42, &index), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_find(p, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_pick(p, 0, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_pick_now(NULL, &pick), WEIR_STATUS_NULL_ARGUMENT);

  /* Stale tickets: done twice, done after removal, a forged generation. */
  CHECK_OK(weir_picker_pick(p, 1, 12345, &pick));
  CHECK_EQ_U64(pick.reason, WEIR_REASON_ADMITTED);
  weir_pick forged = pick;
  forged.gen += 1;
  CHECK_BAD(weir_picker_done(p, &forged, 2, 1, true, -1), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_picker_done(p, &pick, 2, 1, true, 2000)); /* CPU past 1000 is clamped, not UB */
  CHECK_BAD(weir_picker_done(p, &pick, 3, 1, true, -1), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_picker_pick(p, 4, 99, &pick));
  CHECK_OK(weir_picker_remove(p, pick.index));
  CHECK_BAD(weir_picker_done_now(p, &pick, false, -1), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_remove(p, pick.index), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_done(p, NULL, 5, 1, true, -1), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_done_now(p, NULL, true, -1), WEIR_STATUS_NULL_ARGUMENT);
  /* Huge latencies and times saturate. */
  CHECK_OK(weir_picker_pick(p, UINT64_MAX - 1, UINT64_MAX, &pick));
  CHECK_OK(weir_picker_done(p, &pick, UINT64_MAX, UINT64_MAX, false, INT32_MIN));
  CHECK_OK(weir_picker_node(p, pick.index, &node));
  CHECK(node.latency_ns >= 0 && !isnan(node.latency_ns) && node.success >= 0 && node.success <= 1);

  weir_picker_free(&p);
  CHECK(p == NULL);
  weir_picker_free(&p);
  weir_picker_free(NULL);
}

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

static void singleflight(void) {
  weir_singleflight *t = NULL, *bad = NULL;
  CHECK_BAD(weir_singleflight_new(0, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_singleflight_new((1ull << 24) + 1, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK_BAD(weir_singleflight_new(UINT64_MAX, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_singleflight_new(4, NULL, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(bad == NULL);

  CHECK_OK(weir_singleflight_new(4, NULL, &t));
  weir_flight f = {.role = 77}, lead, follow;
  CHECK_BAD(weir_singleflight_begin(NULL, 1, &f), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_begin(t, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_begin_bytes(t, NULL, 3, &f), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_begin_bytes(t, (const uint8_t *)"k", 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  /* A length past PTRDIFF_MAX is refused before anything is read. */
  CHECK_BAD(weir_singleflight_begin_bytes(t, (const uint8_t *)"k", SIZE_MAX, &f), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(f.role, 77);
  /* The empty key is a key like any other. */
  CHECK_OK(weir_singleflight_begin_bytes(t, NULL, 0, &lead));
  CHECK_EQ_U64(lead.role, WEIR_FLIGHT_ROLE_LEADER);
  CHECK_OK(weir_singleflight_begin_bytes(t, (const uint8_t *)"", 0, &follow));
  CHECK_EQ_U64(follow.role, WEIR_FLIGHT_ROLE_FOLLOWER);

  /* Stale tickets: a forged generation, a second finish, an extra leave. */
  CHECK_BAD(weir_singleflight_finish(t, lead.slot, lead.gen + 1), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_finish(t, UINT32_MAX, lead.gen), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_leave(t, follow.slot, follow.gen + 1), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_singleflight_finish(t, lead.slot, lead.gen));
  CHECK_BAD(weir_singleflight_finish(t, lead.slot, lead.gen), WEIR_STATUS_NOT_FOUND);
  bool done = false;
  CHECK_OK(weir_singleflight_is_done(t, lead.slot, lead.gen, &done));
  CHECK(done);
  CHECK_OK(weir_singleflight_leave(t, follow.slot, follow.gen));
  CHECK_BAD(weir_singleflight_leave(t, follow.slot, follow.gen), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_leave(t, UINT32_MAX, 0), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_leave(NULL, 0, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_finish(NULL, 0, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_is_done(t, 0, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  uint64_t occupied = 77, waiters = 77;
  uint32_t state = 77;
  CHECK_BAD(weir_singleflight_occupied(t, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_slot(t, 4, &state, &waiters), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_slot(t, 0, NULL, &waiters), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(state, 77);
  CHECK_EQ_U64(waiters, 77);
  CHECK_OK(weir_singleflight_occupied(t, &occupied));
  CHECK_EQ_U64(occupied, 0);
  weir_singleflight_free(&t);
  CHECK(t == NULL);
  weir_singleflight_free(&t);
  weir_singleflight_free(NULL);
}

static void deadline(void) {
  weir_deadline *dl = NULL, *bad = NULL;
  weir_deadline_config zero = {.timeout_ns = 0, .margin_ns = 0};
  CHECK_BAD(weir_deadline_new(&zero, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("timeout_ns"));
  weir_deadline_config margin = {.timeout_ns = SECOND, .margin_ns = SECOND};
  CHECK_BAD(weir_deadline_new(&margin, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("margin_ns"));
  weir_deadline_config none = {.timeout_ns = UINT64_MAX, .margin_ns = UINT64_MAX - 1};
  CHECK_BAD(weir_deadline_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_deadline_new(&none, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(bad == NULL);
  CHECK_OK(weir_deadline_new(&none, &dl));
  weir_deadline_answer a = {.reason = 77};
  CHECK_BAD(weir_deadline_budget(NULL, 0, false, 0, &a), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_deadline_budget(dl, 0, false, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(a.reason, 77);
  /* A deadline in the past, and the end of the clock. */
  CHECK_OK(weir_deadline_budget(dl, SECOND, true, 0, &a));
  CHECK_EQ_U64(a.reason, WEIR_REASON_DEADLINE_EXCEEDED);
  CHECK_EQ_U64(a.timeout_ns, 0);
  CHECK_OK(weir_deadline_budget(dl, UINT64_MAX, true, UINT64_MAX, &a));
  CHECK_EQ_U64(a.reason, WEIR_REASON_DEADLINE_EXCEEDED);
  weir_deadline_free(&dl);
  CHECK(dl == NULL);
  weir_deadline_free(&dl);
  weir_deadline_free(NULL);

  /* Headers: NULL with a length, empty, too long, bad units, overflow. */
  uint64_t ns = 77;
  CHECK_BAD(weir_parse_grpc_timeout(NULL, 3, &ns), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_parse_grpc_timeout((const uint8_t *)"1S", 2, NULL), WEIR_STATUS_NULL_ARGUMENT);
  const char *bad_timeouts[] = {"", "S", "123456789S", "-1m", "1x", "1 S", "\xff\xfeS"};
  for (size_t i = 0; i < sizeof bad_timeouts / sizeof *bad_timeouts; i++) {
    const char *v = bad_timeouts[i];
    CHECK_BAD(weir_parse_grpc_timeout((const uint8_t *)v, strlen(v), &ns), WEIR_STATUS_INVALID_HEADER);
  }
  const char *bad_millis[] = {"", "-5", "+5", "1.5", "5ms"};
  for (size_t i = 0; i < sizeof bad_millis / sizeof *bad_millis; i++) {
    const char *v = bad_millis[i];
    CHECK_BAD(weir_parse_millis((const uint8_t *)v, strlen(v), &ns), WEIR_STATUS_INVALID_HEADER);
  }
  const char *bad_retry_after[] = {"", "soon", "-1", "Wed, 99 Oct 2015 07:28:00 GMT"};
  for (size_t i = 0; i < sizeof bad_retry_after / sizeof *bad_retry_after; i++) {
    const char *v = bad_retry_after[i];
    CHECK_BAD(weir_parse_retry_after((const uint8_t *)v, strlen(v), 0, &ns), WEIR_STATUS_INVALID_HEADER);
  }
  CHECK_BAD(weir_parse_retry_after(NULL, 1, 0, &ns), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(ns, 77);
  CHECK(strlen(weir_last_error_message()) > 0);
  /* A pushback past the clock's range saturates rather than wraps. */
  const char *huge = "99999999999999999999999";
  CHECK_OK(weir_parse_millis((const uint8_t *)huge, strlen(huge), &ns));
  CHECK_EQ_U64(ns, UINT64_MAX);

  uint8_t buf[32];
  memset(buf, 0xab, sizeof buf);
  size_t written = 77;
  CHECK_BAD(weir_format_grpc_timeout(SECOND, NULL, 9, &written), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_format_grpc_timeout(SECOND, buf, 9, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_format_grpc_timeout(UINT64_MAX, buf, 0, &written), WEIR_STATUS_BUFFER_TOO_SMALL);
  CHECK_BAD(weir_format_millis(UINT64_MAX, buf, 3, &written), WEIR_STATUS_BUFFER_TOO_SMALL);
  CHECK_BAD(weir_format_millis(1, buf, SIZE_MAX, &written), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK_EQ_U64(written, 77);
  CHECK_EQ_U64(buf[0], 0xab);
  /* The longest outputs fit the documented sizes exactly. */
  CHECK_OK(weir_format_grpc_timeout(UINT64_MAX, buf, 9, &written));
  CHECK(written <= 9);
  CHECK_OK(weir_format_millis(UINT64_MAX, buf, 17, &written));
  CHECK(written <= 17);
}

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

void test_part2(void) {
  picker();
  backoff();
  retry_budget();
  singleflight();
  deadline();
  lease();
  fleet_config();
}
