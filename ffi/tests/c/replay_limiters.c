/* limiter, keyed_limiter and concurrency_limiter vectors. */
#include "vectors.h"

static weir_limiter_config limiter_config(const json *c) {
  weir_limiter_config cfg = {
      .rate = cfg_u64(c, "rate", 0), .period_ns = cfg_u64(c, "period_ns", SECOND), .burst = cfg_u64(c, "burst", 0)};
  return cfg;
}

void replay_limiter(const json *vector, const json *config, const json *steps) {
  weir_limiter_config cfg = limiter_config(config);
  weir_limiter *l = NULL;
  if (!built(vector, weir_limiter_new(&cfg, &l))) return;
  FOR_STEPS(steps, step) {
    weir_decision d;
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
    CHECK(strcmp(op_of(step), "acquire") == 0);
    status_ok(weir_keyed_limiter_acquire(k, arg_u64(step, "key"), now, arg_u64(step, "cost"), &d));
    expect_decision(step, &d);
    status_ok(weir_keyed_limiter_live(k, now, &live));
    expect_u64(step, "live", live);
  }
  weir_keyed_limiter_free(&k);
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
