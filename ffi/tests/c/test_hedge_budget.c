/* A hedger made with weir_hedger_new_with_budget spends the retry budget
 * the same operation's retries spend: whichever spends first leaves nothing
 * to the other, two threads together never exceed it, and the hedger keeps
 * the budget alive after its handle is freed (ASan and valgrind watch). */
#include "tests.h"

#include <pthread.h>

/* Nothing by ratio, `per_second` retries over a one-second window. */
static weir_retry_budget *budget_of(uint64_t per_second) {
  weir_retry_budget_config bc = {.ratio = 0.0, .min_per_second = per_second, .window_ns = SECOND, .buckets = 1};
  weir_retry_budget *budget = NULL;
  CHECK_OK(weir_retry_budget_new(&bc, &budget));
  return budget;
}

/* Up to 16 hedges, each due 100 ms after the last. */
static weir_hedger *hedger_on(const weir_retry_budget *budget) {
  weir_hedge_config hc;
  CHECK_OK(weir_hedge_config_default(&hc));
  hc.max_hedges = 16;
  hc.ceiling_ns = 100 * MS;
  weir_hedger *hedger = NULL;
  CHECK_OK(weir_hedger_new_with_budget(&hc, budget, &hedger));
  return hedger;
}

static weir_backoff *backoff_new(void) {
  weir_backoff_config cfg;
  CHECK_OK(weir_backoff_config_default(&cfg));
  weir_backoff *backoff = NULL;
  CHECK_OK(weir_backoff_new(&cfg, &backoff));
  return backoff;
}

/* A request begun at 0 asks for its first hedge at 500 ms, when it is due. */
static weir_hedge_decision hedge_once(const weir_hedger *hedger) {
  uint64_t started = 0;
  CHECK_OK(weir_hedger_begin(hedger, 0, &started));
  weir_hedge_decision d = {0};
  CHECK_OK(weir_hedger_next(hedger, 500 * MS, started, 0, UINT64_MAX, &d));
  return d;
}

static weir_retry_decision retry_once(const weir_backoff *backoff, const weir_retry_budget *budget) {
  weir_retry_ask ask = {.attempt = 1, .deadline_left_ns = UINT64_MAX};
  weir_retry_decision r = {0};
  CHECK_OK(weir_retry(backoff, budget, 500 * MS, &ask, &r));
  return r;
}

static void hedges_and_retries_spend_one_budget(void) {
  weir_backoff *backoff = backoff_new();

  weir_retry_budget *budget = budget_of(2);
  weir_hedger *hedger = hedger_on(budget);
  CHECK_EQ_U64(hedge_once(hedger).action, WEIR_HEDGE_ACTION_SEND);
  CHECK_EQ_U64(hedge_once(hedger).action, WEIR_HEDGE_ACTION_SEND);
  weir_retry_decision r = retry_once(backoff, budget);
  CHECK(!r.decision.admitted);
  CHECK_EQ_U64(r.decision.reason, WEIR_REASON_BUDGET_EXHAUSTED);
  uint64_t requests = 0, retries = 0;
  CHECK_OK(weir_retry_budget_snapshot(budget, 500 * MS, &requests, &retries));
  CHECK(requests == 2 && retries == 2);
  weir_hedger_free(&hedger);
  weir_retry_budget_free(&budget);

  budget = budget_of(2);
  hedger = hedger_on(budget);
  CHECK(retry_once(backoff, budget).decision.admitted);
  CHECK(retry_once(backoff, budget).decision.admitted);
  weir_hedge_decision d = hedge_once(hedger);
  CHECK_EQ_U64(d.action, WEIR_HEDGE_ACTION_STOP);
  CHECK_EQ_U64(d.reason, WEIR_REASON_BUDGET_EXHAUSTED);
  weir_hedger_stats s;
  CHECK_OK(weir_hedger_snapshot(hedger, &s));
  CHECK(s.hedges == 0 && s.refused_budget == 1);
  weir_hedger_free(&hedger);
  weir_retry_budget_free(&budget);

  weir_backoff_free(&backoff);
}

static void the_hedger_outlives_the_budget_handle(void) {
  weir_retry_budget *budget = budget_of(1);
  weir_hedger *hedger = hedger_on(budget);
  weir_retry_budget_free(&budget);
  CHECK(budget == NULL);
  CHECK_EQ_U64(hedge_once(hedger).action, WEIR_HEDGE_ACTION_SEND);
  CHECK_EQ_U64(hedge_once(hedger).reason, WEIR_REASON_BUDGET_EXHAUSTED);
  uint64_t requests = 0, retries = 0;
  CHECK_OK(weir_hedger_budget(hedger, 500 * MS, &requests, &retries));
  CHECK(requests == 2 && retries == 1);
  weir_hedger_free(&hedger);

  weir_hedge_config hc;
  CHECK_OK(weir_hedge_config_default(&hc));
  weir_hedger *none = NULL;
  CHECK_BAD(weir_hedger_new_with_budget(&hc, NULL, &none), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(none == NULL);
  budget = budget_of(1);
  hc.max_hedges = 0;
  CHECK_BAD(weir_hedger_new_with_budget(&hc, budget, &none), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("max_hedges"));
  weir_retry_budget_free(&budget);
}

typedef struct {
  const weir_hedger *hedger;
  const weir_backoff *backoff;
  const weir_retry_budget *budget;
  int spent;
} spender;

static void *hedge_all(void *arg) {
  spender *s = arg;
  weir_hedge_decision d;
  /* One request, hedged up to 16 times, 200 times over. */
  for (int i = 0; i < 200; i++) {
    uint64_t started = 0;
    if (weir_hedger_begin(s->hedger, 0, &started) != WEIR_STATUS_OK) continue;
    for (uint64_t sent = 0; sent < 16; sent++) {
      if (weir_hedger_next(s->hedger, 900 * MS, started, sent, UINT64_MAX, &d) != WEIR_STATUS_OK) break;
      if (d.action != WEIR_HEDGE_ACTION_SEND) break;
      s->spent++;
    }
  }
  return NULL;
}

static void *retry_all(void *arg) {
  spender *s = arg;
  for (int i = 0; i < 2000; i++) {
    weir_retry_ask ask = {.attempt = 1, .deadline_left_ns = UINT64_MAX};
    weir_retry_decision r;
    if (weir_retry(s->backoff, s->budget, 900 * MS, &ask, &r) == WEIR_STATUS_OK && r.decision.admitted) s->spent++;
  }
  return NULL;
}

static void two_threads_never_exceed_the_budget(void) {
  weir_retry_budget *budget = budget_of(300);
  weir_hedger *hedger = hedger_on(budget);
  weir_backoff *backoff = backoff_new();
  spender hedges = {.hedger = hedger}, retries = {.backoff = backoff, .budget = budget};
  pthread_t a, b;
  CHECK(pthread_create(&a, NULL, hedge_all, &hedges) == 0);
  CHECK(pthread_create(&b, NULL, retry_all, &retries) == 0);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  CHECK_EQ_U64(hedges.spent + retries.spent, 300);
  weir_hedger_free(&hedger);
  weir_retry_budget_free(&budget);
  weir_backoff_free(&backoff);
}

void test_hedge_budget(void) {
  hedges_and_retries_spend_one_budget();
  the_hedger_outlives_the_budget_handle();
  two_threads_never_exceed_the_budget();
}
