/* A per-client rate limit with Retry-After, and a shedder around the
 * handler: what a C service puts in front of its request handling. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weir.h>

static int fail(const char *what, weir_status s) {
  fprintf(stderr, "%s: %s: %s\n", what, weir_status_str(s), weir_last_error_message());
  return 1;
}

int main(void) {
  /* Clients choose their keys, so the table hashes them under a secret
   * seed: without it, no one can compute keys that crowd out another's. */
  const char *secret = getenv("WEIR_SEED");
  if (!secret || !*secret) secret = "example-only: read a real secret from your secret store";
  weir_hash_seed seed;
  weir_status s = weir_hash_seed_from_secret((const uint8_t *)secret, strlen(secret), &seed);
  if (s != WEIR_STATUS_OK) return fail("seed", s);

  weir_limiter_config per_client = {.rate = 5, .period_ns = 1000000000, .burst = 2};
  weir_keyed_limiter *clients = NULL;
  s = weir_keyed_limiter_new(&per_client, 1024, &seed, &clients);
  if (s != WEIR_STATUS_OK) return fail("keyed limiter", s);

  weir_shedder_config sc;
  weir_shedder_config_default(&sc);
  weir_shedder *shedder = NULL;
  s = weir_shedder_new(&sc, &shedder);
  if (s != WEIR_STATUS_OK) return fail("shedder", s);

  const char *requests[] = {"10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1"};
  for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
    const char *ip = requests[i];
    weir_decision d;
    weir_keyed_limiter_acquire_bytes_now(clients, (const uint8_t *)ip, strlen(ip), 1, &d);
    if (!d.admitted) {
      printf("%s: 429 %s, Retry-After: %" PRIu64 " ms\n", ip, weir_reason_str(d.reason), (d.retry_after_ns + 999999) / 1000000);
      continue;
    }
    uint64_t left = d.remaining, started;
    weir_shedder_acquire_now(shedder, &d, &started);
    if (!d.admitted) {
      printf("%s: 503 %s\n", ip, weir_reason_str(d.reason));
      continue;
    }
    printf("%s: 200 (%" PRIu64 " left in its bucket)\n", ip, left);
    weir_shedder_done_now(shedder, started);
  }

  /* A bad config says which field and why. */
  weir_limiter_config bad = {.rate = 5, .period_ns = 1000000000, .burst = 0};
  weir_limiter *l = NULL;
  if (weir_limiter_new(&bad, &l) == WEIR_STATUS_INVALID_CONFIG)
    printf("refused: %s (field %s)\n", weir_last_error_message(), weir_last_error_field());

  weir_shedder_free(&shedder);
  weir_keyed_limiter_free(&clients);
  printf("weir %s\n", weir_version());
  return 0;
}
