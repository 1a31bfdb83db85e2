/* Replays host/tests/vectors/key-hash.json (secret -> seed halves, key ->
 * seeded and unseeded hash, the same in every runtime), and shows what a
 * seed buys a keyed limiter: keys crafted offline against the public hash
 * fill a victim's set in an unseeded table and miss it in a seeded one. */
#include "tests.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>

static void expect_u64(const json *c, const char *what, const json *want, uint64_t got) {
  uint64_t w = 0;
  if (json_u64(want, &w) && w == got) {
    check_passed++;
  } else {
    check_failed++;
    fprintf(stderr, "key-hash (secret \"%s\", key \"%s\"): %s: want %s, got %llu\n", json_get(c, "secret")->text,
            json_get(c, "key")->text, what, want ? want->text : "?", (unsigned long long)got);
  }
}

int test_key_hash(const char *path) {
  char *src = json_read_file(path);
  CHECK(src != NULL);
  if (!src) return 0;
  json *file = json_parse(src);
  CHECK(file != NULL);
  int cases = 0;
  for (const json *c = file ? json_get(file, "cases")->child : NULL; c; c = c->next) {
    const char *secret = json_get(c, "secret")->text;
    const char *key = json_get(c, "key")->text;
    weir_hash_seed seed = {0};
    CHECK_OK(weir_hash_seed_from_secret((const uint8_t *)secret, strlen(secret), &seed));
    expect_u64(c, "seed[0]", json_get(c, "seed")->child, seed.k0);
    expect_u64(c, "seed[1]", json_get(c, "seed")->child->next, seed.k1);
    expect_u64(c, "seeded", json_get(c, "seeded"), weir_hash_key_seeded(seed, (const uint8_t *)key, strlen(key)));
    expect_u64(c, "unseeded", json_get(c, "unseeded"), weir_hash_key((const uint8_t *)key, strlen(key)));
    cases++;
  }
  json_free(file);
  free(src);
  return cases;
}

/* Where core's keyed table places a hash (weir_core::limiter::set_index),
 * written out as an attacker reading the source would. */
static size_t set_of(uint64_t hash, size_t sets) {
  uint64_t mixed = (hash * 0x9E3779B97F4A7C15ull) >> 32;
  return (size_t)((mixed * (uint64_t)sets) >> 32);
}

enum { CAPACITY = 1024, SETS = CAPACITY / 8, WAYS = 8 };

/* Fills `keys` with the first WAYS keys "attacker-N" whose public hash
 * shares the victim's set. */
static void craft(const char *victim, char keys[WAYS][32]) {
  size_t target = set_of(weir_hash_key((const uint8_t *)victim, strlen(victim)), SETS);
  int found = 0;
  for (unsigned i = 0; found < WAYS; i++) {
    snprintf(keys[found], sizeof keys[found], "attacker-%u", i);
    if (set_of(weir_hash_key((const uint8_t *)keys[found], strlen(keys[found])), SETS) == target) found++;
  }
}

/* The victim's first request after the crafted keys each took a token. */
static weir_decision victim_after_attack(const weir_hash_seed *seed, char keys[WAYS][32]) {
  weir_limiter_config hourly = {.rate = 1, .period_ns = 3600 * SECOND, .burst = 1};
  weir_keyed_limiter *k = NULL;
  weir_decision d = {0};
  CHECK_OK(weir_keyed_limiter_new(&hourly, CAPACITY, seed, &k));
  for (int i = 0; i < WAYS; i++) {
    CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, (const uint8_t *)keys[i], strlen(keys[i]), 1, &d));
    CHECK(d.admitted);
  }
  CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, (const uint8_t *)"tenant-7", 8, 1, &d));
  weir_keyed_limiter_free(&k);
  return d;
}

void test_seeded_keyed_limiter(void) {
  char keys[WAYS][32];
  craft("tenant-7", keys);

  weir_decision unseeded = victim_after_attack(NULL, keys);
  CHECK(!unseeded.admitted);
  CHECK_EQ_U64(unseeded.reason, WEIR_REASON_TABLE_FULL);

  const char *secret = "a deployment's own secret";
  weir_hash_seed seed;
  CHECK_OK(weir_hash_seed_from_secret((const uint8_t *)secret, strlen(secret), &seed));
  weir_decision seeded = victim_after_attack(&seed, keys);
  CHECK(seeded.admitted);

  /* The table hashes bytes keys under its seed: the explicit-hash call with
   * the seeded hash finds the victim's bucket spent. */
  weir_limiter_config cfg = {.rate = 1, .period_ns = 3600 * SECOND, .burst = 1};
  weir_keyed_limiter *k = NULL;
  weir_decision d;
  CHECK_OK(weir_keyed_limiter_new(&cfg, 64, &seed, &k));
  CHECK_OK(weir_keyed_limiter_acquire_bytes_now(k, (const uint8_t *)"alice", 5, 1, &d));
  CHECK(d.admitted);
  uint64_t now = weir_now();
  CHECK_OK(weir_keyed_limiter_acquire(k, weir_hash_key_seeded(seed, (const uint8_t *)"alice", 5), now, 1, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_RATE_LIMITED);
  CHECK_OK(weir_keyed_limiter_acquire(k, weir_hash_key((const uint8_t *)"alice", 5), now, 1, &d));
  CHECK(d.admitted);
  weir_keyed_limiter_free(&k);

  /* And so does a seeded singleflight table. */
  weir_singleflight *t = NULL;
  weir_flight lead, follow;
  CHECK_OK(weir_singleflight_new(16, &seed, &t));
  CHECK_OK(weir_singleflight_begin_bytes(t, (const uint8_t *)"k", 1, &lead));
  CHECK_OK(weir_singleflight_begin(t, weir_hash_key_seeded(seed, (const uint8_t *)"k", 1), &follow));
  CHECK_EQ_U64(lead.role, WEIR_FLIGHT_ROLE_LEADER);
  CHECK_EQ_U64(follow.role, WEIR_FLIGHT_ROLE_FOLLOWER);
  CHECK_OK(weir_singleflight_finish(t, lead.slot, lead.gen));
  CHECK_OK(weir_singleflight_leave(t, follow.slot, follow.gen));
  weir_singleflight_free(&t);

  /* A seed variable nothing filled is refused, naming the field. */
  weir_hash_seed unset = {0};
  weir_keyed_limiter *bad = NULL;
  weir_singleflight *bad_table = NULL;
  CHECK_BAD(weir_keyed_limiter_new(&cfg, 64, &unset, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("seed"));
  CHECK_BAD(weir_singleflight_new(16, &unset, &bad_table), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("seed"));
  CHECK(bad == NULL && bad_table == NULL);
  CHECK_BAD(weir_hash_seed_from_secret(NULL, 3, &seed), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_hash_seed_from_secret((const uint8_t *)"s", 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
}
