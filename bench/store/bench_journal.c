/* bench_journal: durable event-journal appends per second through the store interface on the SQLite
 * backend (WAL, synchronous=FULL: every append is on disk when it returns), one event per commit and
 * in batches, with per-append latency percentiles and the disk's raw fdatasync rate for scale.
 * Target (DESIGN §10): >= 2,000 durable events/s. Usage: bench_journal [DIR] [EVENTS]; DIR defaults to
 * $TMPDIR or /tmp and should be on the disk the engine's data lives on.
 * Uses orch_store, orch_clock, orch_json, libc. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "core/orch_json.h"
#include "core/orch_str.h"
#include "store/orch_store.h"

#define TARGET_PER_S 2000.0

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void die(const char *what, const struct orch_error *err) {
  char msg[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 8];
  fprintf(stderr, "bench_journal: %s: %s\n", what, orch_error_format(err, msg, sizeof msg));
  exit(1);
}

/* Raw fdatasync()s per second of a 4 KiB overwrite in `dir`: the ceiling for one-commit-per-event. */
static double fsync_rate(const char *dir, int n) {
  char path[4200];
  snprintf(path, sizeof path, "%s/fsync.probe", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  char block[4096];
  memset(block, 'x', sizeof block);
  double t0 = now_s();
  for (int i = 0; i < n; i++)
    if (pwrite(fd, block, sizeof block, (off_t)(i % 16) * 4096) != (ssize_t)sizeof block || fdatasync(fd) != 0) break;
  double dt = now_s() - t0;
  close(fd);
  unlink(path);
  return n / dt;
}

/* A new execution to append to (a plan is made on first use). */
static void new_exec(struct orch_store *s, char id[ORCH_STORE_ID_MAX + 1]) {
  static char plan_id[ORCH_STORE_ID_MAX + 1];
  struct orch_error err = {0};
  if (!plan_id[0]) {
    json_t *compiled = json_pack("{ss}", "name", "bench");
    struct orch_store_version_spec v = {.source = "return plan {}", .compiled = compiled, .author = "bench"};
    struct orch_store_plan p;
    if (orch_store_plan_create(s, "bench", &v, &p, NULL, &err)) die("plan", &err);
    memcpy(plan_id, p.id, sizeof plan_id);
    json_decref(compiled);
  }
  struct orch_store_exec_spec xs = {.plan_id = plan_id, .mode = ORCH_STORE_MODE_DRILL};
  struct orch_store_exec x;
  if (orch_store_exec_create(s, &xs, &x, &err)) die("execution", &err);
  memcpy(id, x.id, ORCH_STORE_ID_MAX + 1);
  orch_store_exec_release(&x);
}

/* Append `total` events in batches of `batch` to a fresh execution; returns events per second and
 * fills per-commit latencies (ms) when `lat` is given. */
static double run(struct orch_store *s, int total, int batch, double *lat) {
  char id[ORCH_STORE_ID_MAX + 1];
  new_exec(s, id);
  struct orch_store_event_spec *evs = calloc((size_t)batch, sizeof *evs);
  json_t *data = json_pack("{ss ss ss ss si}", "wave", "database", "server", "s-0123456789abcdef0", "status",
                           "LAUNCHED", "job", "drsjob-0123456789abcdef0", "attempt", 1);
  struct orch_error err = {0};
  if (!evs || !data) die("setup", &err);
  const struct orch_clock *clock = orch_clock_real();
  int64_t seq = 1;
  double t0 = now_s();
  for (int done = 0, k = 0; done < total; done += batch, k++) {
    int64_t at = orch_clock_now_ms(clock);
    for (int i = 0; i < batch; i++)
      evs[i] = (struct orch_store_event_spec){.seq = seq + i, .at_ms = at, .type = "ServerStatus", .data = data};
    double c0 = lat ? now_s() : 0;
    if (orch_store_event_append_batch(s, id, evs, (size_t)batch, &err)) die("append", &err);
    if (lat) lat[k] = (now_s() - c0) * 1000.0;
    seq += batch;
  }
  double dt = now_s() - t0;
  json_decref(data);
  free(evs);
  return total / dt;
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  long long events = 5000;
  if (argc > 2 && orch_str_to_ll(argv[2], 100, 10000000, &events)) {
    fprintf(stderr, "usage: bench_journal [DIR] [EVENTS >= 100]\n");
    return 2;
  }
  orch_json_init();
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/bench-journal-XXXXXX", base);
  if (!mkdtemp(dir)) {
    perror(dir);
    return 1;
  }
  char spec[4200];
  snprintf(spec, sizeof spec, "sqlite:%s/orch.db", dir);
  struct orch_store *s = NULL;
  struct orch_error err = {0};
  if (orch_store_open(spec, NULL, &s, &err)) die("open", &err);
  json_t *info = NULL;
  if (orch_store_info(s, &info, &err)) die("info", &err);
  struct statvfs vfs;
  unsigned long fsid = statvfs(dir, &vfs) == 0 ? vfs.f_fsid : 0;

  printf("bench_journal: SQLite %s, journal_mode=%s, synchronous=%s, dir %s (fsid %lx)\n",
         json_string_value(json_object_get(info, "sqlite_version")),
         json_string_value(json_object_get(info, "journal_mode")),
         json_string_value(json_object_get(info, "synchronous")), dir, fsid);
  json_decref(info);

  double fs = fsync_rate(dir, 2000);
  printf("  raw fdatasync (4 KiB overwrite)        %10.0f /s\n", fs);

  int n = (int)events;
  double *lat = calloc((size_t)n, sizeof *lat);
  if (!lat) return 1;
  run(s, 200, 1, NULL); /* warm-up: statement cache, WAL file growth */
  double single = run(s, n, 1, lat);
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  printf("  durable appends, 1 event per commit    %10.0f events/s  (p50 %.3f ms, p99 %.3f ms, max %.3f ms)\n",
         single, lat[n / 2], lat[(size_t)n * 99 / 100], lat[n - 1]);
  free(lat);
  int batches[] = {10, 100};
  double batched[2];
  for (int i = 0; i < 2; i++) {
    int total = n * 4 / batches[i] * batches[i];
    batched[i] = run(s, total, batches[i], NULL);
    printf("  durable appends, batches of %-3d        %10.0f events/s  (%.0f commits/s)\n", batches[i], batched[i],
           batched[i] / batches[i]);
  }
  printf("  single-append rate vs target %.0f/s:   %.2fx  %s\n", TARGET_PER_S, single / TARGET_PER_S,
         single >= TARGET_PER_S ? "MEETS TARGET" : "BELOW TARGET");
  printf("  single-append rate vs raw fdatasync:   %.2fx\n", fs > 0 ? single / fs : 0.0);
  printf("  batch-of-100 speed-up over single:     %.1fx\n", batched[1] / single);

  orch_store_close(s);
  nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  return 0; /* figures, not a verdict: `make bench` runs every benchmark */
}
