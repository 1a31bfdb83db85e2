/* deadline vectors: the budget, and the grpc-timeout and milliseconds
 * headers parsed and formatted. */
#include "vectors.h"

void replay_deadline(const json *vector, const json *c, const json *steps) {
  weir_deadline_config cfg = {.timeout_ns = cfg_u64(c, "timeout_ns", UINT64_MAX), .margin_ns = cfg_u64(c, "margin_ns", 0)};
  weir_deadline *d = NULL;
  if (!built(vector, weir_deadline_new(&cfg, &d))) return;
  FOR_STEPS(steps, step) {
    const char *op = op_of(step);
    uint64_t ns = 0;
    if (strcmp(op, "budget") == 0) {
      weir_deadline_answer b;
      bool has = has_arg(step, "deadline_ns");
      status_ok(weir_deadline_budget(d, STEP_AT(step), has, has ? arg_u64(step, "deadline_ns") : 0, &b));
      expect_str(step, "reason", weir_reason_str(b.reason));
      expect_u64(step, "timeout_ns", b.timeout_ns);
    } else if (strcmp(op, "parse_grpc_timeout") == 0 || strcmp(op, "parse_millis") == 0) {
      const char *v = arg_str(step, "value");
      weir_status s = op[6] == 'g' ? weir_parse_grpc_timeout((const uint8_t *)v, strlen(v), &ns)
                                   : weir_parse_millis((const uint8_t *)v, strlen(v), &ns);
      expect_parse(step, s, ns);
    } else if (strcmp(op, "format_grpc_timeout") == 0 || strcmp(op, "format_millis") == 0) {
      uint8_t buf[32];
      size_t len = has_arg(step, "buf_len") ? (size_t)arg_u64(step, "buf_len") : sizeof buf;
      if (len > sizeof buf) len = sizeof buf;
      size_t written = 0;
      weir_status s = op[7] == 'g' ? weir_format_grpc_timeout(arg_u64(step, "ns"), buf, len, &written)
                                   : weir_format_millis(arg_u64(step, "ns"), buf, len, &written);
      if (s == WEIR_STATUS_OK) {
        char text[33];
        memcpy(text, buf, written);
        text[written] = '\0';
        expect_str(step, "value", text);
      } else {
        CHECK(s == WEIR_STATUS_BUFFER_TOO_SMALL);
        expect_str(step, "error", weir_last_error_message());
      }
    } else {
      CHECK(!"unknown deadline op");
    }
  }
  weir_deadline_free(&d);
}
