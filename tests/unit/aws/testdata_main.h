/* testdata_main: the main of a Criterion test file whose cases need the official vectors in
 * ../shared/testdata (ORCH_TESTDATA_DIR). When a required path is missing the whole executable exits with
 * 77, which ctest reports as skipped (SKIP_RETURN_CODE), naming what is missing: a test that did not run
 * never shows as passed. Otherwise Criterion runs as with its own main. Include once, after the tests'
 * includes; list the paths relative to ORCH_TESTDATA_DIR:
 *   ORCH_TESTDATA_MAIN("sigv4/get-vanilla/request.txt", NULL)
 * Uses Criterion's runner API. */
#ifndef TESTDATA_MAIN_H
#define TESTDATA_MAIN_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ORCH_TEST_SKIPPED 77

/* 0 when every path exists under ORCH_TESTDATA_DIR, else 77 after saying which is missing. */
static inline int orch_testdata_check(const char *const *paths) {
  const char *dir = getenv("ORCH_TESTDATA_DIR");
  char p[2048];
  for (size_t i = 0; paths[i]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir ? dir : "(ORCH_TESTDATA_DIR unset)", paths[i]);
    if (!dir || access(p, R_OK) != 0) {
      fprintf(stderr, "SKIPPED: %s is missing: these cases need the official vectors of ../shared/testdata "
                      "(ORCH_TESTDATA_DIR)\n", p);
      return ORCH_TEST_SKIPPED;
    }
  }
  return 0;
}

#define ORCH_TESTDATA_MAIN(...)                                                          \
  int main(int argc, char *argv[]) {                                                     \
    static const char *const required[] = {__VA_ARGS__};                                 \
    int skip = orch_testdata_check(required);                                            \
    if (skip) return skip;                                                               \
    struct criterion_test_set *tests = criterion_initialize();                           \
    int result = 0;                                                                      \
    if (criterion_handle_args(argc, argv, true)) result = !criterion_run_all_tests(tests); \
    criterion_finalize(tests);                                                           \
    return result;                                                                       \
  }

#endif
