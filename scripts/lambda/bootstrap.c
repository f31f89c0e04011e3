/* bootstrap: the Lambda package's entry point (provided.al2023 runs <task root>/bootstrap). A small static
 * program, so it needs nothing from the host: it starts the packaged drsorch through the packaged dynamic
 * loader with only the packaged libraries (no ld.so.cache, no host library directories first):
 *   <root>/lib/ld-linux-x86-64.so.2 --inhibit-cache --library-path <root>/lib --argv0 drsorch
 *       <root>/bin/drsorch lambda runtime
 * and points the engine at the packaged CA bundle. <root> is LAMBDA_TASK_ROOT, else bootstrap's own
 * directory. Built by scripts/package-lambda.sh with `cc -static`; not part of the engine's libraries. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOADER "lib/ld-linux-x86-64.so.2"

static int path_join(char *out, size_t n, const char *root, const char *rel) {
  int len = snprintf(out, n, "%s/%s", root, rel);
  return len > 0 && (size_t)len < n ? 0 : -1;
}

int main(int argc, char **argv) {
  (void)argc;
  char root[PATH_MAX];
  const char *task_root = getenv("LAMBDA_TASK_ROOT");
  if (task_root && *task_root) {
    snprintf(root, sizeof root, "%s", task_root);
  } else {
    const char *self = argv[0] ? argv[0] : "bootstrap";
    const char *slash = strrchr(self, '/');
    if (slash) snprintf(root, sizeof root, "%.*s", (int)(slash - self), self);
    else snprintf(root, sizeof root, ".");
    if (!root[0]) snprintf(root, sizeof root, "/");
  }
  char loader[PATH_MAX], libdir[PATH_MAX], exe[PATH_MAX], ca[PATH_MAX];
  if (path_join(loader, sizeof loader, root, LOADER) || path_join(libdir, sizeof libdir, root, "lib") ||
      path_join(exe, sizeof exe, root, "bin/drsorch") ||
      path_join(ca, sizeof ca, root, "etc/ssl/certs/ca-certificates.crt")) {
    fprintf(stderr, "bootstrap: task root path too long: %s\n", root);
    return 127;
  }
  if (!getenv("CURL_CA_BUNDLE") && access(ca, R_OK) == 0) setenv("CURL_CA_BUNDLE", ca, 1);
  char *const args[] = {loader, "--inhibit-cache", "--library-path", libdir, "--argv0", "drsorch", exe,
                        "lambda", "runtime", NULL};
  execv(loader, args);
  fprintf(stderr, "bootstrap: cannot start %s: %s\n", loader, strerror(errno));
  return 127;
}
