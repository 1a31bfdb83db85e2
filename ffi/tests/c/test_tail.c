/* The tail-latency handles beyond their vectors: hot keys answered in the
 * caller's bytes (and a short key buffer), quantile buckets for metrics, a
 * hedger reading its own latency window, and refusals of bad arguments. */
#include "tests.h"

#include <stdio.h>
#include <string.h>

static void hot_keys_answer_in_the_callers_bytes(void) {
  weir_hot_keys_config cfg;
  CHECK(weir_hot_keys_config_default(&cfg) == WEIR_STATUS_OK);
  cfg.capacity = 64;
  weir_hash_seed seed;
  CHECK(weir_hash_seed_from_secret((const uint8_t *)"s3cret", 6, &seed) == WEIR_STATUS_OK);
  weir_hot_keys *hot = NULL;
  CHECK(weir_hot_keys_new(&cfg, &seed, &hot) == WEIR_STATUS_OK);
  char other[32];
  for (int i = 0; i < 3000; i++) {
    if (i % 3 == 0) {
      CHECK(weir_hot_keys_record(hot, 0, (const uint8_t *)"user:42", 7) == WEIR_STATUS_OK);
    } else {
      int n = snprintf(other, sizeof other, "user:%d", 1000 + i);
      CHECK(weir_hot_keys_record(hot, 0, (const uint8_t *)other, (size_t)n) == WEIR_STATUS_OK);
    }
  }
  weir_hot_key top[2];
  uint8_t keys[64];
  size_t n = 0, need = 0;
  CHECK(weir_hot_keys_top(hot, 0, top, 2, keys, sizeof keys, &n, &need) == WEIR_STATUS_OK);
  CHECK(n == 2 && need <= sizeof keys);
  CHECK(top[0].key_len == 7 && memcmp(keys + top[0].key_offset, "user:42", 7) == 0);
  CHECK(top[0].count >= 1000 && top[0].count - top[0].error <= 1000);
  uint64_t hash = 0, count = 0, error = 0;
  CHECK(weir_hot_keys_hash(hot, (const uint8_t *)"user:42", 7, &hash) == WEIR_STATUS_OK && hash == top[0].hash);
  CHECK(weir_hot_keys_estimate(hot, 0, hash, &count, &error) == WEIR_STATUS_OK && count == top[0].count);
  /* A buffer too short: no key is copied, the bytes needed are reported. */
  CHECK(weir_hot_keys_top(hot, 0, top, 2, keys, 3, &n, &need) == WEIR_STATUS_OK);
  CHECK(top[0].key_len == SIZE_MAX && need >= 7);
  CHECK_BAD(weir_hot_keys_top(hot, 0, NULL, 2, keys, 3, &n, &need), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_hot_keys_record(hot, 0, NULL, 3), WEIR_STATUS_NULL_ARGUMENT);
  cfg.capacity = 17;
  weir_hot_keys *bad = NULL;
  CHECK_BAD(weir_hot_keys_new(&cfg, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(strcmp(weir_last_error_field(), "capacity") == 0);
  weir_hot_keys_free(&hot);
  CHECK(hot == NULL);
}

static void quantiles_and_hedger_read_their_windows(void) {
  weir_quantiles_config qc;
  CHECK(weir_quantiles_config_default(&qc) == WEIR_STATUS_OK);
  weir_quantiles *q = NULL;
  CHECK(weir_quantiles_new(&qc, &q) == WEIR_STATUS_OK);
  for (uint64_t i = 1; i <= 100; i++) CHECK(weir_quantiles_record(q, 1000000000, i * 1000000, 1) == WEIR_STATUS_OK);
  weir_quantile_reading r;
  CHECK(weir_quantiles_quantile(q, 1000000000, 0.95, &r) == WEIR_STATUS_OK);
  CHECK(r.found == 1 && r.count == 100 && r.value_ns >= 93000000 && r.value_ns <= 97000000);
  weir_quantile_bucket buckets[128];
  size_t len = 0;
  CHECK(weir_quantiles_buckets(q, 1000000000, buckets, 128, &len) == WEIR_STATUS_OK);
  uint64_t total = 0;
  for (size_t i = 0; i < len && i < 128; i++) total += buckets[i].count;
  CHECK(len > 0 && total == 100);
  CHECK_BAD(weir_quantiles_quantile(q, 1000000000, 1.5, &r), WEIR_STATUS_INVALID_CONFIG);
  CHECK(strcmp(weir_last_error_field(), "q") == 0);
  weir_quantiles_free(&q);

  weir_hedge_config hc;
  weir_retry_budget_config bc;
  CHECK(weir_hedge_config_default(&hc) == WEIR_STATUS_OK);
  CHECK(weir_retry_budget_config_default(&bc) == WEIR_STATUS_OK);
  weir_hedger *h = NULL;
  CHECK(weir_hedger_new(&hc, &bc, &h) == WEIR_STATUS_OK);
  for (uint64_t i = 1; i <= 100; i++) CHECK(weir_hedger_record(h, 1000000000, i * 1000000) == WEIR_STATUS_OK);
  uint64_t started = 0;
  CHECK(weir_hedger_begin(h, 1000000000, &started) == WEIR_STATUS_OK);
  weir_hedge_decision d;
  CHECK(weir_hedger_next(h, started, started, 0, UINT64_MAX, &d) == WEIR_STATUS_OK);
  CHECK(d.action == WEIR_HEDGE_ACTION_WAIT && d.delay_ns >= 93000000 && d.delay_ns <= 97000000);
  CHECK(weir_hedger_next(h, d.due, started, 0, UINT64_MAX, &d) == WEIR_STATUS_OK);
  CHECK(d.action == WEIR_HEDGE_ACTION_SEND);
  weir_hedger_stats s;
  CHECK(weir_hedger_snapshot(h, &s) == WEIR_STATUS_OK && s.requests == 1 && s.hedges == 1);
  CHECK(strcmp(weir_hedge_action_str(WEIR_HEDGE_ACTION_STOP), "stop") == 0);
  hc.max_hedges = 0;
  weir_hedger *bad = NULL;
  CHECK_BAD(weir_hedger_new(&hc, &bc, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(strcmp(weir_last_error_field(), "max_hedges") == 0);
  weir_hedger_free(&h);
}

void test_tail(void) {
  hot_keys_answer_in_the_callers_bytes();
  quantiles_and_hedger_read_their_windows();
}
