/* Shared by the per-primitive vector replays. */
#ifndef WEIR_TEST_VECTORS_H
#define WEIR_TEST_VECTORS_H

#include "json.h"
#include "tests.h"

extern const char *vec_file;
extern int vec_step;

uint64_t cfg_u64(const json *config, const char *name, uint64_t fallback);
double cfg_f64(const json *config, const char *name, double fallback);
uint64_t arg_u64(const json *step, const char *name);
bool arg_bool(const json *step, const char *name);
bool has_arg(const json *step, const char *name);
const char *arg_str(const json *step, const char *name);
const char *op_of(const json *step);
void expect_u64(const json *step, const char *name, uint64_t actual);
void expect_str(const json *step, const char *name, const char *actual);
void expect_bool(const json *step, const char *name, bool actual);
void expect_decision(const json *step, const weir_decision *d);
void expect_ok(const json *step, weir_status s);
void expect_parse(const json *step, weir_status s, uint64_t ns);
void status_ok(weir_status s);
bool built(const json *vector, weir_status new_status);

#define FOR_STEPS(steps, step) \
  vec_step = 0;                \
  for (const json *step = (steps) ? (steps)->child : NULL; step; step = step->next, vec_step++)

#define STEP_AT(step) cfg_u64(step, "at", 0)

void replay_limiter(const json *vector, const json *config, const json *steps);
void replay_keyed_limiter(const json *vector, const json *config, const json *steps);
void replay_multi_limiter(const json *vector, const json *config, const json *steps);
void replay_concurrency_limiter(const json *vector, const json *config, const json *steps);
void replay_shedder(const json *vector, const json *config, const json *steps);
void replay_throttle(const json *vector, const json *config, const json *steps);
void replay_lease(const json *vector, const json *config, const json *steps);

void replay_picker(const json *vector, const json *config, const json *steps);
void replay_backoff(const json *vector, const json *config, const json *steps);
void replay_retry_budget(const json *vector, const json *config, const json *steps);
void replay_singleflight(const json *vector, const json *config, const json *steps);
void replay_deadline(const json *vector, const json *config, const json *steps);
void replay_breaker(const json *vector, const json *config, const json *steps);
void replay_adaptive_limit(const json *vector, const json *config, const json *steps);
void replay_quantile(const json *vector, const json *config, const json *steps);
void replay_hot_keys(const json *vector, const json *config, const json *steps);
void replay_hedge(const json *vector, const json *config, const json *steps);

#endif
