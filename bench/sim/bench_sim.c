/* bench_sim: the simulator must never be the bottleneck. Prints: time to load the 1,000-server
 * scenario, resident memory per server, DescribeJobs per second in-process (orch_sim_handle) and over
 * loopback HTTP (libcurl keep-alive, SigV4 signed, a batched jobIDs filter as the engine polls), and
 * StartRecovery per second. Uses orch_sim, orch_aws_proto, orch_sigv4, orch_aws_curl, pthreads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/orch_aws_curl.h"
#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "aws/orch_sigv4.h"
#include "core/orch_json.h"
#include "sim/orch_sim.h"

#define DURATION_S 3.0
#define THREADS 2

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

static const char *scenario(char *buf, size_t n, const char *name) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  snprintf(buf, n, "%s/plans/scenarios/%s", src ? src : ".", name);
  return buf;
}

/* Build a signed request for drs:`op` with `input`. */
static int build(const char *op, const json_t *input, const char *host, struct orch_sigv4_cache *cache,
                 struct orch_http_request *req) {
  struct orch_error err = {0};
  const struct orch_aws_operation *o = orch_aws_model_operation(orch_aws_model_service("drs"), op);
  if (!o || orch_aws_proto_build_request(o, input, req, &err) || orch_http_headers_set(&req->headers, "Host", host))
    return -1;
  /* large-1000.json names its own keys: the first account's. */
  struct orch_sigv4_params p = {.access_key_id = "AKIASIMPRODEXAMPLE01", .secret_access_key = "sim/prod/secret/EXAMPLEKEY0000000001",
                                .region = "us-east-1", .service = "drs",
                                .time_ms = orch_clock_now_ms(orch_clock_real()), .cache = cache};
  return orch_sigv4_sign(req, &p, NULL, &err);
}

struct worker {
  struct orch_sim *sim;
  const json_t *input;
  struct orch_sigv4_cache *cache;
  bool http;
  double until;
  long done, failed;
};

static void *run(void *arg) {
  struct worker *w = arg;
  struct orch_http_transport t = {0};
  struct orch_error err = {0};
  char host[64];
  snprintf(host, sizeof host, "127.0.0.1:%d", orch_sim_port(w->sim));
  if (w->http && orch_aws_curl_new(NULL, &t, &err)) return NULL;
  /* One signed request, sent again and again (a signature stays valid for 15 minutes): the figure is the
   * simulator's, not the client's signing and serialising. The simulator verifies every one. */
  struct orch_http_request req = {0};
  if (build("DescribeJobs", w->input, host, w->cache, &req)) {
    orch_http_request_free(&req);
    if (w->http) t.ops->destroy(t.ctx);
    return NULL;
  }
  while (now_s() < w->until) {
    struct orch_http_response resp = {0};
    int rc = w->http ? t.ops->send(t.ctx, orch_sim_url(w->sim), &req, &resp, &err) : orch_sim_handle(w->sim, &req, &resp);
    if (rc || resp.status != 200) w->failed++;
    else w->done++;
    orch_http_response_free(&resp);
  }
  orch_http_request_free(&req);
  if (w->http) t.ops->destroy(t.ctx);
  return NULL;
}

static double describe_jobs_rate(struct orch_sim *sim, const json_t *input, bool http, long *failed) {
  struct orch_sigv4_cache *cache = NULL;
  pthread_t th[THREADS];
  struct worker w[THREADS];
  if (orch_sigv4_cache_new(&cache)) return 0;
  double start = now_s();
  for (int i = 0; i < THREADS; i++) {
    w[i] = (struct worker){.sim = sim, .input = input, .cache = cache, .http = http, .until = start + DURATION_S};
    pthread_create(&th[i], NULL, run, &w[i]);
  }
  long done = 0;
  *failed = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    done += w[i].done;
    *failed += w[i].failed;
  }
  double secs = now_s() - start;
  orch_sigv4_cache_free(cache);
  return (double)done / secs;
}

