/* store_test_util: helpers the store tests share: a scratch directory per test (removed afterwards),
 * small builders for specs, and an assertion that prints a failing call's error. Uses Criterion,
 * orch_store, libc. */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/orch_error.h"
#include "scratch_dir.h"
#include "store/orch_store.h"

/* Fail the test with the error's message when `call` does not return 0. */
#define OK(call)                                                                                          \
  do {                                                                                                    \
    struct orch_error ok_err_ = {0};                                                                      \
    struct orch_error *err = &ok_err_;                                                                    \
    int ok_rc_ = (call);                                                                                  \
    cr_assert_eq(ok_rc_, 0, "%s -> %s: %s [%s]", #call, orch_error_name(ok_rc_), ok_err_.message,         \
                 ok_err_.context);                                                                        \
  } while (0)

/* Expect `call` to fail with `code`; leaves the error in `e` for further checks. */
#define FAILS(e, want, call)                                                                              \
  do {                                                                                                    \
    orch_error_clear(&(e));                                                                               \
    struct orch_error *err = &(e);                                                                        \
    int fails_rc_ = (call);                                                                               \
    cr_assert_eq(fails_rc_, (want), "%s -> %s (%s), expected %s", #call, orch_error_name(fails_rc_),      \
                 (e).message, orch_error_name(want));                                                     \
    cr_assert_eq((e).code, (want), "%s: err->code %d", #call, (e).code);                                  \
    cr_assert((e).message[0], "%s: empty message", #call);                                               \
  } while (0)

/* A fresh directory under $ORCH_BINARY_DIR (else /tmp) into `out`. */
static inline void store_test_mkdtemp(char *out, size_t size, const char *tag) {
  const char *base = getenv("ORCH_BINARY_DIR");
  char t[64];
  snprintf(t, sizeof t, "store-test-%s", tag);
  scratch_dir_make(out, size, base && *base ? base : "/tmp", t);
}

static inline void store_test_rmtree(const char *dir) { scratch_dir_remove(dir); }

#endif
