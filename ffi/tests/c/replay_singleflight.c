/* singleflight vectors. */
#include "vectors.h"

void replay_singleflight(const json *vector, const json *c, const json *steps) {
  weir_singleflight *t = NULL;
  if (!built(vector, weir_singleflight_new(cfg_u64(c, "capacity", 0), NULL, &t))) return;
  static const char *ROLES[] = {"leader", "follower", "table_full"};
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    uint32_t slot = 0, gen = 0;
    if (strcmp(op, "begin") == 0) {
      weir_flight f;
      status_ok(weir_singleflight_begin(t, arg_u64(step, "key"), &f));
      expect_str(step, "role", f.role < 3 ? ROLES[f.role] : "?");
      expect_u64(step, "slot", f.slot);
      expect_u64(step, "gen", f.gen);
    } else if (strcmp(op, "is_done") == 0) {
      bool done = false;
      status_ok(weir_singleflight_is_done(t, (uint32_t)arg_u64(step, "slot"), (uint32_t)arg_u64(step, "gen"), &done));
      expect_bool(step, "done", done);
    } else if (strcmp(op, "finish") == 0 || strcmp(op, "leave") == 0) {
      slot = (uint32_t)arg_u64(step, "slot");
      gen = (uint32_t)arg_u64(step, "gen");
      weir_status s = op[0] == 'f' ? weir_singleflight_finish(t, slot, gen) : weir_singleflight_leave(t, slot, gen);
      expect_ok(step, s);
      uint32_t state = 0;
      uint64_t waiters = 0;
      status_ok(weir_singleflight_slot(t, slot, &state, &waiters));
      expect_u64(step, "waiters", waiters);
    } else {
      CHECK(!"unknown singleflight op");
    }
    uint64_t occupied = 0;
    status_ok(weir_singleflight_occupied(t, &occupied));
    expect_u64(step, "occupied", occupied);
  }
  weir_singleflight_free(&t);
}
