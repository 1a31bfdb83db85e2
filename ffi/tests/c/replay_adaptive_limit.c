/* adaptive_limit vectors: permits numbered in admission order (a `cycle`
 * keeps its own), the snapshot checked after every op. */
#include "vectors.h"

#include <stdlib.h>

static uint32_t outcome_of(const json *step) {
  const json *o = json_get(json_get(step, "args"), "outcome");
  if (!o || o->kind != J_STRING || strcmp(o->text, "success") == 0) return WEIR_ADAPTIVE_OUTCOME_SUCCESS;
  if (strcmp(o->text, "dropped") == 0) return WEIR_ADAPTIVE_OUTCOME_DROPPED;
  if (strcmp(o->text, "ignored") == 0) return WEIR_ADAPTIVE_OUTCOME_IGNORED;
  check_failed++;
  fprintf(stderr, "%s step %d: unknown outcome %s\n", vec_file, vec_step, o->text);
  return WEIR_ADAPTIVE_OUTCOME_IGNORED;
}

void replay_adaptive_limit(const json *vector, const json *c, const json *steps) {
  const json *name = json_get(c, "algorithm");
  uint32_t algorithm = WEIR_ADAPTIVE_ALGORITHM_GRADIENT2;
  if (name && name->kind == J_STRING && strcmp(name->text, "vegas") == 0) algorithm = WEIR_ADAPTIVE_ALGORITHM_VEGAS;
  if (name && name->kind == J_STRING && strcmp(name->text, "aimd") == 0) algorithm = WEIR_ADAPTIVE_ALGORITHM_AIMD;
  weir_adaptive_limit_config cfg;
  status_ok(weir_adaptive_limit_config_default(algorithm, &cfg));
  cfg.initial_limit = cfg_u64(c, "initial_limit", cfg.initial_limit);
  cfg.min_limit = cfg_u64(c, "min_limit", cfg.min_limit);
  cfg.max_limit = cfg_u64(c, "max_limit", cfg.max_limit);
  cfg.smoothing = cfg_f64(c, "smoothing", cfg.smoothing);
  cfg.rtt_tolerance = cfg_f64(c, "rtt_tolerance", cfg.rtt_tolerance);
  cfg.long_window = cfg_u64(c, "long_window", cfg.long_window);
  cfg.queue_size = cfg_u64(c, "queue_size", cfg.queue_size);
  cfg.alpha = cfg_u64(c, "alpha", cfg.alpha);
  cfg.beta = cfg_u64(c, "beta", cfg.beta);
  cfg.probe_multiplier = cfg_u64(c, "probe_multiplier", cfg.probe_multiplier);
  cfg.backoff_ratio = cfg_f64(c, "backoff_ratio", cfg.backoff_ratio);
  cfg.timeout_ns = cfg_u64(c, "timeout_ns", cfg.timeout_ns);
  weir_adaptive_limit *l = NULL;
  if (!built(vector, weir_adaptive_limit_new(&cfg, &l))) return;
  size_t held = 0, room = 16;
  weir_adaptive_permit *permits = malloc(room * sizeof *permits);
  bool *released = malloc(room * sizeof *released);
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    if (strcmp(op, "acquire") == 0) {
      weir_decision d;
      weir_adaptive_permit p;
      status_ok(weir_adaptive_limit_acquire(l, 0, &d, &p));
      expect_decision(step, &d);
      if (d.admitted) {
        if (held == room) {
          room *= 2;
          permits = realloc(permits, room * sizeof *permits);
          released = realloc(released, room * sizeof *released);
        }
        released[held] = false;
        permits[held++] = p;
      }
    } else if (strcmp(op, "release") == 0) {
      uint64_t k = arg_u64(step, "permit");
      if (k >= held || released[k]) {
        check_failed++;
        fprintf(stderr, "%s step %d: permit %llu not held\n", vec_file, vec_step, (unsigned long long)k);
        continue;
      }
      released[k] = true;
      status_ok(weir_adaptive_limit_release(l, &permits[k], arg_u64(step, "rtt_ns"), outcome_of(step), NULL));
    } else if (strcmp(op, "cycle") == 0) {
      uint64_t rounds = 1, concurrent = arg_u64(step, "concurrent"), rtt = arg_u64(step, "rtt_ns");
      json_u64(json_get(json_get(step, "args"), "rounds"), &rounds);
      uint32_t outcome = outcome_of(step);
      weir_adaptive_permit *cycle = malloc((concurrent ? concurrent : 1) * sizeof *cycle);
      for (uint64_t r = 0; r < rounds; r++) {
        uint64_t n = 0;
        for (; n < concurrent; n++) {
          weir_decision d;
          status_ok(weir_adaptive_limit_acquire(l, 0, &d, &cycle[n]));
          if (!d.admitted) break;
        }
        for (uint64_t i = 0; i < n; i++) status_ok(weir_adaptive_limit_release(l, &cycle[i], rtt, outcome, NULL));
      }
      free(cycle);
    } else {
      CHECK(!"unknown op");
    }
    weir_adaptive_limit_stats st;
    status_ok(weir_adaptive_limit_snapshot(l, &st));
    expect_u64(step, "limit", st.limit);
    expect_u64(step, "in_flight", st.in_flight);
    expect_u64(step, "estimate_milli", (uint64_t)(st.estimate * 1000.0));
    expect_u64(step, "baseline_rtt_ns", (uint64_t)st.baseline_rtt_ns);
  }
  free(permits);
  free(released);
  weir_adaptive_limit_free(&l);
}
