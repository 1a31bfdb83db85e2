#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p;
  bool ok;
} cursor;

static json *parse_value(cursor *c);

static void skip_ws(cursor *c) {
  while (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t') c->p++;
}

static json *node(json_kind kind) {
  json *j = calloc(1, sizeof *j);
  if (j) j->kind = kind;
  return j;
}

static char *parse_string_raw(cursor *c) {
  if (*c->p != '"') return NULL;
  c->p++;
  size_t cap = 16, len = 0;
  char *out = malloc(cap);
  if (!out) return NULL;
  while (*c->p && *c->p != '"') {
    char ch = *c->p++;
    if (ch == '\\') {
      char e = *c->p++;
      switch (e) {
        case 'n': ch = '\n'; break;
        case 't': ch = '\t'; break;
        case 'r': ch = '\r'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'u': {
          /* Only what the vectors could hold: ASCII code points. */
          unsigned v = 0;
          for (int i = 0; i < 4; i++) {
            char h = *c->p++;
            v <<= 4;
            if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
            else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
            else { free(out); return NULL; }
          }
          ch = v < 128 ? (char)v : '?';
          break;
        }
        case '"': case '\\': case '/': ch = e; break;
        default: free(out); return NULL;
      }
    }
    if (len + 2 > cap) {
      cap *= 2;
      char *grown = realloc(out, cap);
      if (!grown) { free(out); return NULL; }
      out = grown;
    }
    out[len++] = ch;
  }
  if (*c->p != '"') { free(out); return NULL; }
  c->p++;
  out[len] = '\0';
  return out;
}

static json *parse_container(cursor *c, bool object) {
  json *j = node(object ? J_OBJECT : J_ARRAY);
  if (!j) return NULL;
  c->p++;
  skip_ws(c);
  char close = object ? '}' : ']';
  json **tail = &j->child;
  if (*c->p == close) { c->p++; return j; }
  for (;;) {
    skip_ws(c);
    char *key = NULL;
    if (object) {
      key = parse_string_raw(c);
      skip_ws(c);
      if (!key || *c->p != ':') { free(key); json_free(j); return NULL; }
      c->p++;
    }
    json *v = parse_value(c);
    if (!v) { free(key); json_free(j); return NULL; }
    v->key = key;
    *tail = v;
    tail = &v->next;
    skip_ws(c);
    if (*c->p == ',') { c->p++; continue; }
    if (*c->p == close) { c->p++; return j; }
    json_free(j);
    return NULL;
  }
}

static json *parse_value(cursor *c) {
  skip_ws(c);
  switch (*c->p) {
    case '{': return parse_container(c, true);
    case '[': return parse_container(c, false);
    case '"': {
      char *s = parse_string_raw(c);
      if (!s) return NULL;
      json *j = node(J_STRING);
      if (!j) { free(s); return NULL; }
      j->text = s;
      return j;
    }
    case 't':
    case 'f': {
      bool v = *c->p == 't';
      const char *word = v ? "true" : "false";
      if (strncmp(c->p, word, strlen(word)) != 0) return NULL;
      c->p += strlen(word);
      json *j = node(J_BOOL);
      if (j) j->boolean = v;
      return j;
    }
    case 'n':
      if (strncmp(c->p, "null", 4) != 0) return NULL;
      c->p += 4;
      return node(J_NULL);
    default: {
      const char *start = c->p;
      while (*c->p && strchr("+-0123456789.eE", *c->p)) c->p++;
      if (c->p == start) return NULL;
      json *j = node(J_NUMBER);
      if (!j) return NULL;
      size_t n = (size_t)(c->p - start);
      j->text = malloc(n + 1);
      if (!j->text) { free(j); return NULL; }
      memcpy(j->text, start, n);
      j->text[n] = '\0';
      return j;
    }
  }
}

json *json_parse(const char *src) {
  cursor c = {src, true};
  json *j = parse_value(&c);
  if (!j) return NULL;
  skip_ws(&c);
  if (*c.p != '\0') { json_free(j); return NULL; }
  return j;
}

void json_free(json *j) {
  while (j) {
    json *next = j->next;
    json_free(j->child);
    free(j->text);
    free(j->key);
    free(j);
    j = next;
  }
}

const json *json_get(const json *obj, const char *name) {
  if (!obj || obj->kind != J_OBJECT) return NULL;
  for (const json *m = obj->child; m; m = m->next)
    if (m->key && strcmp(m->key, name) == 0) return m;
  return NULL;
}

bool json_u64(const json *j, uint64_t *out) {
  if (!j || (j->kind != J_NUMBER && j->kind != J_STRING) || !j->text[0]) return false;
  for (const char *p = j->text; *p; p++)
    if (*p < '0' || *p > '9') return false;
  errno = 0;
  unsigned long long v = strtoull(j->text, NULL, 10);
  if (errno) return false;
  *out = (uint64_t)v;
  return true;
}

bool json_f64(const json *j, double *out) {
  if (!j || j->kind != J_NUMBER) return false;
  char *end = NULL;
  *out = strtod(j->text, &end);
  return end && *end == '\0';
}

char *json_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
  long size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
  char *buf = malloc((size_t)size + 1);
  if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) { free(buf); buf = NULL; }
  if (buf) buf[size] = '\0';
  fclose(f);
  return buf;
}
