/* Statuses, reasons, version, last error, and the host glue. */
#include "tests.h"

#include <stdio.h>

void test_basics(void) {
  CHECK(strcmp(weir_status_str(WEIR_STATUS_OK), "ok") == 0);
  CHECK(strcmp(weir_status_str(WEIR_STATUS_INVALID_CONFIG), "invalid_config") == 0);
  CHECK(strcmp(weir_status_str(WEIR_STATUS_UNAVAILABLE), "unavailable") == 0);
  CHECK_BAD(strcmp(weir_status_str(9999), "unknown"), 0);
  CHECK(strcmp(weir_reason_str(WEIR_REASON_RATE_LIMITED), "rate_limited") == 0);
  CHECK(strcmp(weir_reason_str(WEIR_REASON_NO_NODE), "no_node") == 0);
  CHECK_BAD(strcmp(weir_reason_str(0xFFFFFFFFu), "unknown"), 0);
  CHECK_BAD(strcmp(weir_reason_str(256), "unknown"), 0);

  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", WEIR_VERSION_MAJOR, WEIR_VERSION_MINOR, WEIR_VERSION_PATCH);
  CHECK(strcmp(weir_version(), expected) == 0);

  /* The clock is monotonic and not zero. */
  uint64_t a = weir_now(), b = weir_now();
  CHECK(a > 0 && b >= a);

  /* Pinned hashes: every runtime keys the same way. */
  CHECK_EQ_U64(weir_hash_key((const uint8_t *)"", 0), 0xf52a15e9a9b5e89bull);
  CHECK_EQ_U64(weir_hash_key(NULL, 0), 0xf52a15e9a9b5e89bull);
  CHECK_EQ_U64(weir_hash_key((const uint8_t *)"tenant-7", 8), 0xd410a48a2f93679aull);
  check_bad_inputs++;
  CHECK_EQ_U64(weir_hash_key(NULL, 5), 0xf52a15e9a9b5e89bull);

  /* Draws are spread out. */
  int high = 0;
  for (int i = 0; i < 1000; i++) high += weir_draw() > UINT64_MAX / 2;
  CHECK(high > 400 && high < 600);

  /* CPU sampler: unavailable at first, then a permille. */
  weir_cpu_sampler *s = NULL;
  CHECK_OK(weir_cpu_sampler_new(&s));
  uint64_t permille = 4242;
  CHECK_EQ_U64(weir_cpu_sampler_sample(s, &permille), WEIR_STATUS_UNAVAILABLE);
  CHECK_EQ_U64(permille, 4242);
  volatile uint64_t spin = 0;
  uint64_t until = weir_now() + 20 * MS;
  while (weir_now() < until) spin++;
  CHECK_OK(weir_cpu_sampler_sample(s, &permille));
  CHECK(permille <= 1000);
  CHECK_BAD(weir_cpu_sampler_sample(s, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_cpu_sampler_sample(NULL, &permille), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_cpu_sampler_new(NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_cpu_sampler_free(&s);
  CHECK(s == NULL);
  weir_cpu_sampler_free(&s);
  weir_cpu_sampler_free(NULL);
}
