/* examples/policy.json, loaded unchanged, on the recorded trace that real
 * Envoy and the Python, Node and Go bindings replay too
 * (policy/tests/traces/example-trace.json): every verdict the same. */
#include "json.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>

static int same(const uint8_t *p, size_t n, const char *want) { return n == strlen(want) && memcmp(p, want, n) == 0; }

/* Header `name` of the verdict's answer or response, or NULL (absent). */
static const weir_header *find_header(const weir_verdict *v, size_t count, const char *name, weir_header *h) {
  for (size_t i = 0; i < count; i++) {
    if (weir_verdict_get_header(v, false, i, h) == WEIR_STATUS_OK && same(h->name, h->name_len, name)) return h;
  }
  return NULL;
}

static int text_is(const weir_verdict *v, weir_verdict_text which, const char *want) {
  const uint8_t *p;
  size_t n;
  return weir_verdict_get_text(v, which, &p, &n) == WEIR_STATUS_OK && same(p, n, want);
}

static const char *str(const json *j, const char *name) {
  const json *v = json_get(j, name);
  return v && v->kind == J_STRING ? v->text : "";
}

/* Whether the verdict is what `expect` says; prints the first difference. */
static int verdict_is(const weir_verdict *v, const json *expect, const char *ctx) {
  weir_verdict_info info;
  uint64_t status = 0;
  if (weir_verdict_get_info(v, &info) != WEIR_STATUS_OK || !json_u64(json_get(expect, "status"), &status)) return 0;
  if (info.status != status || info.admitted != (status == 200)) {
    fprintf(stderr, "%s: status %u, want %llu\n", ctx, info.status, (unsigned long long)status);
    return 0;
  }
  if (!info.admitted) {
    char body[256];
    snprintf(body, sizeof body, "weir: %s by rule \"%s\"\n", str(expect, "reason"), str(expect, "rule"));
    if (!text_is(v, WEIR_VERDICT_TEXT_REASON, str(expect, "reason")) ||
        !text_is(v, WEIR_VERDICT_TEXT_RULE, str(expect, "rule")) || !text_is(v, WEIR_VERDICT_TEXT_BODY, body)) {
      fprintf(stderr, "%s: not refused %s by rule %s\n", ctx, str(expect, "reason"), str(expect, "rule"));
      return 0;
    }
  }
  const json *want = json_get(expect, "headers");
  for (const json *w = want ? want->child : NULL; w; w = w->next) {
    weir_header h;
    const weir_header *got = find_header(v, info.headers, w->key, &h);
    int ok = w->kind == J_NULL ? got == NULL : got != NULL && same(got->value, got->value_len, w->text);
    if (!ok) {
      fprintf(stderr, "%s: header %s is not %s\n", ctx, w->key, w->kind == J_NULL ? "absent" : w->text);
      return 0;
    }
  }
  return 1;
}

void test_policy_trace(const char *core_vectors) {
  char root[512], path[2048];
  snprintf(root, sizeof root, "%s/../../..", core_vectors);
  snprintf(path, sizeof path, "%s/policy/tests/traces/example-trace.json", root);
  char *src = json_read_file(path);
  json *trace = src ? json_parse(src) : NULL;
  CHECK(trace != NULL);
  if (!trace) {
    free(src);
    return;
  }
  snprintf(path, sizeof path, "%s/%s", root, str(trace, "policy"));
  weir_policy *p = NULL;
  CHECK(weir_policy_load(path, &p) == WEIR_STATUS_OK);
  uint64_t upstream_status = 0;
  CHECK(json_u64(json_get(json_get(trace, "outcome"), "status"), &upstream_status));
  const json *steps = json_get(trace, "requests");
  int i = 0;
  for (const json *step = steps ? steps->child : NULL; step && p; step = step->next, i++) {
    const json *r = json_get(step, "request");
    weir_header headers[8];
    size_t nh = 0;
    const json *hs = json_get(r, "headers");
    for (const json *h = hs ? hs->child : NULL; h && nh < 8; h = h->next, nh++) {
      headers[nh] = (weir_header){(const uint8_t *)h->key, strlen(h->key), (const uint8_t *)h->text, strlen(h->text)};
    }
    const char *method = str(r, "method"), *rpath = str(r, "path"), *client = str(r, "client_address");
    weir_request req = {(const uint8_t *)method, strlen(method), (const uint8_t *)rpath, strlen(rpath),
                        headers, nh, (const uint8_t *)client, strlen(client), NULL, 0};
    weir_verdict *v = NULL;
    CHECK(weir_policy_check_now(p, &req, &v) == WEIR_STATUS_OK);
    char ctx[300];
    snprintf(ctx, sizeof ctx, "example trace request %d %s", i, rpath);
    CHECK(verdict_is(v, json_get(step, "expect"), ctx));
    /* What the upstream behind Envoy answers, so the learners agree. */
    weir_outcome answered = {.status = (uint32_t)upstream_status};
    CHECK(weir_verdict_report(v, &answered, weir_now()) == WEIR_STATUS_OK);
    weir_verdict_free(&v);
  }
  CHECK(i >= 10);
  weir_policy_free(&p);
  json_free(trace);
  free(src);
}
