/* The C smoke program of the release checks: libweir as a C user links it,
 * through pkg-config. A limiter of burst 3 admits exactly 3 and refuses the
 * 4th with a retry time; a bad burst is refused naming the field; the
 * linked library is the version of the header compiled against.
 *
 *   smoke VERSION LINKAGE    (LINKAGE: how it was linked, for the report) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <weir.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define HEADER_VERSION STR(WEIR_VERSION_MAJOR) "." STR(WEIR_VERSION_MINOR) "." STR(WEIR_VERSION_PATCH)

static int fail(const char *what) {
  fprintf(stderr, "c smoke: %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) return fail("usage: smoke VERSION LINKAGE");
  if (strcmp(weir_version(), argv[1]) != 0) return fail("the linked library is another version");
  if (strcmp(HEADER_VERSION, argv[1]) != 0) return fail("the header is another version");

  weir_limiter_config config = {.rate = 1, .period_ns = UINT64_C(3600000000000), .burst = 3};
  weir_limiter *limiter = NULL;
  if (weir_limiter_new(&config, &limiter) != WEIR_STATUS_OK) return fail(weir_last_error_message());
  const uint64_t now = weir_now();
  weir_decision d;
  for (int i = 1; i <= 3; i++) {
    if (weir_limiter_acquire(limiter, now, 1, &d) != WEIR_STATUS_OK || !d.admitted)
      return fail("a request within the burst of 3 was refused");
  }
  if (weir_limiter_acquire(limiter, now, 1, &d) != WEIR_STATUS_OK || d.admitted ||
      d.reason != WEIR_REASON_RATE_LIMITED || d.retry_after_ns == 0)
    return fail("the 4th request was not refused as rate_limited with a retry time");
  weir_limiter_free(&limiter);

  weir_limiter_config bad = {.rate = 1, .period_ns = 1000000000, .burst = 0};
  if (weir_limiter_new(&bad, &limiter) != WEIR_STATUS_INVALID_CONFIG || strcmp(weir_last_error_field(), "burst") != 0)
    return fail("burst 0 was not refused naming the field");

  printf("c (%s): weir %s admitted 3, refused the 4th (%s, retry after %" PRIu64 " s)\n", argv[2], weir_version(),
         weir_reason_str(d.reason), d.retry_after_ns / UINT64_C(1000000000));
  return 0;
}
