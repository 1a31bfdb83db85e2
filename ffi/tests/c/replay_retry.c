/* backoff and retry_budget vectors. */
#include "vectors.h"

static uint32_t jitter_code(const json *c, uint32_t fallback) {
  const json *j = json_get(c, "jitter");
  if (!j || j->kind != J_STRING) return fallback;
  static const char *NAMES[] = {"none", "full", "equal", "decorrelated"};
  for (uint32_t i = 0; i < 4; i++)
    if (strcmp(j->text, NAMES[i]) == 0) return i;
  return 99;
}

static weir_status make_backoff(const json *c, weir_backoff **out) {
  weir_backoff_config cfg;
  status_ok(weir_backoff_config_default(&cfg));
  cfg.base_ns = cfg_u64(c, "base_ns", cfg.base_ns);
  cfg.cap_ns = cfg_u64(c, "cap_ns", cfg.cap_ns);
  cfg.multiplier = cfg_f64(c, "multiplier", cfg.multiplier);
  cfg.jitter = jitter_code(c, cfg.jitter);
  cfg.max_attempts = (uint32_t)cfg_u64(c, "max_attempts", cfg.max_attempts);
  cfg.advised_cap_ns = cfg_u64(c, "advised_cap_ns", cfg.advised_cap_ns);
  return weir_backoff_new(&cfg, out);
}

void replay_backoff(const json *vector, const json *c, const json *steps) {
  weir_backoff *b = NULL;
  if (!built(vector, make_backoff(c, &b))) return;
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    if (strcmp(op, "delay") == 0) {
      uint64_t delay = 0;
      status_ok(weir_backoff_delay(b, (uint32_t)arg_u64(step, "retry"), arg_u64(step, "draw"),
                                   arg_u64(step, "previous_ns"), &delay));
      expect_u64(step, "delay_ns", delay);
    } else if (strcmp(op, "next") == 0) {
      bool advised = has_arg(step, "advised_ns");
      weir_retry_decision r;
      uint64_t draw = has_arg(step, "draw") ? arg_u64(step, "draw") : 0;
      uint64_t previous = has_arg(step, "previous_ns") ? arg_u64(step, "previous_ns") : 0;
      status_ok(weir_backoff_next(b, (uint32_t)arg_u64(step, "attempt"), draw, previous, advised,
                                  advised ? arg_u64(step, "advised_ns") : 0, &r));
      expect_str(step, "reason", weir_reason_str(r.decision.reason));
      expect_u64(step, "delay_ns", r.delay_ns);
    } else if (strcmp(op, "parse_retry_after") == 0) {
      const char *v = arg_str(step, "value");
      uint64_t ns = 0;
      weir_status s = weir_parse_retry_after((const uint8_t *)v, strlen(v), arg_u64(step, "now_unix_s"), &ns);
      expect_parse(step, s, ns);
    } else {
      CHECK(!"unknown backoff op");
    }
  }
  weir_backoff_free(&b);
}

void replay_retry_budget(const json *vector, const json *c, const json *steps) {
  weir_retry_budget_config cfg;
  status_ok(weir_retry_budget_config_default(&cfg));
  cfg.ratio = cfg_f64(c, "ratio", cfg.ratio);
  cfg.min_per_second = cfg_u64(c, "min_per_second", cfg.min_per_second);
  cfg.window_ns = cfg_u64(c, "window_ns", cfg.window_ns);
  cfg.buckets = cfg_u64(c, "buckets", cfg.buckets);
  weir_retry_budget *budget = NULL;
  weir_backoff *b = NULL;
  weir_status s = weir_retry_budget_new(&cfg, &budget);
  if (s == WEIR_STATUS_OK) s = make_backoff(c, &b);
  if (!built(vector, s)) {
    weir_retry_budget_free(&budget);
    return;
  }
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "deposit") == 0) {
      uint64_t count = has_arg(step, "count") ? arg_u64(step, "count") : 1;
      for (uint64_t i = 0; i < count; i++) status_ok(weir_retry_budget_deposit(budget, now));
    } else if (strcmp(op, "withdraw") == 0) {
      weir_decision d;
      uint64_t delay = has_arg(step, "delay_ns") ? arg_u64(step, "delay_ns") : 0;
      uint64_t left = has_arg(step, "deadline_left_ns") ? arg_u64(step, "deadline_left_ns") : UINT64_MAX;
      status_ok(weir_retry_budget_withdraw(budget, now, delay, left, &d));
      expect_decision(step, &d);
    } else if (strcmp(op, "retry") == 0) {
      weir_retry_ask ask = {
          .attempt = (uint32_t)arg_u64(step, "attempt"),
          .has_advised = has_arg(step, "advised_ns"),
          .draw = has_arg(step, "draw") ? arg_u64(step, "draw") : 0,
          .previous_delay_ns = has_arg(step, "previous_ns") ? arg_u64(step, "previous_ns") : 0,
          .advised_ns = has_arg(step, "advised_ns") ? arg_u64(step, "advised_ns") : 0,
          .deadline_left_ns = has_arg(step, "deadline_left_ns") ? arg_u64(step, "deadline_left_ns") : UINT64_MAX,
          .no_retry = has_arg(step, "no_retry") ? (uint32_t)arg_u64(step, "no_retry") : 0,
      };
      weir_retry_decision r;
      status_ok(weir_retry(b, budget, now, &ask, &r));
      expect_decision(step, &r.decision);
      expect_u64(step, "delay_ns", r.delay_ns);
    } else {
      CHECK(!"unknown retry_budget op");
    }
    uint64_t requests = 0, retries = 0;
    status_ok(weir_retry_budget_snapshot(budget, now, &requests, &retries));
    expect_u64(step, "requests", requests);
    expect_u64(step, "retries", retries);
  }
  weir_backoff_free(&b);
  weir_retry_budget_free(&budget);
}
