/* Tests for orch_buf: growth, the size cap, the sticky error, take/reset, and allocation failure. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"

Test(buf, appends_and_terminates) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_str_eq(orch_buf_cstr(&b), "");
  cr_assert_eq(orch_buf_puts(&b, "hello"), 0);
  cr_assert_eq(orch_buf_putc(&b, ' '), 0);
  cr_assert_eq(orch_buf_printf(&b, "%d-%s", 42, "x"), 0);
  cr_assert_str_eq(orch_buf_cstr(&b), "hello 42-x");
  cr_assert_eq(b.len, 10);
  orch_buf_free(&b);
}

Test(buf, printf_longer_than_the_stack_buffer) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  char big[1000];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cr_assert_eq(orch_buf_printf(&b, "[%s]", big), 0);
  cr_assert_eq(b.len, 1001);
  cr_assert_eq(b.data[0], '[');
  cr_assert_eq(b.data[1000], ']');
  orch_buf_free(&b);
}

Test(buf, cap_is_enforced_and_sticky) {
  struct orch_buf b = ORCH_BUF_INIT(8);
  cr_assert_eq(orch_buf_puts(&b, "12345678"), 0);
  cr_assert_eq(orch_buf_putc(&b, '9'), ORCH_ETOOBIG);
  cr_assert_eq(b.err, ORCH_ETOOBIG);
  /* Sticky: later small appends fail with the same error and change nothing. */
  cr_assert_eq(orch_buf_puts(&b, ""), ORCH_ETOOBIG);
  cr_assert_str_eq(orch_buf_cstr(&b), "12345678");
  cr_assert_null(orch_buf_take(&b, NULL));
  orch_buf_reset(&b);
  cr_assert_eq(b.err, 0);
  cr_assert_eq(orch_buf_puts(&b, "ok"), 0);
  cr_assert_str_eq(orch_buf_cstr(&b), "ok");
  orch_buf_free(&b);
}

Test(buf, take_hands_over_and_empties) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  size_t len = 99;
  char *empty = orch_buf_take(&b, &len);
  cr_assert_not_null(empty);
  cr_assert_str_eq(empty, "");
  cr_assert_eq(len, 0);
  orch_free(empty);
  cr_assert_eq(orch_buf_puts(&b, "abc"), 0);
  char *s = orch_buf_take(&b, &len);
  cr_assert_str_eq(s, "abc");
  cr_assert_eq(len, 3);
  cr_assert_null(b.data);
  cr_assert_eq(b.len, 0);
  orch_free(s);
  orch_buf_free(&b);
}

Test(buf, truncate) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_buf_puts(&b, "abcdef"), 0);
  orch_buf_truncate(&b, 3);
  cr_assert_str_eq(orch_buf_cstr(&b), "abc");
  orch_buf_truncate(&b, 10); /* longer than len: no change */
  cr_assert_str_eq(orch_buf_cstr(&b), "abc");
  orch_buf_free(&b);
}

/* Fail the Nth allocation for every N until a build succeeds: each failure must be a clean ENOMEM
 * that keeps the buffer valid (ASan checks for leaks and bad accesses). */
Test(buf, allocation_failure_loop) {
  int successes = 0;
  for (long n = 0; n < 64 && !successes; n++) {
    struct orch_buf b = ORCH_BUF_INIT(0);
    orch_alloc_fail_after(n);
    int rc = 0;
    for (int i = 0; i < 200 && !rc; i++) rc = orch_buf_printf(&b, "line %d of a growing buffer\n", i);
    orch_alloc_fail_after(-1);
    if (rc) {
      cr_assert_eq(rc, ORCH_ENOMEM, "n=%ld: expected ENOMEM, got %d", n, rc);
      cr_assert_eq(b.err, ORCH_ENOMEM);
      cr_assert_null(orch_buf_take(&b, NULL));
    } else {
      successes++;
      cr_assert_eq(b.len, strlen(b.data));
    }
    orch_buf_free(&b);
  }
  cr_assert_eq(successes, 1, "the build never succeeded within 64 allocations");
}
