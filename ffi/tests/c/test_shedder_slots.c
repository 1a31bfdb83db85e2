/* A shedder's requests ended through weir_shedder_slots: one call per
 * request, the end applied by the next acquire; ticks from rdtsc where
 * weir_ticks says the clock reads them; threads leave nothing in flight. */
#include "tests.h"

#include <pthread.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static void end_slot(weir_shedder_slots *slots, uint32_t i, uint64_t ended, uint64_t how) {
  slots->held.slot[i].ended = ended;
  slots->held.slot[i].how = how;
  __atomic_fetch_or(&slots->held.ready, 1ull << i, __ATOMIC_RELEASE);
}

/* The end of a request admitted without a held slot; 0 when every spare is taken. */
static int end_spare(weir_shedder_slots *slots, uint64_t started_at, uint64_t ended, uint64_t how) {
  uint64_t owned = __atomic_load_n(&slots->spare.owned, __ATOMIC_RELAXED);
  uint32_t i;
  do {
    if (owned == UINT64_MAX) return 0;
    i = (uint32_t)__builtin_ctzll(~owned);
  } while (!__atomic_compare_exchange_n(&slots->spare.owned, &owned, owned | 1ull << i, 1, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED));
  slots->spare.slot[i].started_at = started_at;
  slots->spare.slot[i].ended = ended;
  slots->spare.slot[i].how = how;
  __atomic_fetch_or(&slots->spare.ready, 1ull << i, __ATOMIC_RELEASE);
  return 1;
}

static uint64_t in_flight(const weir_shedder *s, uint64_t now) {
  weir_shedder_stats st;
  CHECK_OK(weir_shedder_snapshot(s, now, &st));
  return st.in_flight;
}

static weir_shedder *shedder(uint64_t max_queue) {
  weir_shedder_config cfg;
  CHECK_OK(weir_shedder_config_default(&cfg));
  cfg.max_queue = max_queue;
  weir_shedder *s = NULL;
  CHECK_OK(weir_shedder_new(&cfg, &s));
  return s;
}

static void explicit_time(void) {
  weir_shedder *s = shedder(1);
  weir_shedder_slots slots = {0};
  weir_shedder_admission a;
  CHECK_OK(weir_shedder_acquire_slot(s, &slots, 10 * MS, &a));
  CHECK(a.decision.admitted && a.slot == 0 && a.started_at == 10 * MS && slots.held.slot[0].started_at == 10 * MS);
  CHECK_OK(weir_shedder_acquire_slot(s, &slots, 11 * MS, &a));
  CHECK_EQ_U64(a.decision.reason, WEIR_REASON_QUEUE_FULL);
  CHECK_EQ_U64(a.slot, WEIR_SHEDDER_SLOTS);
  end_slot(&slots, 0, 15 * MS, WEIR_SHEDDER_ENDED_AT_NS);
  CHECK_EQ_U64(in_flight(s, 16 * MS), 1); /* handed over, not applied yet */
  CHECK_OK(weir_shedder_acquire_slot(s, &slots, 16 * MS, &a));
  CHECK(a.decision.admitted); /* the end counted before the cap */
  end_slot(&slots, a.slot, 0, WEIR_SHEDDER_CANCELLED);
  CHECK_OK(weir_shedder_drain(s, &slots, 17 * MS));
  CHECK_EQ_U64(in_flight(s, 17 * MS), 0);
  CHECK_EQ_U64(slots.held.owned, 0);
  weir_shedder_stats st;
  CHECK_OK(weir_shedder_snapshot(s, 200 * MS, &st)); /* the 5 ms response time was learned */
  CHECK_EQ_U64(st.min_rt_ns, 5 * MS);
  weir_shedder_free(&s);
}

