/* picker, backoff, retry_budget, singleflight and deadline vectors. */
#include "vectors.h"

#include <stdio.h>

static bool has_arg(const json *step, const char *name) { return json_get(json_get(step, "args"), name) != NULL; }

static const char *arg_str(const json *step, const char *name) {
  const json *v = json_get(json_get(step, "args"), name);
  return v && v->kind == J_STRING ? v->text : "";
}

static void expect_ok(const json *step, weir_status s) {
  CHECK(s == WEIR_STATUS_OK || s == WEIR_STATUS_NOT_FOUND);
  expect_bool(step, "ok", s == WEIR_STATUS_OK);
}

void replay_picker(const json *vector, const json *c, const json *steps) {
  weir_picker_config cfg;
  status_ok(weir_picker_config_default(&cfg));
  cfg.tau_ns = cfg_u64(c, "tau_ns", cfg.tau_ns);
  cfg.force_pick_ns = cfg_u64(c, "force_pick_ns", cfg.force_pick_ns);
  cfg.success_floor = cfg_f64(c, "success_floor", cfg.success_floor);
  cfg.cpu_ceiling = cfg_u64(c, "cpu_ceiling", cfg.cpu_ceiling);
  cfg.latency_bias_ns = cfg_u64(c, "latency_bias_ns", cfg.latency_bias_ns);
  cfg.initial_latency_ns = cfg_u64(c, "initial_latency_ns", cfg.initial_latency_ns);
  weir_picker *p = NULL;
  if (!built(vector, weir_picker_new(&cfg, cfg_u64(c, "capacity", 0), &p))) return;
  static const char *STATES[] = {"empty", "up", "down", "adding"};
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "add") == 0) {
      uint32_t index = 0;
      weir_status s = weir_picker_add(p, arg_u64(step, "id"), now, &index);
      CHECK(s == WEIR_STATUS_OK || s == WEIR_STATUS_FULL);
      expect_str(step, "reason", s == WEIR_STATUS_OK ? "admitted" : "table_full");
      if (s == WEIR_STATUS_OK) expect_u64(step, "index", index);
    } else if (strcmp(op, "remove") == 0) {
      expect_ok(step, weir_picker_remove(p, (uint32_t)arg_u64(step, "index")));
    } else if (strcmp(op, "set_up") == 0) {
      expect_ok(step, weir_picker_set_up(p, (uint32_t)arg_u64(step, "index"), arg_bool(step, "up")));
    } else if (strcmp(op, "pick") == 0) {
      weir_pick pick;
      status_ok(weir_picker_pick(p, now, arg_u64(step, "draw"), &pick));
      expect_str(step, "reason", weir_reason_str(pick.reason));
      expect_u64(step, "index", pick.index);
      expect_u64(step, "gen", pick.gen);
      expect_bool(step, "forced", pick.forced != 0);
    } else if (strcmp(op, "done") == 0) {
      weir_pick pick = {.reason = WEIR_REASON_ADMITTED,
                        .index = (uint32_t)arg_u64(step, "index"),
                        .gen = (uint32_t)arg_u64(step, "gen")};
      int32_t cpu = has_arg(step, "cpu_permille") ? (int32_t)arg_u64(step, "cpu_permille") : -1;
      expect_ok(step, weir_picker_done(p, &pick, now, arg_u64(step, "latency_ns"), arg_bool(step, "success"), cpu));
    } else if (strcmp(op, "node") == 0) {
      weir_node_stats n;
      status_ok(weir_picker_node(p, (uint32_t)arg_u64(step, "index"), &n));
      expect_str(step, "state", n.state < 4 ? STATES[n.state] : "?");
      expect_u64(step, "in_flight", n.in_flight);
      expect_u64(step, "latency_ns", (uint64_t)n.latency_ns);
      expect_u64(step, "success_ppm", (uint64_t)(n.success * 1e6));
      expect_u64(step, "cpu_permille", n.cpu_permille);
      expect_u64(step, "id", n.id);
    } else {
      CHECK(!"unknown picker op");
    }
  }
  weir_picker_free(&p);
}

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

