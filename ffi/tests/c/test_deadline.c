/* Bad inputs for the deadline and the header parsers and formatters
 * (grpc-timeout, milliseconds, Retry-After): NULLs, zero configs, deadlines
 * past and at the end of the clock, malformed headers and short buffers.
 * Every refusal must leave out-pointers as they were. */
#include "tests.h"

void test_deadline(void) {
  weir_deadline *dl = NULL, *bad = NULL;
  weir_deadline_config zero = {.timeout_ns = 0, .margin_ns = 0};
  CHECK_BAD(weir_deadline_new(&zero, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("timeout_ns"));
  weir_deadline_config margin = {.timeout_ns = SECOND, .margin_ns = SECOND};
  CHECK_BAD(weir_deadline_new(&margin, &bad), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("margin_ns"));
  weir_deadline_config none = {.timeout_ns = UINT64_MAX, .margin_ns = UINT64_MAX - 1};
  CHECK_BAD(weir_deadline_new(NULL, &bad), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_deadline_new(&none, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK(bad == NULL);
  CHECK_OK(weir_deadline_new(&none, &dl));
  weir_deadline_answer a = {.reason = 77};
  CHECK_BAD(weir_deadline_budget(NULL, 0, false, 0, &a), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_deadline_budget(dl, 0, false, 0, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(a.reason, 77);
  /* A deadline in the past, and the end of the clock. */
  CHECK_OK(weir_deadline_budget(dl, SECOND, true, 0, &a));
  CHECK_EQ_U64(a.reason, WEIR_REASON_DEADLINE_EXCEEDED);
  CHECK_EQ_U64(a.timeout_ns, 0);
  CHECK_OK(weir_deadline_budget(dl, UINT64_MAX, true, UINT64_MAX, &a));
  CHECK_EQ_U64(a.reason, WEIR_REASON_DEADLINE_EXCEEDED);
  weir_deadline_free(&dl);
  CHECK(dl == NULL);
  weir_deadline_free(&dl);
  weir_deadline_free(NULL);

  /* Headers: NULL with a length, empty, too long, bad units, overflow. */
  uint64_t ns = 77;
  CHECK_BAD(weir_parse_grpc_timeout(NULL, 3, &ns), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_parse_grpc_timeout((const uint8_t *)"1S", 2, NULL), WEIR_STATUS_NULL_ARGUMENT);
  const char *bad_timeouts[] = {"", "S", "123456789S", "-1m", "1x", "1 S", "\xff\xfeS"};
  for (size_t i = 0; i < sizeof bad_timeouts / sizeof *bad_timeouts; i++) {
    const char *v = bad_timeouts[i];
    CHECK_BAD(weir_parse_grpc_timeout((const uint8_t *)v, strlen(v), &ns), WEIR_STATUS_INVALID_HEADER);
  }
  const char *bad_millis[] = {"", "-5", "+5", "1.5", "5ms"};
  for (size_t i = 0; i < sizeof bad_millis / sizeof *bad_millis; i++) {
    const char *v = bad_millis[i];
    CHECK_BAD(weir_parse_millis((const uint8_t *)v, strlen(v), &ns), WEIR_STATUS_INVALID_HEADER);
  }
  const char *bad_retry_after[] = {"", "soon", "-1", "Wed, 99 Oct 2015 07:28:00 GMT"};
  for (size_t i = 0; i < sizeof bad_retry_after / sizeof *bad_retry_after; i++) {
    const char *v = bad_retry_after[i];
    CHECK_BAD(weir_parse_retry_after((const uint8_t *)v, strlen(v), 0, &ns), WEIR_STATUS_INVALID_HEADER);
  }
  CHECK_BAD(weir_parse_retry_after(NULL, 1, 0, &ns), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_EQ_U64(ns, 77);
  CHECK(strlen(weir_last_error_message()) > 0);
  /* A pushback past the clock's range saturates rather than wraps. */
  const char *huge = "99999999999999999999999";
  CHECK_OK(weir_parse_millis((const uint8_t *)huge, strlen(huge), &ns));
  CHECK_EQ_U64(ns, UINT64_MAX);

  uint8_t buf[32];
  memset(buf, 0xab, sizeof buf);
  size_t written = 77;
  CHECK_BAD(weir_format_grpc_timeout(SECOND, NULL, 9, &written), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_format_grpc_timeout(SECOND, buf, 9, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_format_grpc_timeout(UINT64_MAX, buf, 0, &written), WEIR_STATUS_BUFFER_TOO_SMALL);
  CHECK_BAD(weir_format_millis(UINT64_MAX, buf, 3, &written), WEIR_STATUS_BUFFER_TOO_SMALL);
  CHECK_BAD(weir_format_millis(1, buf, SIZE_MAX, &written), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK_EQ_U64(written, 77);
  CHECK_EQ_U64(buf[0], 0xab);
  /* The longest outputs fit the documented sizes exactly. */
  CHECK_OK(weir_format_grpc_timeout(UINT64_MAX, buf, 9, &written));
  CHECK(written <= 9);
  CHECK_OK(weir_format_millis(UINT64_MAX, buf, 17, &written));
  CHECK(written <= 17);
}
