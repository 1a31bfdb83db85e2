/* Replays host/tests/vectors/limiter-units.json through
 * weir_limiter_config_from_units: user units -> the kernel config, the same
 * in C as in every other binding. */
#include "tests.h"
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double number(const json *j) {
  if (j && j->kind == J_STRING) {
    if (strcmp(j->text, "NaN") == 0) return NAN;
    if (strcmp(j->text, "inf") == 0) return INFINITY;
    if (strcmp(j->text, "-inf") == 0) return -INFINITY;
  }
  double v = 0;
  CHECK(json_f64(j, &v));
  return v;
}

static void expect_u64_named(const char *name, const char *what, const json *want, uint64_t got) {
  uint64_t w = 0;
  if (json_u64(want, &w) && w == got) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "limiter-units \"%s\": %s: want %s, got %llu\n", name, what, want ? want->text : "?",
            (unsigned long long)got);
  }
}

static void expect_str_named(const char *name, const char *what, const json *want, const char *got) {
  if (want && want->kind == J_STRING && strcmp(want->text, got) == 0) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "limiter-units \"%s\": %s: want \"%s\", got \"%s\"\n", name, what, want ? want->text : "?", got);
  }
}

int test_units(const char *path) {
  char *src = json_read_file(path);
  CHECK(src != NULL);
  if (!src) return 0;
  json *file = json_parse(src);
  CHECK(file != NULL);
  int cases = 0;
  for (const json *c = file ? json_get(file, "cases")->child : NULL; c; c = c->next) {
    const char *name = json_get(c, "name")->text;
    uint64_t per_ns = 0;
    CHECK(json_u64(json_get(c, "per_ns"), &per_ns));
    const json *burst_json = json_get(c, "burst");
    double burst = burst_json ? number(burst_json) : 0;
    weir_limiter_config config = {0};
    weir_status status =
        weir_limiter_config_from_units(number(json_get(c, "rate")), per_ns, burst_json ? &burst : NULL, &config);
    const json *want = json_get(c, "config");
    if (want) {
      if (status != WEIR_STATUS_OK) {
        check_failed++;
        fprintf(stderr, "limiter-units \"%s\": refused: %s\n", name, weir_last_error_message());
        continue;
      }
      expect_u64_named(name, "rate", json_get(want, "rate"), config.rate);
      expect_u64_named(name, "period_ns", json_get(want, "period_ns"), config.period_ns);
      expect_u64_named(name, "burst", json_get(want, "burst"), config.burst);
      /* The interval the kernel derives: a limiter built from it refills
       * one token exactly interval_ns after the last was spent. */
      weir_limiter *limiter = NULL;
      CHECK(weir_limiter_new(&config, &limiter) == WEIR_STATUS_OK);
      weir_decision d;
      CHECK(weir_limiter_acquire(limiter, 0, config.burst, &d) == WEIR_STATUS_OK && d.admitted);
      CHECK(weir_limiter_acquire(limiter, 0, 1, &d) == WEIR_STATUS_OK && !d.admitted);
      expect_u64_named(name, "interval_ns", json_get(c, "interval_ns"), d.retry_after_ns);
      weir_limiter_free(&limiter);
    } else {
      const json *error = json_get(c, "error");
      CHECK(status == WEIR_STATUS_INVALID_CONFIG);
      expect_str_named(name, "field", json_get(error, "field"), weir_last_error_field());
      expect_str_named(name, "rule", json_get(error, "rule"), weir_last_error_rule());
    }
    cases++;
  }
  json_free(file);
  free(src);
  return cases;
}
