/* Bad inputs for the picker: NULLs, zero / NaN / infinite / huge configs, a
 * full table, unknown nodes, stale and forged tickets, and saturating
 * latencies. Every refusal must leave out-pointers as they were. */
#include "tests.h"

#include <math.h>

void test_picker(void) {
  weir_picker_config cfg;
  CHECK_OK(weir_picker_config_default(&cfg));
  CHECK_BAD(weir_picker_config_default(NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_picker *p = NULL, *bad = NULL;
  CHECK_BAD(weir_picker_new(NULL, 4, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_new(&cfg, 4, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_new(&cfg, 0, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  CHECK_BAD(weir_picker_new(&cfg, 65537, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK_BAD(weir_picker_new(&cfg, UINT64_MAX, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("capacity"));
  weir_picker_config c = cfg;
  c.tau_ns = 0;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("tau_ns"));
  c = cfg;
  c.success_floor = NAN;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("success_floor"));
  c.success_floor = 1.5;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  c.success_floor = -INFINITY;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("success_floor"));
  c = cfg;
  c.cpu_ceiling = 1001;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("cpu_ceiling"));
  c = cfg;
  c.latency_bias_ns = 0;
  c.initial_latency_ns = 0;
  CHECK_BAD(weir_picker_new(&c, 4, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("latency_bias_ns"));
  CHECK(bad == NULL);

  CHECK_OK(weir_picker_new(&cfg, 2, &p));
  weir_pick pick = {.reason = 77};
  /* No node yet: a refusal, and its pick is no ticket. */
  CHECK_OK(weir_picker_pick(p, 0, 1, &pick));
  CHECK_EQ_U64(pick.reason, WEIR_REASON_NO_NODE);
  CHECK_BAD(weir_picker_done(p, &pick, 0, 0, true, -1), WEIR_STATUS_NOT_FOUND);
  uint32_t index = 99, a = 0;
  CHECK_BAD(weir_picker_add(NULL, 1, 0, &index), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_add(p, 1, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(index, 99);
  CHECK_OK(weir_picker_add(p, 1, 0, &a));
  CHECK_OK(weir_picker_add(p, 2, 0, &index));
  CHECK_BAD(weir_picker_add(p, 3, 0, &index), WEIR_STATUS_FULL);
  CHECK_BAD(weir_picker_remove(p, 7), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_remove(p, UINT32_MAX), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_set_up(p, 7, true), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_set_up(NULL, a, true), WEIR_STATUS_NULL_ARGUMENT);
  weir_node_stats node = {.id = 77};
  CHECK_BAD(weir_picker_node(p, 7, &node), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_node(p, a, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(node.id, 77);
  CHECK_BAD(weir_picker_find(p, 42, &index), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_find(p, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_pick(p, 0, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_pick_now(NULL, &pick), WEIR_STATUS_NULL_ARGUMENT);

  /* Stale tickets: done twice, done after removal, a forged generation. */
  CHECK_OK(weir_picker_pick(p, 1, 12345, &pick));
  CHECK_EQ_U64(pick.reason, WEIR_REASON_ADMITTED);
  weir_pick forged = pick;
  forged.gen += 1;
  CHECK_BAD(weir_picker_done(p, &forged, 2, 1, true, -1), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_picker_done(p, &pick, 2, 1, true, 2000)); /* CPU past 1000 is clamped, not UB */
  CHECK_BAD(weir_picker_done(p, &pick, 3, 1, true, -1), WEIR_STATUS_NOT_FOUND);
  CHECK_OK(weir_picker_pick(p, 4, 99, &pick));
  CHECK_OK(weir_picker_remove(p, pick.index));
  CHECK_BAD(weir_picker_done_now(p, &pick, false, -1), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_remove(p, pick.index), WEIR_STATUS_NOT_FOUND);
  CHECK_BAD(weir_picker_done(p, NULL, 5, 1, true, -1), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_picker_done_now(p, NULL, true, -1), WEIR_STATUS_NULL_ARGUMENT);
  /* Huge latencies and times saturate. */
  CHECK_OK(weir_picker_pick(p, UINT64_MAX - 1, UINT64_MAX, &pick));
  CHECK_OK(weir_picker_done(p, &pick, UINT64_MAX, UINT64_MAX, false, INT32_MIN));
  CHECK_OK(weir_picker_node(p, pick.index, &node));
  CHECK(node.latency_ns >= 0 && !isnan(node.latency_ns) && node.success >= 0 && node.success <= 1);

  weir_picker_free(&p);
  CHECK(p == NULL);
  weir_picker_free(&p);
  weir_picker_free(NULL);
}