static void expect_parse(const json *step, weir_status s, uint64_t ns) {
  if (s == WEIR_STATUS_OK) {
    expect_u64(step, "ns", ns);
    CHECK(json_get(json_get(step, "expect"), "error") == NULL);
  } else {
    CHECK(s == WEIR_STATUS_INVALID_HEADER);
    expect_str(step, "error", weir_last_error_message());
    CHECK(json_get(json_get(step, "expect"), "ns") == NULL);
  }
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

void replay_singleflight(const json *vector, const json *c, const json *steps) {
  weir_singleflight *t = NULL;
  if (!built(vector, weir_singleflight_new(cfg_u64(c, "capacity", 0), NULL, &t))) return;
  static const char *ROLES[] = {"leader", "follower", "table_full"};
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    uint32_t slot = 0, gen = 0;
    if (strcmp(op, "begin") == 0) {
      weir_flight f;
      status_ok(weir_singleflight_begin(t, arg_u64(step, "key"), &f));
      expect_str(step, "role", f.role < 3 ? ROLES[f.role] : "?");
      expect_u64(step, "slot", f.slot);
      expect_u64(step, "gen", f.gen);
    } else if (strcmp(op, "is_done") == 0) {
      bool done = false;
      status_ok(weir_singleflight_is_done(t, (uint32_t)arg_u64(step, "slot"), (uint32_t)arg_u64(step, "gen"), &done));
      expect_bool(step, "done", done);
    } else if (strcmp(op, "finish") == 0 || strcmp(op, "leave") == 0) {
      slot = (uint32_t)arg_u64(step, "slot");
      gen = (uint32_t)arg_u64(step, "gen");
      weir_status s = op[0] == 'f' ? weir_singleflight_finish(t, slot, gen) : weir_singleflight_leave(t, slot, gen);
      expect_ok(step, s);
      uint32_t state = 0;
      uint64_t waiters = 0;
      status_ok(weir_singleflight_slot(t, slot, &state, &waiters));
      expect_u64(step, "waiters", waiters);
    } else {
      CHECK(!"unknown singleflight op");
    }
    uint64_t occupied = 0;
    status_ok(weir_singleflight_occupied(t, &occupied));
    expect_u64(step, "occupied", occupied);
  }
  weir_singleflight_free(&t);
}

void replay_deadline(const json *vector, const json *c, const json *steps) {
  weir_deadline_config cfg = {.timeout_ns = cfg_u64(c, "timeout_ns", UINT64_MAX), .margin_ns = cfg_u64(c, "margin_ns", 0)};
  weir_deadline *d = NULL;
  if (!built(vector, weir_deadline_new(&cfg, &d))) return;
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    uint64_t ns = 0;
    if (strcmp(op, "budget") == 0) {
      weir_deadline_answer b;
      bool has = has_arg(step, "deadline_ns");
      status_ok(weir_deadline_budget(d, STEP_AT(step), has, has ? arg_u64(step, "deadline_ns") : 0, &b));
      expect_str(step, "reason", weir_reason_str(b.reason));
      expect_u64(step, "timeout_ns", b.timeout_ns);
    } else if (strcmp(op, "parse_grpc_timeout") == 0 || strcmp(op, "parse_millis") == 0) {
      const char *v = arg_str(step, "value");
      weir_status s = op[6] == 'g' ? weir_parse_grpc_timeout((const uint8_t *)v, strlen(v), &ns)
                                   : weir_parse_millis((const uint8_t *)v, strlen(v), &ns);
      expect_parse(step, s, ns);
    } else if (strcmp(op, "format_grpc_timeout") == 0 || strcmp(op, "format_millis") == 0) {
      uint8_t buf[32];
      size_t len = has_arg(step, "buf_len") ? (size_t)arg_u64(step, "buf_len") : sizeof buf;
      if (len > sizeof buf) len = sizeof buf;
      size_t written = 0;
      weir_status s = op[7] == 'g' ? weir_format_grpc_timeout(arg_u64(step, "ns"), buf, len, &written)
                                   : weir_format_millis(arg_u64(step, "ns"), buf, len, &written);
      if (s == WEIR_STATUS_OK) {
        char text[33];
        memcpy(text, buf, written);
        text[written] = '\0';
        expect_str(step, "value", text);
      } else {
        CHECK(s == WEIR_STATUS_BUFFER_TOO_SMALL);
        expect_str(step, "error", weir_last_error_message());
      }
    } else {
      CHECK(!"unknown deadline op");
    }
  }
  weir_deadline_free(&d);
}
