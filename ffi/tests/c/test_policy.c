/* weir_policy: the policy vectors (policy/tests/vectors) replayed through
 * the C ABI, the example policy loaded, refusals naming rule and field. */
#include "json.h"
#include "tests.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

/* A growing string, for turning a parsed document back into JSON. */
typedef struct {
  char *s;
  size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void quoted(buf *b, const char *s) {
  puts_(b, "\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') puts_(b, "\\");
    if (*s == '\n') {
      puts_(b, "\\n");
      continue;
    }
    put(b, s, 1);
  }
  puts_(b, "\"");
}

static void dump(buf *b, const json *j) {
  switch (j->kind) {
  case J_NULL: puts_(b, "null"); break;
  case J_BOOL: puts_(b, j->boolean ? "true" : "false"); break;
  case J_NUMBER: puts_(b, j->text); break;
  case J_STRING: quoted(b, j->text); break;
  case J_ARRAY:
  case J_OBJECT:
    puts_(b, j->kind == J_ARRAY ? "[" : "{");
    for (const json *c = j->child; c; c = c->next) {
      if (c != j->child) puts_(b, ",");
      if (j->kind == J_OBJECT) {
        quoted(b, c->key);
        puts_(b, ":");
      }
      dump(b, c);
    }
    puts_(b, j->kind == J_ARRAY ? "]" : "}");
    break;
  }
}

static const char *text(const json *j, const char *name) {
  const json *v = json_get(j, name);
  return v && v->kind == J_STRING ? v->text : NULL;
}

static uint64_t num(const json *j, const char *name, uint64_t otherwise) {
  uint64_t v;
  const json *f = json_get(j, name);
  return f && json_u64(f, &v) ? v : otherwise;
}

static int same(const uint8_t *p, size_t n, const char *want) { return n == strlen(want) && memcmp(p, want, n) == 0; }

/* Whether header `name` among the verdict's (request or response) is `want`. */
static int header_is(const weir_verdict *v, bool request, size_t count, const char *name, const char *want) {
  for (size_t i = 0; i < count; i++) {
    weir_header h;
    if (weir_verdict_get_header(v, request, i, &h) != WEIR_STATUS_OK) return 0;
    if (same(h.name, h.name_len, name)) return same(h.value, h.value_len, want);
  }
  return 0;
}

static int text_is(const weir_verdict *v, weir_verdict_text which, const char *want) {
  const uint8_t *p;
  size_t n;
  return weir_verdict_get_text(v, which, &p, &n) == WEIR_STATUS_OK && same(p, n, want);
}

static weir_verdict *check_step(const weir_policy *p, const json *step, const char *ctx) {
  const json *r = json_get(step, "request");
  weir_header headers[16];
  size_t nh = 0;
  const json *hs = json_get(r, "headers");
  for (const json *h = hs ? hs->child : NULL; h && nh < 16; h = h->next, nh++) {
    headers[nh] = (weir_header){(const uint8_t *)h->key, strlen(h->key), (const uint8_t *)h->text, strlen(h->text)};
  }
  const char *method = text(r, "method") ? text(r, "method") : "GET";
  const char *path = text(r, "path") ? text(r, "path") : "/";
  const char *addr = text(r, "client_address"), *key = text(r, "key");
  weir_request req = {
      (const uint8_t *)method, strlen(method), (const uint8_t *)path, strlen(path), headers, nh,
      (const uint8_t *)addr,   addr ? strlen(addr) : 0, (const uint8_t *)key, key ? strlen(key) : 0,
  };
  weir_verdict *v = NULL;
  CHECK(weir_policy_check(p, &req, num(step, "at", 0), &v) == WEIR_STATUS_OK);
  weir_verdict_info info;
  CHECK(weir_verdict_get_info(v, &info) == WEIR_STATUS_OK);
  const json *e = json_get(step, "expect");
  uint64_t status = num(e, "status", 0);
  if (info.status != status) fprintf(stderr, "%s: status %u, want %llu\n", ctx, info.status, (unsigned long long)status);
  CHECK_EQ_U64(info.status, status);
  CHECK(info.admitted == (status == 200));
  if (text(e, "reason")) CHECK(text_is(v, WEIR_VERDICT_TEXT_REASON, text(e, "reason")));
  if (text(e, "rule")) CHECK(text_is(v, WEIR_VERDICT_TEXT_RULE, text(e, "rule")));
  if (text(e, "upstream")) CHECK(text_is(v, WEIR_VERDICT_TEXT_UPSTREAM, text(e, "upstream")));
  if (text(e, "body")) CHECK(text_is(v, WEIR_VERDICT_TEXT_BODY, text(e, "body")));
  const json *want = json_get(e, "headers");
  for (const json *h = want ? want->child : NULL; h; h = h->next) {
    int ok = header_is(v, false, info.headers, h->key, h->text);
    if (!ok) fprintf(stderr, "%s: header %s is not %s\n", ctx, h->key, h->text);
    CHECK(ok);
  }
  want = json_get(e, "request_headers");
  for (const json *h = want ? want->child : NULL; h; h = h->next) CHECK(header_is(v, true, info.request_headers, h->key, h->text));
  return v;
}

static void report(weir_verdict *v, const json *r, uint64_t at) {
  weir_outcome o = {0};
  o.status = (uint32_t)num(r, "status", 0);
  o.has_grpc_status = json_get(r, "grpc_status") != NULL;
  o.grpc_status = (uint32_t)num(r, "grpc_status", 0);
  o.has_latency = json_get(r, "latency") != NULL;
  o.latency_ns = num(r, "latency", 0);
  o.has_cpu = json_get(r, "cpu") != NULL;
  o.cpu = num(r, "cpu", 0);
  CHECK(weir_verdict_report(v, &o, at) == WEIR_STATUS_OK);
}

#define HELD 8

static int replay(const char *dir, const char *file) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  char *src = json_read_file(path);
  json *vec = src ? json_parse(src) : NULL;
  free(src);
  if (!vec) {
    check_failed++;
    fprintf(stderr, "%s: cannot read\n", path);
    return 0;
  }
  buf doc = {0};
  dump(&doc, json_get(vec, "policy"));
  weir_policy *p = NULL;
  CHECK(weir_policy_new_at((const uint8_t *)doc.s, doc.len, 0, 1, &p) == WEIR_STATUS_OK);
  free(doc.s);
  const char *ids[HELD] = {0};
  weir_verdict *held[HELD] = {0};
  int i = 0;
  const json *steps = json_get(vec, "steps");
  for (const json *s = steps->child; s && p; s = s->next, i++) {
    char ctx[320];
    snprintf(ctx, sizeof ctx, "%s step %d", file, i);
    const char *op = text(s, "op");
    uint64_t at = num(s, "at", 0);
    if (strcmp(op, "check") == 0) {
      weir_verdict *v = check_step(p, s, ctx);
      const json *respond = json_get(s, "respond");
      if (respond) report(v, respond, at);
      if (!respond && text(s, "id")) {
        for (int k = 0; k < HELD; k++) {
          if (!ids[k]) {
            ids[k] = text(s, "id");
            held[k] = v;
            v = NULL;
            break;
          }
        }
      }
      weir_verdict_free(&v);
    } else {
      for (int k = 0; k < HELD; k++) {
        if (ids[k] && strcmp(ids[k], text(s, "id")) == 0) {
          weir_outcome none = {0};
          if (strcmp(op, "respond") == 0) report(held[k], s, at);
          else CHECK(weir_verdict_report(held[k], &none, at) == WEIR_STATUS_OK);
          weir_verdict_free(&held[k]);
          ids[k] = NULL;
        }
      }
    }
  }
  const json *counters = json_get(vec, "counters");
  for (const json *c = counters ? counters->child : NULL; c && p; c = c->next) {
    uint64_t got = 0, want = 0;
    CHECK(json_u64(c, &want));
    CHECK(weir_policy_counter(p, (const uint8_t *)c->key, strlen(c->key), &got) == WEIR_STATUS_OK);
    if (got != want) fprintf(stderr, "%s: counter %s = %llu, want %llu\n", file, c->key, (unsigned long long)got, (unsigned long long)want);
    CHECK_EQ_U64(got, want);
  }
  for (int k = 0; k < HELD; k++) weir_verdict_free(&held[k]);
  weir_policy_free(&p);
  json_free(vec);
  return 1;
}

