/* dynalite_local: start and stop a local DynamoDB (npm dynalite, pinned in tests/deploy's lockfile) for
 * the DynamoDB store's tests and benchmark. tests/deploy/lib/dynalite-server.cjs listens on 127.0.0.1
 * on a free port and prints it; it exits when the pipe on its stdin closes, and the kernel kills it if
 * the process that started it dies (PR_SET_PDEATHSIG), so nothing is left behind. Header-only.
 * Uses POSIX (fork, exec, pipes), Linux prctl. */
#ifndef DYNALITE_LOCAL_H
#define DYNALITE_LOCAL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct dynalite {
  pid_t pid;
  int in_fd, out_fd;
  int port;
};

/* The first executable `name` on PATH into out; false when there is none. */
static inline bool dynalite_which(const char *name, char *out, size_t size) {
  const char *path = getenv("PATH");
  for (const char *p = path ? path : ""; *p;) {
    size_t n = strcspn(p, ":");
    snprintf(out, size, "%.*s/%s", (int)n, p, name);
    struct stat st;
    if (n && stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return true;
    p += n + (p[n] == ':');
  }
  return false;
}

/* Start dynalite: 0 with dl filled; 77 when node is not installed (the caller skips); -1 on any other
 * failure, with why filled. */
static inline int dynalite_start(struct dynalite *dl, char *why, size_t whysz) {
  char node[4096], script[4096];
  const char *src = getenv("ORCH_SOURCE_DIR");
  memset(dl, 0, sizeof *dl);
  dl->pid = -1;
  if (!dynalite_which("node", node, sizeof node)) {
    snprintf(why, whysz, "node is not installed (scripts/install-deps.sh installs it)");
    return 77;
  }
  snprintf(script, sizeof script, "%s/tests/deploy/lib/dynalite-server.cjs", src && *src ? src : ".");
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC)) return snprintf(why, whysz, "pipe: %s", strerror(errno)), -1;
  if (pipe2(out, O_CLOEXEC)) {
    close(in[0]);
    close(in[1]);
    return snprintf(why, whysz, "pipe: %s", strerror(errno)), -1;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {node, script, NULL};
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent) _exit(126);
    /* nothing else of the parent's (a test runner's sockets) stays open in the server */
    for (int fd = 3; fd < 1024; fd++) close(fd);
    execv(node, argv);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    return snprintf(why, whysz, "fork: %s", strerror(errno)), -1;
  }
  dl->pid = pid;
  dl->in_fd = in[1];
  dl->out_fd = out[0];
  char line[32] = "";
  size_t got = 0;
  while (got < sizeof line - 1 && !strchr(line, '\n')) {
    ssize_t r = read(dl->out_fd, line + got, sizeof line - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
    line[got] = '\0';
  }
  char *end = NULL;
  long port = strtol(line, &end, 10);
  dl->port = end != line && *end == '\n' && port > 0 && port < 65536 ? (int)port : 0;
  if (!dl->port) {
    snprintf(why, whysz, "dynalite did not start (%.300s): is tests/deploy installed? (npm ci there; make test does it)",
             script);
    return -1;
  }
  return 0;
}

/* Point the AWS environment at nothing but dynalite: static keys (it takes any), no session token, no
 * profile, config or credentials file of the machine's, and no metadata service. */
static inline void dynalite_pin_env(void) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDDYNALITE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "dynalite-secret", 1);
  unsetenv("AWS_SESSION_TOKEN");
  unsetenv("AWS_PROFILE");
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/drsorch-test-config", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/drsorch-test-credentials", 1);
}

/* Stop it and wait for it; accepts a never-started dl. */
static inline void dynalite_stop(struct dynalite *dl) {
  if (dl->pid <= 0) return;
  close(dl->in_fd);
  kill(dl->pid, SIGTERM);
  while (waitpid(dl->pid, NULL, 0) < 0 && errno == EINTR) {
  }
  close(dl->out_fd);
  dl->pid = -1;
}

#endif
