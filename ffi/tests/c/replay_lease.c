/* lease vectors: one planner and one lease cell (cap = max_batch). */
#include "vectors.h"

static const char *OUTCOMES[] = {"spent", "short", "expired"};

void replay_lease(const json *vector, const json *c, const json *steps) {
  weir_lease_config cfg;
  status_ok(weir_lease_config_default(&cfg));
  cfg.min_batch = cfg_u64(c, "min_batch", cfg.min_batch);
  cfg.max_batch = cfg_u64(c, "max_batch", cfg.max_batch);
  cfg.batch_period_ns = cfg_u64(c, "batch_period_ns", cfg.batch_period_ns);
  cfg.lead_ns = cfg_u64(c, "lead_ns", cfg.lead_ns);
  cfg.ttl_ns = cfg_u64(c, "ttl_ns", cfg.ttl_ns);
  weir_lease_planner *p = NULL;
  if (!built(vector, weir_lease_planner_new(&cfg, &p))) return;
  weir_lease *lease = NULL;
  status_ok(weir_lease_new(cfg.max_batch, &lease));
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "plan") == 0) {
      weir_lease_plan plan;
      status_ok(weir_lease_planner_plan(p, now, arg_u64(step, "rate_tokens"), arg_u64(step, "rate_over_ns"),
                                        arg_u64(step, "left"), arg_u64(step, "expires_at"), &plan));
      expect_u64(step, "ask", plan.ask);
      expect_u64(step, "next_at", plan.next_at);
      expect_u64(step, "low_water", plan.low_water);
    } else if (strcmp(op, "grant") == 0) {
      uint64_t left = 0;
      status_ok(weir_lease_grant(lease, now, arg_u64(step, "tokens"), arg_u64(step, "expires_at"), &left));
      expect_u64(step, "left", left);
    } else if (strcmp(op, "spend") == 0) {
      weir_lease_spend s;
      status_ok(weir_lease_try_spend(lease, now, arg_u64(step, "cost"), &s));
      expect_str(step, "outcome", s.outcome < 3 ? OUTCOMES[s.outcome] : "?");
      expect_u64(step, "left", s.left);
    } else {
      CHECK(!"unknown op");
    }
  }
  weir_lease_free(&lease);
  weir_lease_planner_free(&p);
}
