/* breaker vectors: permits numbered in admission order, every transition a
 * step caused compared in order, the snapshot checked after every op. */
#include "vectors.h"

#include <stdlib.h>

#define MAX_MOVES 4

static void expect_transitions(const json *step, const weir_breaker_transition *got, int n) {
  const json *want = json_get(json_get(step, "expect"), "transitions");
  if (!want) return;
  int count = 0;
  for (const json *w = want->child; w; w = w->next) count++;
  if (count != n) {
    check_failed++;
    fprintf(stderr, "%s step %d: want %d transitions, got %d\n", vec_file, vec_step, count, n);
    return;
  }
  int i = 0;
  for (const json *w = want->child; w; w = w->next, i++) {
    const weir_breaker_transition *t = &got[i];
    const struct { const char *name; const char *actual; } names[] = {
        {"from", weir_breaker_state_str(t->from)},
        {"to", weir_breaker_state_str(t->to)},
        {"cause", weir_breaker_cause_str(t->cause)},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
      const json *v = json_get(w, names[k].name);
      if (!v) continue;
      bool ok = v->kind == J_STRING && strcmp(v->text, names[k].actual) == 0;
      CHECK(ok);
      if (!ok) fprintf(stderr, "%s step %d: transition %s: want %s, got %s\n", vec_file, vec_step, names[k].name, v->text, names[k].actual);
    }
    const struct { const char *name; uint64_t actual; } counts[] = {
        {"calls", t->calls},
        {"failures", t->failures},
        {"slow", t->slow},
        {"consecutive_failures", t->consecutive_failures},
    };
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
      uint64_t v;
      if (!json_get(w, counts[k].name)) continue;
      bool ok = json_u64(json_get(w, counts[k].name), &v) && v == counts[k].actual;
      CHECK(ok);
      if (!ok) fprintf(stderr, "%s step %d: transition %s: got %llu\n", vec_file, vec_step, counts[k].name, (unsigned long long)counts[k].actual);
    }
  }
}

static uint64_t arg_or(const json *step, const char *name, uint64_t fallback) {
  uint64_t v;
  return json_u64(json_get(json_get(step, "args"), name), &v) ? v : fallback;
}

void replay_breaker(const json *vector, const json *c, const json *steps) {
  weir_breaker_config cfg;
  status_ok(weir_breaker_config_default(&cfg));
  const json *window = json_get(c, "window");
  if (window && window->kind == J_STRING) cfg.window = strcmp(window->text, "time") == 0 ? WEIR_BREAKER_WINDOW_TIME : WEIR_BREAKER_WINDOW_COUNT;
  cfg.window_calls = cfg_u64(c, "window_calls", cfg.window_calls);
  cfg.window_ns = cfg_u64(c, "window_ns", cfg.window_ns);
  cfg.buckets = cfg_u64(c, "buckets", cfg.buckets);
  cfg.minimum_calls = cfg_u64(c, "minimum_calls", cfg.minimum_calls);
  cfg.failure_rate_threshold = cfg_f64(c, "failure_rate_threshold", cfg.failure_rate_threshold);
  cfg.slow_call_rate_threshold = cfg_f64(c, "slow_call_rate_threshold", cfg.slow_call_rate_threshold);
  cfg.slow_call_ns = cfg_u64(c, "slow_call_ns", cfg.slow_call_ns);
  cfg.consecutive_failures = cfg_u64(c, "consecutive_failures", cfg.consecutive_failures);
  cfg.open_ns = cfg_u64(c, "open_ns", cfg.open_ns);
  cfg.half_open_probes = cfg_u64(c, "half_open_probes", cfg.half_open_probes);
  cfg.half_open_max_ns = cfg_u64(c, "half_open_max_ns", cfg.half_open_max_ns);
  weir_breaker *b = NULL;
  if (!built(vector, weir_breaker_new(&cfg, &b))) return;
  size_t held = 0, room = 16;
  weir_breaker_permit *permits = malloc(room * sizeof *permits);
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    weir_breaker_transition moves[MAX_MOVES], t;
    int n = 0;
    if (strcmp(op, "acquire") == 0 || strcmp(op, "call") == 0) {
      weir_decision d;
      weir_breaker_permit p;
      status_ok(weir_breaker_acquire(b, now, &d, &p, &t));
      if (t.moved) moves[n++] = t;
      expect_decision(step, &d);
      expect_bool(step, "probe", d.admitted && p.probe);
      if (d.admitted && strcmp(op, "acquire") == 0) {
        if (held == room) permits = realloc(permits, (room *= 2) * sizeof *permits);
        permits[held++] = p;
      } else if (d.admitted) {
        status_ok(weir_breaker_record(b, now, &p, arg_bool(step, "failed"), arg_or(step, "duration_ns", 0), &t));
        if (t.moved) moves[n++] = t;
      }
    } else if (strcmp(op, "record") == 0 || strcmp(op, "release") == 0) {
      uint64_t k = arg_u64(step, "permit");
      if (k >= held) {
        check_failed++;
        fprintf(stderr, "%s step %d: no permit %llu\n", vec_file, vec_step, (unsigned long long)k);
        continue;
      }
      if (strcmp(op, "record") == 0) {
        status_ok(weir_breaker_record(b, now, &permits[k], arg_bool(step, "failed"), arg_or(step, "duration_ns", 0), &t));
        if (t.moved) moves[n++] = t;
      } else {
        bool released = false;
        status_ok(weir_breaker_release(b, &permits[k], &released));
        expect_bool(step, "released", released);
      }
    } else if (strcmp(op, "force_open") == 0) {
      status_ok(weir_breaker_force_open(b, now, &t));
      if (t.moved) moves[n++] = t;
    } else if (strcmp(op, "disable") == 0) {
      status_ok(weir_breaker_disable(b, now, &t));
      if (t.moved) moves[n++] = t;
    } else if (strcmp(op, "reset") == 0) {
      status_ok(weir_breaker_reset(b, now, &t));
      if (t.moved) moves[n++] = t;
    } else {
      CHECK(!"unknown op");
    }
    expect_transitions(step, moves, n);
    /* Every move was also queued, in order, for event delivery. */
    for (int i = 0; i < n; i++) {
      weir_breaker_transition e;
      status_ok(weir_breaker_next_event(b, &e));
      CHECK(e.to == moves[i].to && e.cause == moves[i].cause && e.at == now);
    }
    weir_breaker_stats st;
    status_ok(weir_breaker_snapshot(b, now, &st));
    expect_str(step, "state", weir_breaker_state_str(st.state));
    expect_u64(step, "calls", st.calls);
    expect_u64(step, "failures", st.failures);
    expect_u64(step, "slow", st.slow);
    expect_u64(step, "consecutive_failures", st.consecutive_failures);
    expect_u64(step, "probes_issued", st.probes_issued);
    expect_u64(step, "probes_returned", st.probes_returned);
    expect_u64(step, "open_left", st.open_left_ns);
  }
  free(permits);
  weir_breaker_free(&b);
}