static void past_the_last_slot(void) {
  weir_shedder *s = shedder(0);
  weir_shedder_slots slots = {0};
  weir_shedder_admission a;
  for (uint32_t i = 0; i < WEIR_SHEDDER_SLOTS; i++) {
    CHECK_OK(weir_shedder_acquire_slot(s, &slots, 0, &a));
    CHECK_EQ_U64(a.slot, i);
  }
  /* Every held slot taken: the next are admitted without one and end
   * through a spare slot, applied by the next acquire. */
  CHECK_OK(weir_shedder_acquire_slot(s, &slots, 0, &a));
  CHECK(a.decision.admitted && a.slot == WEIR_SHEDDER_SLOTS);
  CHECK(end_spare(&slots, a.started_at, 1 * MS, WEIR_SHEDDER_ENDED_AT_NS));
  CHECK_EQ_U64(in_flight(s, 0), WEIR_SHEDDER_SLOTS + 1);
  for (uint32_t i = 0; i <= WEIR_SHEDDER_SLOTS; i++) {
    CHECK_OK(weir_shedder_acquire_slot(s, &slots, 2 * MS, &a)); /* the first applies the spare end */
    CHECK(a.decision.admitted && a.slot == WEIR_SHEDDER_SLOTS);
  }
  CHECK_EQ_U64(slots.spare.owned, 0);
  CHECK_EQ_U64(in_flight(s, 2 * MS), 2 * WEIR_SHEDDER_SLOTS + 1);
  for (uint32_t i = 0; i < WEIR_SHEDDER_SLOTS; i++) CHECK(end_spare(&slots, 2 * MS, 3 * MS, WEIR_SHEDDER_ENDED_AT_NS));
  CHECK(!end_spare(&slots, 2 * MS, 3 * MS, WEIR_SHEDDER_ENDED_AT_NS)); /* every spare waiting */
  CHECK_OK(weir_shedder_done(s, 2 * MS, 3 * MS));
  for (uint32_t i = 0; i < WEIR_SHEDDER_SLOTS; i++) end_slot(&slots, i, 4 * MS, WEIR_SHEDDER_ENDED_AT_NS);
  CHECK_OK(weir_shedder_drain(s, &slots, 5 * MS));
  CHECK_EQ_U64(in_flight(s, 5 * MS), 0);
  CHECK_EQ_U64(slots.held.owned | slots.spare.owned, 0);
  weir_shedder_free(&s);
}

static void ticks(void) {
  uint32_t counter = 99;
  CHECK_OK(weir_ticks(&counter));
  CHECK(counter == WEIR_TICKS_NONE || counter == WEIR_TICKS_X86_TSC);
  weir_shedder *s = shedder(0);
  weir_shedder_slots slots = {0};
  weir_shedder_admission a;
  CHECK_OK(weir_shedder_acquire_slot_now(s, &slots, &a));
  CHECK(a.decision.admitted && a.slot == 0 && a.started_at > 0);
#if defined(__x86_64__)
  if (counter == WEIR_TICKS_X86_TSC) {
    end_slot(&slots, 0, __rdtsc(), WEIR_SHEDDER_ENDED_AT_TICKS);
  } else {
    end_slot(&slots, 0, weir_now(), WEIR_SHEDDER_ENDED_AT_NS);
  }
#else
  end_slot(&slots, 0, weir_now(), WEIR_SHEDDER_ENDED_AT_NS);
#endif
  uint64_t now = weir_now();
  CHECK_OK(weir_shedder_drain(s, &slots, now));
  CHECK_EQ_U64(in_flight(s, now), 0);
  weir_shedder_stats st;
  CHECK_OK(weir_shedder_snapshot(s, now + SECOND, &st));
  CHECK(st.min_rt_ns < SECOND); /* the end landed on the clock of the start */
  CHECK_BAD(weir_ticks(NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_acquire_slot_now(s, NULL, &a), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_acquire_slot_now(s, &slots, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_acquire_slot(NULL, &slots, 0, &a), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shedder_drain(s, NULL, 0), WEIR_STATUS_NULL_ARGUMENT);
  weir_shedder_free(&s);
}

typedef struct {
  weir_shedder *s;
  weir_shedder_slots *slots;
} shared_slots;

static void *requests(void *arg) {
  shared_slots *t = arg;
  for (int i = 0; i < 20000; i++) {
    weir_shedder_admission a;
    if (weir_shedder_acquire_slot_now(t->s, t->slots, &a) != WEIR_STATUS_OK || !a.decision.admitted) continue;
    if (a.slot < WEIR_SHEDDER_SLOTS) {
      end_slot(t->slots, a.slot, weir_now(), i % 5 ? WEIR_SHEDDER_ENDED_AT_NS : WEIR_SHEDDER_CANCELLED);
    } else if (!end_spare(t->slots, a.started_at, weir_now(), WEIR_SHEDDER_ENDED_AT_NS)) {
      weir_shedder_done_now(t->s, a.started_at);
    }
  }
  return NULL;
}

static void threads(void) {
  weir_shedder_slots slots = {0};
  shared_slots t = {shedder(0), &slots};
  pthread_t th[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, requests, &t) == 0);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  uint64_t now = weir_now();
  CHECK_OK(weir_shedder_drain(t.s, &slots, now));
  CHECK_EQ_U64(in_flight(t.s, now), 0);
  CHECK_EQ_U64(__atomic_load_n(&slots.held.owned, __ATOMIC_ACQUIRE), 0);
  CHECK_EQ_U64(__atomic_load_n(&slots.spare.owned, __ATOMIC_ACQUIRE), 0);
  weir_shedder_free(&t.s);
}

void test_shedder_slots(void) {
  explicit_time();
  past_the_last_slot();
  ticks();
  threads();
}
