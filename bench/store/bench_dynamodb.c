/* bench_dynamodb: journal appends per second through the store interface on the DynamoDB backend, against
 * dynalite (npm, tests/deploy) on 127.0.0.1, with one event per append and in batches, per-append latency
 * percentiles, and raw GetItem and conditional UpdateItem rates for scale (an append by the journal's owner
 * is one conditional update and one put: two round trips). dynalite is a single-threaded emulator, so these are
 * the backend's own costs (requests, JSON, signing) rather than DynamoDB's; in a region each round trip
 * adds a few milliseconds. Two writers on two handles show what contention costs.
 * Usage: bench_dynamodb [EVENTS]; needs node and tests/deploy installed (npm ci), run from the repository.
 * Uses orch_store, orch_aws_client, dynalite_local.h, libc. */
#include "../../tests/unit/store/dynalite_local.h"

#include <pthread.h>
#include <time.h>

#include "aws/orch_aws_client.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "store/orch_store.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void die(const char *what, const struct orch_error *err) {
  char msg[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 8];
  fprintf(stderr, "bench_dynamodb: %s: %s\n", what, orch_error_format(err, msg, sizeof msg));
  exit(1);
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

static json_t *event_data(void) {
  return json_pack("{ss ss ss ss si}", "wave", "database", "server", "s-0123456789abcdef0", "status", "LAUNCHED", "job",
                   "drsjob-0123456789abcdef0", "attempt", 1);
}

/* Append `total` events in batches of `batch` to a fresh execution; events per second, and per-append
 * latencies (ms) into `lat` when given. */
