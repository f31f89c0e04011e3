/* scratch_dir: a test's scratch directory, made fresh (mkdtemp) and removed with everything in it, without
 * a shell. Header-only. Uses POSIX (mkdtemp, opendir, lstat), Criterion. */
#ifndef SCRATCH_DIR_H
#define SCRATCH_DIR_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory "<base>/orch-<tag>-<6 random characters>" into out (size bytes); fails the test when
 * it does not fit or cannot be made. */
static inline void scratch_dir_make(char *out, size_t size, const char *base, const char *tag) {
  int n = snprintf(out, size, "%s/orch-%s-XXXXXX", base, tag);
  cr_assert(n > 0 && (size_t)n < size, "scratch directory name too long for %zu bytes", size);
  cr_assert_not_null(mkdtemp(out), "mkdtemp %s", out);
}

/* Remove path and, when it is a directory, everything below it (a symbolic link itself, never what it
 * points to): 0, or -1. */
static inline int scratch_dir_rm(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) return unlink(path);
  DIR *d = opendir(path);
  if (!d) return -1;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char sub[4096];
    int n = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    if (n < 0 || (size_t)n >= sizeof sub || scratch_dir_rm(sub) != 0) rc = -1;
  }
  closedir(d);
  return rmdir(path) == 0 ? rc : -1;
}

/* Remove dir and everything below it; a failure is reported on stderr, never fatal (a test's clean-up). */
static inline void scratch_dir_remove(const char *dir) {
  if (dir && *dir && scratch_dir_rm(dir) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

#endif