int main(void) {
  char path[1024];
  struct orch_error err = {0};
  struct orch_sim *sim = NULL;
  orch_json_init();
  const struct orch_aws_service *drs = orch_aws_model_service("drs");
  if (!drs) {
    fprintf(stderr, "bench_sim: the drs model is not embedded\n");
    return 1;
  }
  long rss0 = rss_kb();
  double t0 = now_s();
  struct orch_sim_options o = {.scenario_path = scenario(path, sizeof path, "large-1000.json"), .listen = "127.0.0.1:0",
                               .speed = 0, .seed = 1, .threads = 4};
  if (orch_sim_start(&o, &sim, &err)) {
    fprintf(stderr, "bench_sim: %s: %s\n", err.context, err.message);
    return 1;
  }
  double load_ms = (now_s() - t0) * 1000;
  long rss1 = rss_kb();
  printf("load large-1000.json (1,000 servers, 2 accounts x 2 regions): %.1f ms\n", load_ms);
  printf("resident memory for the scenario: %ld KiB (%.1f KiB per server)\n", rss1 - rss0, (double)(rss1 - rss0) / 1000.0);

  /* 20 jobs of 25 servers in account 111122223333 / us-east-1, as 20 concurrent waves would have. */
  json_t *ids = json_array();
  struct orch_sigv4_cache *cache = NULL;
  if (orch_sigv4_cache_new(&cache)) return 1;
  char host[64];
  snprintf(host, sizeof host, "127.0.0.1:%d", orch_sim_port(sim));
  int status = 0;
  json_t *state = orch_sim_state(sim);
  json_t *servers = json_object_get(json_array_get(json_object_get(state, "regions"), 0), "servers");
  double s0 = now_s();
  int started = 0;
  for (int j = 0; j < 20; j++) {
    json_t *list = json_array();
    for (int k = 0; k < 25; k++)
      json_array_append_new(list, json_pack("{s:O}", "sourceServerID",
                                            json_object_get(json_array_get(servers, (size_t)(j * 12 + k) % 250), "sourceServerID")));
    json_t *in = json_pack("{s:o, s:b, s:{s:s}}", "sourceServers", list, "isDrill", 1, "tags", "bench", "yes");
    struct orch_http_request req = {0};
    struct orch_http_response resp = {0};
    if (build("StartRecovery", in, host, cache, &req) == 0 && orch_sim_handle(sim, &req, &resp) == 0 && resp.status == 202) {
      json_t *out = json_loadb(resp.body.data, resp.body.len, 0, NULL);
      json_array_append(ids, json_object_get(json_object_get(out, "job"), "jobID"));
      json_decref(out);
      started++;
    }
    status = resp.status;
    orch_http_request_free(&req);
    orch_http_response_free(&resp);
    json_decref(in);
    orch_sim_advance(sim, 3600000); /* let it finish so the next one is not a conflict */
  }
  double sr = (double)started / (now_s() - s0);
  json_decref(state);
  orch_sigv4_cache_free(cache);
  printf("StartRecovery (25 servers each): %d of 20 accepted (last HTTP %d), %.0f per s in-process\n", started, status, sr);

  long failed = 0;
  json_t *one = json_pack("{s:{s:[O]}}", "filters", "jobIDs", json_array_get(ids, 0));
  double http1 = describe_jobs_rate(sim, one, true, &failed);
  printf("DescribeJobs (one 25-server job), loopback HTTP keep-alive, %d client threads: %.0f per s (%ld failed);"
         " target >= 5000: %s\n", THREADS, http1, failed, http1 >= 5000 ? "met" : "NOT met");
  double inproc1 = describe_jobs_rate(sim, one, false, &failed);
  printf("DescribeJobs (one 25-server job), in-process: %.0f per s (%ld failed)\n", inproc1, failed);
  json_t *input = json_pack("{s:{s:O}}", "filters", "jobIDs", ids);
  double http = describe_jobs_rate(sim, input, true, &failed);
  printf("DescribeJobs (20 jobs x 25 servers in one call), loopback HTTP: %.0f per s (%ld failed)\n", http, failed);
  double inproc = describe_jobs_rate(sim, input, false, &failed);
  printf("DescribeJobs (20 jobs x 25 servers in one call), in-process: %.0f per s (%ld failed)\n", inproc, failed);
  json_decref(one);
  json_decref(input);
  json_decref(ids);
  orch_sim_stop(sim);
  return 0;
}