static void refusals_name_the_rule_and_the_field(void) {
  const char *bad = "{\"rules\": [{\"name\": \"api\", \"limit\": [{\"rate\": 5}, {\"rate\": 0}]}]}";
  weir_policy *p = NULL;
  CHECK(weir_policy_new((const uint8_t *)bad, strlen(bad), &p) == WEIR_STATUS_INVALID_CONFIG);
  CHECK(p == NULL);
  CHECK(last_field_is("limit[1].rate"));
  CHECK(strcmp(weir_last_error_rule(), "rule #1 \"api\"") == 0);
  CHECK(strstr(weir_last_error_message(), "got 0") != NULL);
  CHECK(weir_policy_load("/nowhere/policy.json", &p) == WEIR_STATUS_INVALID_ARGUMENT);
  CHECK(weir_policy_check(NULL, NULL, 0, NULL) == WEIR_STATUS_NULL_ARGUMENT);
  check_bad_inputs += 2;
}

static void the_example_loads_and_a_reload_keeps_state(const char *root) {
  char path[2048];
  snprintf(path, sizeof path, "%s/examples/policy.json", root);
  weir_policy *p = NULL;
  CHECK(weir_policy_load(path, &p) == WEIR_STATUS_OK);
  weir_header tenant = {(const uint8_t *)"x-tenant", 8, (const uint8_t *)"acme", 4};
  weir_request req = {(const uint8_t *)"GET", 3, (const uint8_t *)"/api/a", 6, &tenant, 1,
                      (const uint8_t *)"10.0.0.1:5", 10, (const uint8_t *)"alice", 5};
  int admitted = 0;
  for (int i = 0; i < 11; i++) {
    weir_verdict *v = NULL, *w = NULL;
    weir_verdict_info info;
    CHECK(weir_policy_check(p, &req, 0, &v) == WEIR_STATUS_OK);
    CHECK(weir_verdict_get_info(v, &info) == WEIR_STATUS_OK);
    admitted += info.admitted;
    if (!info.admitted) CHECK(text_is(v, WEIR_VERDICT_TEXT_RULE, "per_user"));
    weir_verdict_free(&v);
    weir_verdict_free(&v);
    (void)w;
  }
  CHECK_EQ_U64(admitted, 10);
  weir_policy_free(&p);

  const char *one = "{\"rules\": [{\"name\": \"a\", \"limit\": {\"rate\": 1, \"per\": \"1h\"}}]}";
  CHECK(weir_policy_new_at((const uint8_t *)one, strlen(one), 0, 1, &p) == WEIR_STATUS_OK);
  weir_request bare = {0};
  weir_verdict *v = NULL;
  weir_verdict_info info;
  CHECK(weir_policy_check(p, &bare, 0, &v) == WEIR_STATUS_OK && v == NULL);
  CHECK(weir_policy_replace(p, (const uint8_t *)one, strlen(one), 1) == WEIR_STATUS_OK);
  CHECK(weir_policy_check(p, &bare, 1, &v) == WEIR_STATUS_OK);
  CHECK(weir_verdict_get_info(v, &info) == WEIR_STATUS_OK && info.status == 429);
  weir_verdict_free(&v);
  const char *bad = "{\"rules\": []}";
  CHECK(weir_policy_replace(p, (const uint8_t *)bad, strlen(bad), 2) == WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("rules"));
  weir_policy_free(&p);
  weir_policy_free(&p);
}