static double run(struct orch_store *s, int total, int batch, double *lat) {
  char id[ORCH_STORE_ID_MAX + 1];
  new_exec(s, id);
  struct orch_store_event_spec *evs = calloc((size_t)batch, sizeof *evs);
  json_t *data = event_data();
  struct orch_error err = {0};
  if (!evs || !data) die("setup", &err);
  int64_t seq = 1;
  double t0 = now_s();
  for (int done = 0, k = 0; done < total; done += batch, k++) {
    for (int i = 0; i < batch; i++)
      evs[i] = (struct orch_store_event_spec){.seq = seq + i, .at_ms = 1767225600000LL + seq + i, .type = "ServerStatus",
                                              .data = data};
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

/* Raw calls per second of `op` with `in` through the same client stack: one round trip each. */
static double raw_rate(const char *endpoint, const char *op, json_t *in, int n) {
  struct orch_aws_creds *creds = NULL;
  struct orch_aws_client *c = NULL;
  struct orch_error err = {0};
  struct orch_aws_client_config cfg = {.region = "us-east-1", .endpoint_url = endpoint, .no_ratelimit = true};
  if (!in || orch_aws_creds_static("AKIDDYNALITE", "dynalite-secret", NULL, &creds)) die("raw input", &err);
  cfg.creds = creds;
  if (orch_aws_client_new(&cfg, &c, &err)) die("client", &err);
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    json_t *out = NULL;
    if (orch_aws_call(c, "dynamodb", op, in, &out, NULL, &err)) die(op, &err);
    json_decref(out);
  }
  double dt = now_s() - t0;
  json_decref(in);
  orch_aws_client_free(c);
  orch_aws_creds_free(creds);
  return n / dt;
}

struct writer {
  const char *spec, *exec_id;
  int appends, conflicts;
};

/* "Read the end, append the next, retry on a conflict" on a handle of its own. */
static void *writer_main(void *arg) {
  struct writer *w = arg;
  struct orch_store *s = NULL;
  struct orch_error err = {0};
  json_t *data = event_data();
  if (orch_store_open(w->spec, NULL, &s, &err)) die("open", &err);
  for (int done = 0; done < w->appends;) {
    int64_t last = 0;
    if (orch_store_event_last_seq(s, w->exec_id, &last, &err)) die("last", &err);
    struct orch_store_event_spec e = {.seq = last + 1, .at_ms = 1767225600000LL + last, .type = "W", .data = data};
    int rc = orch_store_event_append(s, w->exec_id, &e, &err);
    if (rc == ORCH_ECONFLICT) {
      w->conflicts++;
      continue;
    }
    if (rc) die("append", &err);
    done++;
  }
  json_decref(data);
  orch_store_close(s);
  return NULL;
}

int main(int argc, char **argv) {
  long long events = 2000;
  if (argc > 1 && orch_str_to_ll(argv[1], 100, 1000000, &events)) {
    fprintf(stderr, "usage: bench_dynamodb [EVENTS >= 100]\n");
    return 2;
  }
  orch_json_init();
  orch_log_configure(ORCH_LOG_WARN, ORCH_LOG_TEXT, stderr);
  struct dynalite dl;
  char why[512], endpoint[64], spec[256];
  int rc = dynalite_start(&dl, why, sizeof why);
  if (rc) {
    printf("bench_dynamodb: not run: %s\n", why);
    return 0;
  }
  dynalite_pin_env();
  snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", dl.port);
  snprintf(spec, sizeof spec, "dynamodb:bench?region=us-east-1&endpoint=%s&create=true", endpoint);
  struct orch_store *s = NULL;
  struct orch_error err = {0};
  if (orch_store_open(spec, NULL, &s, &err)) die("open", &err);
  printf("bench_dynamodb: DynamoDB backend against dynalite at %s (one node process)\n", endpoint);

  double get = raw_rate(endpoint, "GetItem",
                        json_pack("{ss s{s{ss}s{ss}} sb}", "TableName", "bench-state", "Key", "pk", "S", "meta", "sk", "S",
                                  "schema", "ConsistentRead", 1),
                        1000);
  double upd = raw_rate(endpoint, "UpdateItem",
                        json_pack("{ss s{s{ss}s{ss}} ss ss s{ss} s{s{ss}}}", "TableName", "bench-state", "Key", "pk", "S",
                                  "bench", "sk", "S", "counter", "UpdateExpression", "ADD #n :one",
                                  "ConditionExpression", "attribute_not_exists(#n) OR #n >= :one",
                                  "ExpressionAttributeNames", "#n", "n", "ExpressionAttributeValues", ":one", "N", "1"),
                        1000);
  printf("  raw GetItem round trips                %10.0f /s\n", get);
  printf("  raw conditional UpdateItem round trips %10.0f /s\n", upd);
  int n = (int)events;
  double *lat = calloc((size_t)n, sizeof *lat);
  if (!lat) return 1;
  run(s, 100, 1, NULL); /* warm-up: connections, dynalite's JIT */
  double single = run(s, n, 1, lat);
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  printf("  appends, 1 event each                  %10.0f events/s  (p50 %.2f ms, p99 %.2f ms, max %.2f ms)\n", single,
         lat[n / 2], lat[(size_t)n * 99 / 100], lat[n - 1]);
  free(lat);
  int batches[] = {10, 100};
  for (int i = 0; i < 2; i++) {
    int total = n * 2 / batches[i] * batches[i];
    double r = run(s, total, batches[i], NULL);
    printf("  appends, batches of %-3d                %10.0f events/s  (%.0f appends/s)\n", batches[i], r,
           r / batches[i]);
  }
  printf("  one append vs one conditional update:  %.2fx the time (an update and a put)\n", single > 0 ? upd / single : 0.0);

  char id[ORCH_STORE_ID_MAX + 1];
  new_exec(s, id);
  struct writer w[2] = {{spec, id, n / 4, 0}, {spec, id, n / 4, 0}};
  pthread_t t[2];
  double t0 = now_s();
  for (int i = 0; i < 2; i++)
    if (pthread_create(&t[i], NULL, writer_main, &w[i])) return 1;
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  double dt = now_s() - t0;
  printf("  two writers, one journal               %10.0f events/s  (%d conflicts retried)\n",
         (w[0].appends + w[1].appends) / dt, w[0].conflicts + w[1].conflicts);

  orch_store_close(s);
  dynalite_stop(&dl);
  return 0; /* figures, not a verdict: `make bench` runs every benchmark */
}
