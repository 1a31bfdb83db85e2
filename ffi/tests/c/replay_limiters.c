/* limiter, keyed_limiter, multi_limiter and concurrency_limiter vectors. */
#include "vectors.h"

static weir_limiter_config limiter_config(const json *c) {
  weir_limiter_config cfg = {
      .rate = cfg_u64(c, "rate", 0), .period_ns = cfg_u64(c, "period_ns", SECOND), .burst = cfg_u64(c, "burst", 0)};
  return cfg;
}

/* A set_rate step's status: OK, or the refusal naming expect.error's field. */
static void expect_set(const json *step, weir_status s) {
  const json *expect = json_get(step, "expect");
  const json *field = expect ? json_get(expect, "error") : NULL;
  if (!field) {
    status_ok(s);
    return;
  }
  bool ok = s == WEIR_STATUS_INVALID_CONFIG && last_field_is(field->text);
  CHECK(ok);
  if (!ok) fprintf(stderr, "%s step %d: want set_rate refused for %s, got %s (%s)\n", vec_file, vec_step,
                   field->text, weir_status_str(s), weir_last_error_field());
}

void replay_limiter(const json *vector, const json *config, const json *steps) {
  weir_limiter_config cfg = limiter_config(config);
  weir_limiter *l = NULL;
  if (!built(vector, weir_limiter_new(&cfg, &l))) return;
  FOR_STEPS(steps, step) {
    weir_decision d;
    if (strcmp(op_of(step), "set_rate") == 0) {
      weir_limiter_config next = limiter_config(json_get(step, "args"));
      expect_set(step, weir_limiter_set_config(l, &next, STEP_AT(step)));
      continue;
    }
    CHECK(strcmp(op_of(step), "acquire") == 0);
    status_ok(weir_limiter_acquire(l, STEP_AT(step), arg_u64(step, "cost"), &d));
    expect_decision(step, &d);
  }
  weir_limiter_free(&l);
}

void replay_keyed_limiter(const json *vector, const json *config, const json *steps) {
  weir_limiter_config cfg = limiter_config(config);
  weir_keyed_limiter *k = NULL;
  if (!built(vector, weir_keyed_limiter_new(&cfg, cfg_u64(config, "capacity", 0), NULL, &k))) return;
  FOR_STEPS(steps, step) {
    weir_decision d;
    uint64_t now = STEP_AT(step), live = 0;
    if (strcmp(op_of(step), "set_rate") == 0) {
      weir_limiter_config next = limiter_config(json_get(step, "args"));
      expect_set(step, weir_keyed_limiter_set_config(k, &next, now));
      continue;
    }
    CHECK(strcmp(op_of(step), "acquire") == 0);
    status_ok(weir_keyed_limiter_acquire(k, arg_u64(step, "key"), now, arg_u64(step, "cost"), &d));
    expect_decision(step, &d);
    status_ok(weir_keyed_limiter_live(k, now, &live));
    expect_u64(step, "live", live);
  }
  weir_keyed_limiter_free(&k);
}

void replay_multi_limiter(const json *vector, const json *config, const json *steps) {
  weir_limiter_config rates[8];
  size_t count = 0;
  const json *list = json_get(config, "rates");
  for (const json *r = list ? list->child : NULL; r && count < 8; r = r->next) rates[count++] = limiter_config(r);
  weir_multi_limiter *m = NULL;
  if (!built(vector, weir_multi_limiter_new(rates, count, &m))) return;
  FOR_STEPS(steps, step) {
    if (strcmp(op_of(step), "set_rate") == 0) {
      weir_limiter_config next = limiter_config(json_get(step, "args"));
      expect_set(step, weir_multi_limiter_set_config(m, (size_t)arg_u64(step, "index"), &next, STEP_AT(step)));
      continue;
    }
    weir_decision d;
    CHECK(strcmp(op_of(step), "acquire") == 0);
    status_ok(weir_multi_limiter_acquire(m, STEP_AT(step), arg_u64(step, "cost"), &d));
    expect_decision(step, &d);
  }
  weir_multi_limiter_free(&m);
}

void replay_concurrency_limiter(const json *vector, const json *config, const json *steps) {
  weir_concurrency_limiter *c = NULL;
  if (!built(vector, weir_concurrency_limiter_new(cfg_u64(config, "max_in_flight", 0), &c))) return;
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    if (strcmp(op, "acquire") == 0) {
      weir_decision d;
      status_ok(weir_concurrency_limiter_acquire(c, &d));
      expect_decision(step, &d);
    } else if (strcmp(op, "release") == 0) {
      weir_status s = weir_concurrency_limiter_release(c);
      CHECK(s == WEIR_STATUS_OK || s == WEIR_STATUS_NOT_FOUND);
      expect_bool(step, "released", s == WEIR_STATUS_OK);
    } else {
      CHECK(!"unknown op");
    }
    uint64_t in_flight = 0;
    status_ok(weir_concurrency_limiter_in_flight(c, &in_flight));
    expect_u64(step, "in_flight", in_flight);
  }
  weir_concurrency_limiter_free(&c);
}
