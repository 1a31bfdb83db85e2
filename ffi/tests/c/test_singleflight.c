/* Bad inputs for singleflight: NULLs, zero and huge capacities, key
 * lengths past PTRDIFF_MAX, stale and forged tickets, double finishes and
 * extra leaves. Every refusal must leave out-pointers as they were. */
#include "tests.h"

void test_singleflight(void) {
  weir_singleflight *t = NULL, *bad = NULL;
  CHECK_BAD(weir_singleflight_new(0, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_singleflight_new((1ull << 24) + 1, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK_BAD(weir_singleflight_new(UINT64_MAX, NULL, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_singleflight_new(4, NULL, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(bad == NULL);

  CHECK_OK(weir_singleflight_new(4, NULL, &t));
  weir_flight f = {.role = 77}, lead, follow;
  CHECK_BAD(weir_singleflight_begin(NULL, 1, &f), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_begin(t, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_begin_bytes(t, NULL, 3, &f), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_begin_bytes(t, (const uint8_t *)"k", 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  /* A length past PTRDIFF_MAX is refused before anything is read. */
  CHECK_BAD(weir_singleflight_begin_bytes(t, (const uint8_t *)"k", SIZE_MAX, &f), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(f.role, 77);
  /* The empty key is a key like any other. */
  CHECK_OK(weir_singleflight_begin_bytes(t, NULL, 0, &lead));
  CHECK_EQ_U64(lead.role, WEIR_FLIGHT_ROLE_LEADER);
  CHECK_OK(weir_singleflight_begin_bytes(t, (const uint8_t *)"", 0, &follow));
  CHECK_EQ_U64(follow.role, WEIR_FLIGHT_ROLE_FOLLOWER);

  /* Stale tickets: a forged generation, a second finish, an extra leave. */
  CHECK_BAD(weir_singleflight_finish(t, lead.slot, lead.gen + 1), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_finish(t, UINT32_MAX, lead.gen), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_leave(t, follow.slot, follow.gen + 1), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_singleflight_finish(t, lead.slot, lead.gen));
  CHECK_BAD(weir_singleflight_finish(t, lead.slot, lead.gen), WEIR_STATUS_NOT_FOUND);
  bool done = false;
  CHECK_OK(weir_singleflight_is_done(t, lead.slot, lead.gen, &done));
  CHECK(done);
  CHECK_OK(weir_singleflight_leave(t, follow.slot, follow.gen));
  CHECK_BAD(weir_singleflight_leave(t, follow.slot, follow.gen), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_leave(t, UINT32_MAX, 0), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_leave(NULL, 0, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_finish(NULL, 0, 0), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_is_done(t, 0, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  uint64_t occupied = 77, waiters = 77;
  uint32_t state = 77;
  CHECK_BAD(weir_singleflight_occupied(t, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_singleflight_slot(t, 4, &state, &waiters), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_singleflight_slot(t, 0, NULL, &waiters), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(state, 77);
  CHECK_EQ_U64(waiters, 77);
  CHECK_OK(weir_singleflight_occupied(t, &occupied));
  CHECK_EQ_U64(occupied, 0);
  weir_singleflight_free(&t);
  CHECK(t == NULL);
  weir_singleflight_free(&t);
  weir_singleflight_free(NULL);
}
