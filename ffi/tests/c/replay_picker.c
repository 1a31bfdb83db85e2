/* picker vectors. */
#include "vectors.h"

void replay_picker(const json *vector, const json *c, const json *steps) {
  weir_picker_config cfg;
  status_ok(weir_picker_config_default(&cfg));
  cfg.tau_ns = cfg_u64(c, "tau_ns", cfg.tau_ns);
  cfg.force_pick_ns = cfg_u64(c, "force_pick_ns", cfg.force_pick_ns);
  cfg.success_floor = cfg_f64(c, "success_floor", cfg.success_floor);
  cfg.cpu_ceiling = cfg_u64(c, "cpu_ceiling", cfg.cpu_ceiling);
  cfg.latency_bias_ns = cfg_u64(c, "latency_bias_ns", cfg.latency_bias_ns);
  cfg.initial_latency_ns = cfg_u64(c, "initial_latency_ns", cfg.initial_latency_ns);
  weir_picker *p = NULL;
  if (!built(vector, weir_picker_new(&cfg, cfg_u64(c, "capacity", 0), &p))) return;
  static const char *STATES[] = {"empty", "up", "down", "adding"};
  FOR_STEPS(steps, step) {
    uint64_t now = STEP_AT(step);
    const char *op = op_of(step);
    if (strcmp(op, "add") == 0) {
      uint32_t index = 0;
      weir_status s = weir_picker_add(p, arg_u64(step, "id"), now, &index);
      CHECK(s == WEIR_STATUS_OK || s == WEIR_STATUS_FULL);
      expect_str(step, "reason", s == WEIR_STATUS_OK ? "admitted" : "table_full");
      if (s == WEIR_STATUS_OK) expect_u64(step, "index", index);
    } else if (strcmp(op, "remove") == 0) {
      expect_ok(step, weir_picker_remove(p, (uint32_t)arg_u64(step, "index")));
    } else if (strcmp(op, "set_up") == 0) {
      expect_ok(step, weir_picker_set_up(p, (uint32_t)arg_u64(step, "index"), arg_bool(step, "up")));
    } else if (strcmp(op, "pick") == 0) {
      weir_pick pick;
      status_ok(weir_picker_pick(p, now, arg_u64(step, "draw"), &pick));
      expect_str(step, "reason", weir_reason_str(pick.reason));
      expect_u64(step, "index", pick.index);
      expect_u64(step, "gen", pick.gen);
      expect_bool(step, "forced", pick.forced != 0);
    } else if (strcmp(op, "done") == 0) {
      weir_pick pick = {.reason = WEIR_REASON_ADMITTED,
                        .index = (uint32_t)arg_u64(step, "index"),
                        .gen = (uint32_t)arg_u64(step, "gen")};
      int32_t cpu = has_arg(step, "cpu_permille") ? (int32_t)arg_u64(step, "cpu_permille") : -1;
      expect_ok(step, weir_picker_done(p, &pick, now, arg_u64(step, "latency_ns"), arg_bool(step, "success"), cpu));
    } else if (strcmp(op, "node") == 0) {
      weir_node_stats n;
      status_ok(weir_picker_node(p, (uint32_t)arg_u64(step, "index"), &n));
      expect_str(step, "state", n.state < 4 ? STATES[n.state] : "?");
      expect_u64(step, "in_flight", n.in_flight);
      expect_u64(step, "latency_ns", (uint64_t)n.latency_ns);
      expect_u64(step, "success_ppm", (uint64_t)(n.success * 1e6));
      expect_u64(step, "cpu_permille", n.cpu_permille);
      expect_u64(step, "id", n.id);
    } else {
      CHECK(!"unknown picker op");
    }
  }
  weir_picker_free(&p);
}
