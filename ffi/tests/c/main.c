/* The C test runner: every function of weir.h, its bad inputs, use from
 * two threads, the fleet limiter against a live Redis, and the conformance
 * vectors. Built once with ASan + UBSan and once plain for valgrind by
 * ci/suites/40-ffi-go.sh. */
#include "tests.h"

#include <stdio.h>

int check_passed, check_failed, check_bad_inputs;

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s VECTORS_DIR UNITS_VECTORS_FILE KEY_HASH_VECTORS_FILE\n", argv[0]);
    return 2;
  }
  test_basics();
  test_limiters();
  test_live_limits();
  test_seeded_keyed_limiter();
  test_shedder_throttle();
  test_shedder_slots();
  test_breaker();
  test_picker();
  test_retry();
  test_singleflight();
  test_deadline();
  test_lease();
  test_shared();
  test_fleet();
  test_threads();
  test_tail();
  test_hedge_budget();
  test_decisions();
  int vectors = test_vectors(argv[1]);
  CHECK(vectors >= 50);
  CHECK(test_units(argv[2]) >= 20);
  CHECK(test_key_hash(argv[3]) >= 18);
  CHECK(test_policy(argv[1]) >= 6);
  test_policy_trace(argv[1]);
  CHECK(check_bad_inputs >= 20);
  fprintf(stderr, "%d vectors replayed, %d bad-input cases\n", vectors, check_bad_inputs);
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}
