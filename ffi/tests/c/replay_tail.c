/* quantile, hot_keys and hedge vectors. */
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has(const json *step, const char *name) { return json_get(json_get(step, "args"), name) != NULL; }

static uint64_t count_arg(const json *step) { return has(step, "count") ? arg_u64(step, "count") : 1; }

static void expect_window(const json *step, weir_quantiles *q, uint64_t now) {
  weir_quantile_reading r;
  status_ok(weir_quantiles_quantile(q, now, 0.5, &r));
  expect_u64(step, "count", r.count);
}

void replay_quantile(const json *vector, const json *c, const json *steps) {
  weir_quantiles_config cfg;
  status_ok(weir_quantiles_config_default(&cfg));
  cfg.window_ns = cfg_u64(c, "window_ns", cfg.window_ns);
  cfg.sub_windows = cfg_u64(c, "sub_windows", cfg.sub_windows);
  weir_quantiles *q = NULL, *other = NULL;
  weir_status s = weir_quantiles_new(&cfg, &q);
  if (s == WEIR_STATUS_OK) s = weir_quantiles_new(&cfg, &other);
  if (!built(vector, s)) {
    weir_quantiles_free(&q);
    return;
  }
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "record") == 0) {
      const json *into = json_get(json_get(step, "args"), "into");
      bool to_other = into && into->kind == J_STRING && strcmp(into->text, "other") == 0;
      status_ok(weir_quantiles_record(to_other ? other : q, now, arg_u64(step, "value"), count_arg(step)));
    } else if (strcmp(op, "quantile") == 0) {
      double want_q = 0;
      CHECK(json_f64(json_get(json_get(step, "args"), "q"), &want_q));
      weir_quantile_reading r;
      status_ok(weir_quantiles_quantile(q, now, want_q, &r));
      const json *want = json_get(json_get(step, "expect"), "value");
      if (want && want->kind == J_NULL) {
        CHECK(r.found == 0);
      } else if (want) {
        CHECK(r.found == 1);
        expect_u64(step, "value", r.value_ns);
      }
    } else if (strcmp(op, "merge") == 0) {
      status_ok(weir_quantiles_merge(q, other, now));
    } else if (strcmp(op, "bucket") == 0) {
      uint64_t lower = 0, upper = 0;
      status_ok(weir_quantiles_bucket_bounds(arg_u64(step, "value"), &lower, &upper));
      expect_u64(step, "lower", lower);
      expect_u64(step, "upper", upper);
    } else {
      CHECK(!"unknown quantile op");
    }
    expect_window(step, q, now);
  }
  weir_quantiles_free(&q);
  weir_quantiles_free(&other);
}

static void expect_keys(const json *step, const weir_hot_key *got, size_t n) {
  const json *want = json_get(json_get(step, "expect"), "keys");
  if (!want) return;
  size_t i = 0;
  for (const json *k = want->child; k; k = k->next, i++) {
    uint64_t key = 0, count = 0, error = 0;
    bool ok = i < n && json_u64(json_get(k, "key"), &key) && json_u64(json_get(k, "count"), &count) &&
              json_u64(json_get(k, "error"), &error) && got[i].hash == key && got[i].count == count &&
              got[i].error == error;
    CHECK(ok);
    if (!ok) fprintf(stderr, "%s step %d: keys[%zu] differs\n", vec_file, vec_step, i);
  }
  CHECK(i == n);
}

