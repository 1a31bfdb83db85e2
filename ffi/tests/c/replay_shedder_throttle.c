/* shedder and throttle vectors. */
#include "vectors.h"

void replay_shedder(const json *vector, const json *c, const json *steps) {
  weir_shedder_config cfg;
  status_ok(weir_shedder_config_default(&cfg));
  cfg.window_ns = cfg_u64(c, "window_ns", cfg.window_ns);
  cfg.buckets = cfg_u64(c, "buckets", cfg.buckets);
  cfg.cpu_threshold = cfg_u64(c, "cpu_threshold", cfg.cpu_threshold);
  cfg.cpu_decay = cfg_f64(c, "cpu_decay", cfg.cpu_decay);
  cfg.cool_off_ns = cfg_u64(c, "cool_off_ns", cfg.cool_off_ns);
  cfg.max_queue = cfg_u64(c, "max_queue", cfg.max_queue);
  weir_shedder *s = NULL;
  if (!built(vector, weir_shedder_new(&cfg, &s))) return;
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "acquire") == 0) {
      weir_decision d;
      status_ok(weir_shedder_acquire(s, now, &d));
      expect_decision(step, &d);
    } else if (strcmp(op, "done") == 0) {
      status_ok(weir_shedder_done(s, arg_u64(step, "started_at"), now));
    } else if (strcmp(op, "cpu") == 0) {
      double cpu = 0;
      status_ok(weir_shedder_record_cpu(s, arg_u64(step, "permille"), &cpu));
      expect_u64(step, "cpu", (uint64_t)cpu);
    } else {
      CHECK(!"unknown op");
    }
    weir_shedder_stats st;
    status_ok(weir_shedder_snapshot(s, now, &st));
    expect_u64(step, "in_flight", st.in_flight);
    expect_u64(step, "max_in_flight", st.max_in_flight);
  }
  weir_shedder_free(&s);
}

void replay_throttle(const json *vector, const json *c, const json *steps) {
  weir_throttle_config cfg;
  status_ok(weir_throttle_config_default(&cfg));
  cfg.k = cfg_f64(c, "k", cfg.k);
  cfg.window_ns = cfg_u64(c, "window_ns", cfg.window_ns);
  cfg.buckets = cfg_u64(c, "buckets", cfg.buckets);
  cfg.min_requests = cfg_u64(c, "min_requests", cfg.min_requests);
  cfg.max_reject_probability = cfg_f64(c, "max_reject_probability", cfg.max_reject_probability);
  weir_throttle *t = NULL;
  if (!built(vector, weir_throttle_new(&cfg, &t))) return;
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    weir_throttle_stats st;
    status_ok(weir_throttle_snapshot(t, now, &st));
    expect_u64(step, "reject_probability_ppm", (uint64_t)(st.reject_probability * 1e6));
    const char *op = op_of(step);
    if (strcmp(op, "acquire") == 0) {
      weir_decision d;
      status_ok(weir_throttle_acquire(t, now, arg_u64(step, "draw"), &d));
      expect_decision(step, &d);
    } else if (strcmp(op, "record") == 0) {
      status_ok(weir_throttle_record(t, now, arg_bool(step, "success")));
    } else if (strcmp(op, "forget") == 0) {
      status_ok(weir_throttle_forget(t, arg_u64(step, "acquired_at")));
    } else {
      CHECK(!"unknown op");
    }
  }
  weir_throttle_free(&t);
}
