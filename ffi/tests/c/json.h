/* A small JSON reader for the vector replay: enough of RFC 8259 for the
 * conformance vectors (objects, arrays, strings without \u escapes beyond
 * ASCII, numbers, booleans, null). Numbers keep their text so integers
 * above 2^53 stay exact. */
#ifndef WEIR_TEST_JSON_H
#define WEIR_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } json_kind;

typedef struct json {
  json_kind kind;
  bool boolean;
  char *text;           /* J_NUMBER: the literal; J_STRING: the value */
  char *key;            /* the member name when inside an object */
  struct json *child;   /* first element or member */
  struct json *next;    /* next sibling */
} json;

/* Parses `src`; NULL on a syntax error. Free with json_free. */
json *json_parse(const char *src);
void json_free(json *j);

/* Member `name` of an object, or NULL. */
const json *json_get(const json *obj, const char *name);
/* A number or a string of decimal digits as u64; false if neither. */
bool json_u64(const json *j, uint64_t *out);
bool json_f64(const json *j, double *out);
/* The file's contents, NUL-terminated, or NULL. Caller frees. */
char *json_read_file(const char *path);

#endif
