/* The shared limiter: one bucket across handles and across processes
 * (fork), and every way to open it wrongly. */
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const weir_limiter_config shared_cfg = {.rate = 10, .period_ns = SECOND, .burst = 3};

static void one_bucket(const char *path) {
  weir_shared_limiter *a = NULL, *b = NULL;
  CHECK_OK(weir_shared_limiter_open(path, &shared_cfg, &a));
  CHECK_OK(weir_shared_limiter_open(path, &shared_cfg, &b));
  weir_decision d;
  const uint64_t now = 50 * SECOND;
  CHECK_OK(weir_shared_limiter_acquire(a, now, 2, &d));
  CHECK(d.admitted);
  CHECK_EQ_U64(d.remaining, 1);
  CHECK_OK(weir_shared_limiter_acquire(b, now, 1, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_shared_limiter_acquire(a, now, 1, &d));
  CHECK_EQ_U64(d.reason, WEIR_REASON_RATE_LIMITED);
  CHECK_EQ_U64(d.retry_after_ns, SECOND / 10);

  /* Another process opens the same file and finds the bucket spent. */
  fflush(NULL);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    weir_shared_limiter *c = NULL;
    weir_decision cd;
    int spent = weir_shared_limiter_open(path, &shared_cfg, &c) == WEIR_STATUS_OK &&
                weir_shared_limiter_acquire(c, now, 1, &cd) == WEIR_STATUS_OK && !cd.admitted &&
                weir_shared_limiter_acquire(c, now + SECOND / 10, 1, &cd) == WEIR_STATUS_OK && cd.admitted;
    weir_shared_limiter_free(&c);
    _exit(spent ? 0 : 1);
  }
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* The child took the token that refilled by now + 100 ms. */
  CHECK_OK(weir_shared_limiter_acquire(b, now + SECOND / 10, 1, &d));
  CHECK(!d.admitted);

  weir_shared_limiter_free(&a);
  CHECK(a == NULL);
  weir_shared_limiter_free(&a);
  weir_shared_limiter_free(&b);
  weir_shared_limiter_free(NULL);
}

static void refusals(const char *dir, const char *path) {
  weir_shared_limiter *l = NULL;
  weir_decision d;
  /* The file keeps its first configuration; another one names the field. */
  weir_limiter_config other = shared_cfg;
  other.burst = 4;
  CHECK_BAD(weir_shared_limiter_open(path, &other, &l), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  CHECK(strstr(weir_last_error_message(), "shared limiter's 3") != NULL);
  CHECK(l == NULL);
  /* An invalid configuration is refused before the file is touched. */
  other.burst = 0;
  CHECK_BAD(weir_shared_limiter_open(path, &other, &l), WEIR_STATUS_INVALID_CONFIG);
  CHECK(last_field_is("burst"));
  /* A file that is not a limiter is left alone. */
  char foreign[512];
  snprintf(foreign, sizeof foreign, "%s/foreign", dir);
  FILE *f = fopen(foreign, "w");
  CHECK(f != NULL);
  fputs("not a limiter", f);
  fclose(f);
  CHECK_BAD(weir_shared_limiter_open(foreign, &shared_cfg, &l), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(weir_last_error_message(), "is not a weir shared limiter") != NULL);
  unlink(foreign);
  /* A path that cannot be opened. */
  char missing[512];
  snprintf(missing, sizeof missing, "%s/no-such-dir/limiter", dir);
  CHECK_BAD(weir_shared_limiter_open(missing, &shared_cfg, &l), WEIR_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(weir_last_error_message(), "open of ") != NULL);
  /* NULL everywhere. */
  CHECK_BAD(weir_shared_limiter_open(NULL, &shared_cfg, &l), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shared_limiter_open(path, NULL, &l), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shared_limiter_open(path, &shared_cfg, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shared_limiter_acquire(NULL, 0, 1, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shared_limiter_acquire_now(NULL, 1, &d), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_OK(weir_shared_limiter_open(path, &shared_cfg, &l));
  CHECK_BAD(weir_shared_limiter_acquire(l, 0, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  CHECK_BAD(weir_shared_limiter_acquire_now(l, 1, NULL), WEIR_STATUS_NULL_ARGUMENT);
  weir_shared_limiter_free(&l);
}

static void now_twin(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/now", dir);
  weir_shared_limiter *l = NULL;
  CHECK_OK(weir_shared_limiter_open(path, &shared_cfg, &l));
  weir_decision d;
  CHECK_OK(weir_shared_limiter_acquire_now(l, 3, &d));
  CHECK(d.admitted);
  CHECK_OK(weir_shared_limiter_acquire_now(l, 1, &d));
  CHECK(!d.admitted);
  CHECK(d.retry_after_ns > 0 && d.retry_after_ns <= SECOND / 10);
  /* weir_shared_limiter_now is the clock acquire_now decides on, and that
   * clock is CLOCK_MONOTONIC: a token is back one interval later by it. */
  struct timespec ts;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  uint64_t kernel = (uint64_t)ts.tv_sec * SECOND + (uint64_t)ts.tv_nsec;
  uint64_t now = weir_shared_limiter_now();
  CHECK(now >= kernel && now - kernel < 5 * MS);
  CHECK_OK(weir_shared_limiter_acquire(l, now, 1, &d));
  CHECK(!d.admitted);
  CHECK_OK(weir_shared_limiter_acquire(l, now + SECOND / 10, 1, &d));
  CHECK(d.admitted);
  weir_shared_limiter_free(&l);
  unlink(path);
}

void test_shared(void) {
  char dir[] = "/tmp/weir-c-shared-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/bucket", dir);
  one_bucket(path);
  refusals(dir, path);
  now_twin(dir);
  unlink(path);
  rmdir(dir);
}