void replay_hot_keys(const json *vector, const json *c, const json *steps) {
  weir_hot_keys_config cfg;
  status_ok(weir_hot_keys_config_default(&cfg));
  cfg.capacity = cfg_u64(c, "capacity", 0);
  cfg.half_life_ns = cfg_u64(c, "half_life_ns", cfg.half_life_ns);
  weir_hot_keys *hot = NULL;
  if (!built(vector, weir_hot_keys_new(&cfg, NULL, &hot))) return;
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "record") == 0) {
      uint64_t key = arg_u64(step, "key"), n = count_arg(step);
      for (uint64_t i = 0; i < n; i++) status_ok(weir_hot_keys_record_hashed(hot, now, key));
    } else if (strcmp(op, "top") == 0) {
      size_t k = (size_t)arg_u64(step, "k"), n = 0, keys_len = 0;
      weir_hot_key *top = calloc(k ? k : 1, sizeof *top);
      status_ok(weir_hot_keys_top(hot, now, k ? top : NULL, k, NULL, 0, &n, &keys_len));
      CHECK(n <= k && keys_len == 0);
      for (size_t i = 0; i < n; i++) CHECK(top[i].key_len == SIZE_MAX);
      expect_keys(step, top, n);
      free(top);
    } else if (strcmp(op, "estimate") == 0) {
      uint64_t count = 0, error = 0;
      status_ok(weir_hot_keys_estimate(hot, now, arg_u64(step, "key"), &count, &error));
      expect_u64(step, "count", count);
      expect_u64(step, "error", error);
    } else {
      CHECK(!"unknown hot_keys op");
    }
    uint64_t total = 0;
    status_ok(weir_hot_keys_total(hot, now, &total));
    expect_u64(step, "total", total);
  }
  weir_hot_keys_free(&hot);
}

void replay_hedge(const json *vector, const json *c, const json *steps) {
  weir_hedge_config cfg;
  status_ok(weir_hedge_config_default(&cfg));
  cfg.quantile = cfg_f64(c, "quantile", cfg.quantile);
  cfg.floor_ns = cfg_u64(c, "floor_ns", cfg.floor_ns);
  cfg.ceiling_ns = cfg_u64(c, "ceiling_ns", cfg.ceiling_ns);
  cfg.max_hedges = cfg_u64(c, "max_hedges", cfg.max_hedges);
  cfg.min_samples = cfg_u64(c, "min_samples", cfg.min_samples);
  weir_retry_budget_config budget;
  status_ok(weir_retry_budget_config_default(&budget));
  budget.ratio = cfg_f64(c, "ratio", budget.ratio);
  budget.min_per_second = cfg_u64(c, "min_per_second", budget.min_per_second);
  /* The vector's window_ns and buckets are the budget's; the latency window
   * keeps its default (the ask carries the estimate). */
  budget.window_ns = cfg_u64(c, "window_ns", budget.window_ns);
  budget.buckets = cfg_u64(c, "buckets", budget.buckets);
  weir_hedger *h = NULL;
  if (!built(vector, weir_hedger_new(&cfg, &budget, &h))) return;
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "deposit") == 0) {
      for (uint64_t i = 0, n = count_arg(step); i < n; i++) status_ok(weir_hedger_deposit(h, now));
    } else if (strcmp(op, "next") == 0 || strcmp(op, "plan") == 0) {
      weir_hedge_ask ask = {
          .started_at = arg_u64(step, "started_at"),
          .hedges_sent = arg_u64(step, "hedges_sent"),
          .has_quantile = has(step, "quantile_ns"),
          .quantile_ns = has(step, "quantile_ns") ? arg_u64(step, "quantile_ns") : 0,
          .samples = has(step, "samples") ? arg_u64(step, "samples") : 0,
          .deadline_left_ns = has(step, "deadline_left_ns") ? arg_u64(step, "deadline_left_ns") : UINT64_MAX,
      };
      weir_hedge_decision d;
      status_ok(weir_hedger_ask(h, now, &ask, strcmp(op, "next") == 0, &d));
      expect_str(step, "action", weir_hedge_action_str(d.action));
      expect_str(step, "reason", weir_reason_str(d.reason));
      expect_u64(step, "due", d.due);
      expect_u64(step, "delay", d.delay_ns);
    } else {
      CHECK(!"unknown hedge op");
    }
    uint64_t requests = 0, retries = 0;
    status_ok(weir_hedger_budget(h, now, &requests, &retries));
    expect_u64(step, "requests", requests);
    expect_u64(step, "retries", retries);
  }
  weir_hedger_free(&h);
}
