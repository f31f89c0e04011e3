/* bench_api_start: `drsorch serve` (the release binary built next to this benchmark) started RUNS times
 * on a scratch store: the time from fork to the first 200 on GET /api/v1/health (the first start creates
 * the store; the others open it), its memory once idle (after a second of health checks, as a load
 * balancer makes them: RSS, and of it the shared library pages and the process's own, from
 * /proc/PID/smaps_rollup), its threads, and the time
 * SIGTERM takes to stop it. The peer, measured in the same run: this benchmark's own RSS once it has
 * loaded every library drsorch links (as ldd lists them: OpenSSL, SQLite, CivetWeb, curl and its own
 * dependencies, libxml2, Lua, jansson) with dlopen and done nothing else: what an idle process with those
 * libraries costs before any code of drsorch runs. The server is given static AWS credentials and a region in
 * its environment, as a configured host has (without them, start-up also probes the instance metadata
 * service). Targets (issue 9): idle RSS < 15 MB, start-up < 100 ms. Prints figures; asserts nothing.
 * Usage: bench_api_start [RUNS 1-100, default 10]. Uses drsorch, ldd, dlopen. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct mem {
  long rss, shared, own, pss; /* kB */
  long threads;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long field_kb(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  char l[256];
  long v = -1;
  size_t kl = strlen(key);
  while (f && fgets(l, sizeof l, f))
    if (strncmp(l, key, kl) == 0 && l[kl] == ':') v = strtol(l + kl + 1, NULL, 10);
  if (f) fclose(f);
  return v;
}

static struct mem mem_of(const char *pid) {
  char rollup[64], status[64];
  snprintf(rollup, sizeof rollup, "/proc/%s/smaps_rollup", pid);
  snprintf(status, sizeof status, "/proc/%s/status", pid);
  struct mem m = {.rss = field_kb(rollup, "Rss"), .pss = field_kb(rollup, "Pss"), .threads = field_kb(status, "Threads")};
  m.shared = field_kb(rollup, "Shared_Clean") + field_kb(rollup, "Shared_Dirty");
  m.own = field_kb(rollup, "Private_Clean") + field_kb(rollup, "Private_Dirty");
  return m;
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof sa;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || getsockname(fd, (struct sockaddr *)&sa, &n)) return -1;
  close(fd);
  return ntohs(sa.sin_port);
}

/* One GET /api/v1/health; its status, or 0 when nobody listens yet. */
static int health(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  static const char req[] = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  char buf[256];
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
      write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 12) buf[n] = '\0', status = (int)strtol(buf + 9, NULL, 10);
  }
  if (fd >= 0) close(fd);
  return status;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

struct run {
  double start_ms, stop_ms;
  struct mem idle;
  bool ok;
};

static struct run one(const char *dir, bool quiet) {
  struct run r = {0};
  int port = free_port();
  char listen_env[64], dir_env[1100];
  snprintf(listen_env, sizeof listen_env, "DRSORCH_SERVER_LISTEN=127.0.0.1:%d", port);
  snprintf(dir_env, sizeof dir_env, "DRSORCH_STORAGE_DATA_DIR=%s", dir);
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    if (quiet) freopen("/dev/null", "w", stderr);
    char *envp[] = {listen_env, dir_env, "AWS_ACCESS_KEY_ID=AKIABENCHEXAMPLE", "AWS_SECRET_ACCESS_KEY=bench",
                    "AWS_REGION=us-east-1", "DRSORCH_LOG_LEVEL=warn", "HOME=/nonexistent", "PATH=/usr/bin:/bin", NULL};
    execle(ORCH_BENCH_DRSORCH, "drsorch", "serve", (char *)NULL, envp);
    _exit(127);
  }
  while (now_ms() - t0 < 10000) {
    if (health(port) == 200) {
      r.start_ms = now_ms() - t0;
      r.ok = true;
      break;
    }
    if (waitpid(pid, NULL, WNOHANG) == pid) return r;
    usleep(200);
  }
  for (int i = 0; r.ok && i < 20; i++) { /* idle, as a load balancer sees it: health checks only */
    health(port);
    usleep(50000);
  }
  char p[16];
  snprintf(p, sizeof p, "%d", (int)pid);
  r.idle = mem_of(p);
  double t1 = now_ms();
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  r.stop_ms = now_ms() - t1;
  return r;
}

/* Load every library drsorch links (ldd's list) into this process; how many. */
static int load_libraries(void) {
  FILE *p = popen("ldd " ORCH_BENCH_DRSORCH " 2>/dev/null", "r");
  char l[512], path[400];
  int n = 0;
  while (p && fgets(l, sizeof l, p))
    if (sscanf(l, " %*s => %399s", path) == 1 && path[0] == '/' && dlopen(path, RTLD_NOW | RTLD_GLOBAL)) n++;
  if (p) pclose(p);
  return n;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int nlibs = load_libraries();
  struct mem self = mem_of("self");
  int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 10;
  if (runs < 1 || runs > 100) {
    fprintf(stderr, "usage: bench_api_start [RUNS 1-100, default 10]\n");
    return 2;
  }
  char dir[256];
  snprintf(dir, sizeof dir, "%s/orch-bench-start-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
  printf("drsorch serve started %d times (%s)\n", runs, ORCH_BENCH_DRSORCH);
  struct run first = one(dir, false);
  double *starts = calloc((size_t)runs, sizeof *starts), *stops = calloc((size_t)runs, sizeof *stops);
  struct mem idle = first.idle;
  int ok = 0;
  for (int i = 0; i < runs; i++) {
    struct run r = one(dir, true);
    if (!r.ok) continue;
    starts[ok] = r.start_ms, stops[ok] = r.stop_ms;
    if (r.idle.rss > idle.rss) idle = r.idle;
    ok++;
  }
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (!first.ok || !ok) {
    printf("  drsorch serve did not answer GET /api/v1/health within 10 s\n");
    return 0;
  }
  qsort(starts, (size_t)ok, sizeof *starts, cmp);
  qsort(stops, (size_t)ok, sizeof *stops, cmp);
  printf("  start-up to the first health answer: %.1f ms creating the store; opening it: median %.1f ms, max %.1f ms "
         "(target < 100 ms: %s)\n", first.start_ms, starts[ok / 2], starts[ok - 1], starts[ok - 1] < 100 ? "met" : "NOT met");
  printf("  SIGTERM to exit, idle: median %.1f ms\n", stops[ok / 2]);
  printf("  idle RSS %.1f MB (target < 15 MB: %s): %.1f MB shared library pages, %.1f MB its own; PSS %.1f MB; "
         "%ld threads\n", idle.rss / 1024.0, idle.rss < 15 * 1024 ? "met" : "NOT met", idle.shared / 1024.0,
         idle.own / 1024.0, idle.pss / 1024.0, idle.threads);
  printf("  peer: an idle process with the %d libraries drsorch links loaded and nothing run: RSS %.1f MB (%.1f MB "
         "shared library pages); drsorch's own part of its idle RSS: %.1f MB\n", nlibs, self.rss / 1024.0,
         self.shared / 1024.0, (idle.rss - self.rss) / 1024.0);
  free(starts);
  free(stops);
  return 0;
}
