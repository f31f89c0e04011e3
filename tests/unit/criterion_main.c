/* criterion_main: the main() of every Criterion unit test. It runs the tests as Criterion's own main does
 * and, when every test that ran passed but some were skipped, names them and exits ORCH_TEST_SKIPPED (77),
 * which ctest registers as SKIP_RETURN_CODE: a skipped suite shows as skipped, never as passed.
 * Uses Criterion. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>

#define ORCH_TEST_SKIPPED 77

static size_t skipped;

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  skipped = stats->tests_skipped;
  for (struct criterion_suite_stats *s = stats->suites; s; s = s->next)
    for (struct criterion_test_stats *t = s->tests; t; t = t->next)
      if (t->test_status == CR_STATUS_SKIPPED)
        fprintf(stderr, "SKIPPED %s::%s: %s\n", t->test->category, t->test->name, t->message ? t->message : "(no reason)");
}

int main(int argc, char *argv[]) {
  struct criterion_test_set *tests = criterion_initialize();
  int failed = 0;
  if (criterion_handle_args(argc, argv, true)) failed = !criterion_run_all_tests(tests);
  criterion_finalize(tests);
  if (!failed && skipped) {
    fprintf(stderr, "%zu test(s) skipped: the suite reports as skipped\n", skipped);
    return ORCH_TEST_SKIPPED;
  }
  return failed;
}
