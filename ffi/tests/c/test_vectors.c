/* Replays every core/tests/vectors JSON file through the C ABI (format in that
 * folder's README): one handle per file, steps in order, every `expect`
 * field compared. */
#include "tests.h"
#include "vectors.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

const char *vec_file;
int vec_step;

uint64_t cfg_u64(const json *config, const char *name, uint64_t fallback) {
  uint64_t v;
  return json_u64(json_get(config, name), &v) ? v : fallback;
}

double cfg_f64(const json *config, const char *name, double fallback) {
  double v;
  return json_f64(json_get(config, name), &v) ? v : fallback;
}

uint64_t arg_u64(const json *step, const char *name) {
  uint64_t v = 0;
  if (!json_u64(json_get(json_get(step, "args"), name), &v)) {
    check_failed++;
    fprintf(stderr, "%s step %d: no integer args.%s\n", vec_file, vec_step, name);
  }
  return v;
}

bool arg_bool(const json *step, const char *name) {
  const json *v = json_get(json_get(step, "args"), name);
  if (!v || v->kind != J_BOOL) {
    check_failed++;
    fprintf(stderr, "%s step %d: no boolean args.%s\n", vec_file, vec_step, name);
    return false;
  }
  return v->boolean;
}

bool has_arg(const json *step, const char *name) { return json_get(json_get(step, "args"), name) != NULL; }

const char *arg_str(const json *step, const char *name) {
  const json *v = json_get(json_get(step, "args"), name);
  return v && v->kind == J_STRING ? v->text : "";
}

const char *op_of(const json *step) {
  const json *op = json_get(step, "op");
  return op && op->kind == J_STRING ? op->text : "";
}

void expect_u64(const json *step, const char *name, uint64_t actual) {
  const json *want = json_get(json_get(step, "expect"), name);
  if (!want) return;
  uint64_t w;
  if (json_u64(want, &w) && w == actual) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "%s step %d: %s: want %s, got %llu\n", vec_file, vec_step, name, want->text ? want->text : "?",
            (unsigned long long)actual);
  }
}

void expect_str(const json *step, const char *name, const char *actual) {
  const json *want = json_get(json_get(step, "expect"), name);
  if (!want) return;
  if (want->kind == J_STRING && strcmp(want->text, actual) == 0) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "%s step %d: %s: want %s, got %s\n", vec_file, vec_step, name, want->text ? want->text : "?", actual);
  }
}

void expect_bool(const json *step, const char *name, bool actual) {
  const json *want = json_get(json_get(step, "expect"), name);
  if (!want) return;
  if (want->kind == J_BOOL && want->boolean == actual) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "%s step %d: %s: want %d, got %d\n", vec_file, vec_step, name, want->boolean, actual);
  }
}

/* `ok`: whether the call found what it acted on (NOT_FOUND is false). */
void expect_ok(const json *step, weir_status s) {
  CHECK(s == WEIR_STATUS_OK || s == WEIR_STATUS_NOT_FOUND);
  expect_bool(step, "ok", s == WEIR_STATUS_OK);
}

/* A header parse: `ns`, or the `error` it was refused with. */
void expect_parse(const json *step, weir_status s, uint64_t ns) {
  if (s == WEIR_STATUS_OK) {
    expect_u64(step, "ns", ns);
    CHECK(json_get(json_get(step, "expect"), "error") == NULL);
  } else {
    CHECK(s == WEIR_STATUS_INVALID_HEADER);
    expect_str(step, "error", weir_last_error_message());
    CHECK(json_get(json_get(step, "expect"), "ns") == NULL);
  }
}

void expect_decision(const json *step, const weir_decision *d) {
  expect_str(step, "reason", weir_reason_str(d->reason));
  expect_u64(step, "retry_after", d->retry_after_ns);
  expect_u64(step, "remaining", d->remaining);
  expect_u64(step, "reset_after", d->reset_after_ns);
}

void status_ok(weir_status s) {
  if (s == WEIR_STATUS_OK) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "%s step %d: status %s: %s\n", vec_file, vec_step, weir_status_str(s), weir_last_error_message());
  }
}

/* Builds with `new_status` already computed by the replay: a vector that
 * expects a config error must have got one naming its field. */
bool built(const json *vector, weir_status new_status) {
  const json *want = json_get(vector, "expect_config_error");
  if (want) {
    const json *field = json_get(want, "field");
    bool ok = new_status == WEIR_STATUS_INVALID_CONFIG && field && field->kind == J_STRING && last_field_is(field->text);
    CHECK(ok);
    if (!ok) fprintf(stderr, "%s: want config error on %s, got %s (%s)\n", vec_file, field ? field->text : "?",
                     weir_status_str(new_status), weir_last_error_field());
    return false;
  }
  if (new_status != WEIR_STATUS_OK) {
    check_failed++;
    fprintf(stderr, "%s: config refused: %s\n", vec_file, weir_last_error_message());
    return false;
  }
  return true;
}

static const struct {
  const char *primitive;
  void (*replay)(const json *vector, const json *config, const json *steps);
} ROUTES[] = {
    {"limiter", replay_limiter},
    {"keyed_limiter", replay_keyed_limiter},
    {"multi_limiter", replay_multi_limiter},
    {"concurrency_limiter", replay_concurrency_limiter},
    {"shedder", replay_shedder},
    {"throttle", replay_throttle},
    {"lease", replay_lease},
    {"picker", replay_picker},
    {"backoff", replay_backoff},
    {"retry_budget", replay_retry_budget},
    {"singleflight", replay_singleflight},
    {"deadline", replay_deadline},
    {"breaker", replay_breaker},
    {"adaptive_limit", replay_adaptive_limit},
    {"quantile", replay_quantile},
    {"hot_keys", replay_hot_keys},
    {"hedge", replay_hedge},
};

static int replay_file(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *text = json_read_file(path);
  json *vector = text ? json_parse(text) : NULL;
  free(text);
  vec_file = name;
  vec_step = -1;
  if (!vector) {
    check_failed++;
    fprintf(stderr, "%s: unreadable JSON\n", name);
    return 0;
  }
  const json *primitive = json_get(vector, "primitive");
  int replayed = 0;
  for (size_t i = 0; primitive && primitive->kind == J_STRING && i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
    if (strcmp(ROUTES[i].primitive, primitive->text) == 0) {
      ROUTES[i].replay(vector, json_get(vector, "config"), json_get(vector, "steps"));
      replayed = 1;
      break;
    }
  }
  if (!replayed) {
    check_failed++;
    fprintf(stderr, "%s: no C replay for primitive %s\n", name, primitive && primitive->text ? primitive->text : "?");
  }
  json_free(vector);
  return replayed;
}

int test_vectors(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    check_failed++;
    fprintf(stderr, "cannot open %s\n", dir);
    return 0;
  }
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) count += replay_file(dir, e->d_name);
  }
  closedir(d);
  return count;
}
