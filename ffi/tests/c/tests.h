#ifndef WEIR_TEST_TESTS_H
#define WEIR_TEST_TESTS_H

#include "check.h"
#include "weir.h"

#include <string.h>

#define SECOND 1000000000ull
#define MS 1000000ull

void test_basics(void);
void test_limiters(void);
void test_live_limits(void);
void test_shedder_throttle(void);
/* A shedder's requests ended through weir_shedder_slots, one call each. */
void test_shedder_slots(void);
void test_breaker(void);
void test_threads(void);
void test_tail(void);
/* Hedges and retries spending one retry budget. */
void test_hedge_budget(void);
/* The decisions each limiter, keyed table, shedder and throttle counts by reason. */
void test_decisions(void);
void test_picker(void);
void test_retry(void);
void test_singleflight(void);
void test_deadline(void);
/* The lease planner and cell, and the fleet limiter's config refusals. */
void test_lease(void);
/* Forks a child that opens the same shared limiter. */
void test_shared(void);
/* Needs WEIR_REDIS_URL: a redis-server the suite started. */
void test_fleet(void);
/* Replays every vector in `dir`; returns how many files it replayed. */
int test_vectors(const char *dir);
/* Replays the limiter-units vector file; returns how many cases it ran. */
int test_units(const char *path);
/* Replays the key-hash vector file; returns how many cases it ran. */
int test_key_hash(const char *path);
/* Replays policy/tests/vectors (found from the core vectors' dir) and
 * loads examples/policy.json; returns how many vector files it replayed. */
int test_policy(const char *core_vectors_dir);
/* Replays policy/tests/traces/example-trace.json on examples/policy.json. */
void test_policy_trace(const char *core_vectors_dir);
/* Crafted keys fill a victim's set unseeded, not under a secret seed. */
void test_seeded_keyed_limiter(void);

/* Whether the last error on this thread names `field`. */
static inline int last_field_is(const char *field) { return strcmp(weir_last_error_field(), field) == 0; }

#endif
