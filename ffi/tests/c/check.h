/* Assertions that count instead of aborting, so one run reports every
 * failure; the closing line is "N passed, N failed". */
#ifndef WEIR_TEST_CHECK_H
#define WEIR_TEST_CHECK_H

#include <stdio.h>

extern int check_passed, check_failed, check_bad_inputs;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond) {                                                            \
      check_passed++;                                                      \
    } else {                                                               \
      check_failed++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                      \
  } while (0)

#define CHECK_EQ_U64(a, b)                                                 \
  do {                                                                     \
    unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
    if (va_ == vb_) {                                                      \
      check_passed++;                                                      \
    } else {                                                               \
      check_failed++;                                                      \
      fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a, #b, va_, vb_); \
    }                                                                      \
  } while (0)

#define CHECK_OK(call) CHECK_EQ_U64((call), WEIR_STATUS_OK)

/* A call with a bad input must answer `status` (and count as a bad-input case). */
#define CHECK_BAD(call, status)                                            \
  do {                                                                     \
    check_bad_inputs++;                                                    \
    CHECK_EQ_U64((call), (status));                                        \
  } while (0)

#endif