/* B answered 503 because C, behind it, failed and B's weir refused: the
 * marker keeps A's breaker on B closed; the same 503 unmarked opens it. */
static void an_answer_marked_no_retry_is_not_the_upstreams_failure(void) {
  const char *doc = "{\"rules\": [{\"name\": \"b\", \"breaker\": {\"consecutive_failures\": 1}}]}";
  weir_policy *p = NULL;
  CHECK(weir_policy_new_at((const uint8_t *)doc, strlen(doc), 0, 1, &p) == WEIR_STATUS_OK);
  weir_request req = {(const uint8_t *)"GET", 3, (const uint8_t *)"/", 1, NULL, 0, NULL, 0, NULL, 0};
  weir_outcome busy = {0};
  busy.status = 503;
  weir_verdict_info info;
  for (uint64_t at = 0; at < 3; at++) {
    weir_verdict *v = NULL;
    CHECK(weir_policy_check(p, &req, at, &v) == WEIR_STATUS_OK);
    CHECK(weir_verdict_get_info(v, &info) == WEIR_STATUS_OK);
    CHECK(info.admitted);
    CHECK(weir_verdict_report_answer(v, &busy, true, at) == WEIR_STATUS_OK);
    weir_verdict_free(&v);
  }
  weir_verdict *v = NULL;
  CHECK(weir_policy_check(p, &req, 10, &v) == WEIR_STATUS_OK);
  CHECK(weir_verdict_report_answer(v, &busy, false, 10) == WEIR_STATUS_OK);
  weir_verdict_free(&v);
  CHECK(weir_policy_check(p, &req, 11, &v) == WEIR_STATUS_OK);
  CHECK(weir_verdict_get_info(v, &info) == WEIR_STATUS_OK);
  CHECK_EQ_U64(info.status, 503);
  CHECK(text_is(v, WEIR_VERDICT_TEXT_REASON, "breaker_open"));
  weir_verdict_free(&v);
  weir_policy_free(&p);
}

int test_policy(const char *core_vectors) {
  char root[512], dir[600];
  snprintf(root, sizeof root, "%s/../../..", core_vectors);
  snprintf(dir, sizeof dir, "%s/policy/tests/vectors", root);
  refusals_name_the_rule_and_the_field();
  the_example_loads_and_a_reload_keeps_state(root);
  an_answer_marked_no_retry_is_not_the_upstreams_failure();
  DIR *d = opendir(dir);
  if (!d) {
    check_failed++;
    fprintf(stderr, "cannot open %s\n", dir);
    return 0;
  }
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) count += replay(dir, e->d_name);
  }
  closedir(d);
  return count;
}
