/* bench_proto: the model-driven protocols at the sizes the engine meets: serializing a StartRecovery of
 * 100 servers (validation, token fill and JSON included) and parsing a DescribeJobs response of 1,000
 * jobs (targets < 5 ms each), plus an EC2 DescribeInstances XML response of 1,000 instances; with
 * jansson's bare parse of the same body as the peer. Uses orch_aws_proto, orch_aws_model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct orch_aws_operation *op_of(const char *svc, const char *name) {
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service(svc), name);
  if (!op) {
    fprintf(stderr, "bench_proto: %s %s is not embedded\n", svc, name);
    exit(1);
  }
  return op;
}

struct timing {
  double mean_ms, best_ms;
};

static void report(const char *what, struct timing t, double target_ms) {
  printf("%-44s mean %7.3f ms  best %7.3f ms", what, t.mean_ms, t.best_ms);
  if (target_ms > 0) printf("  (target < %.0f ms: %s)", target_ms, t.mean_ms < target_ms ? "met" : "NOT MET");
  printf("\n");
}

static struct timing bench_start_recovery(int iters, size_t *bytes) {
  json_t *servers = json_array();
  for (int i = 0; i < 100; i++) {
    char id[32], snap[32];
    snprintf(id, sizeof id, "s-%017x", 0x1000 + i);
    snprintf(snap, sizeof snap, "pit-%017x", 0x9000 + i);
    json_array_append_new(servers, json_pack("{ssss}", "sourceServerID", id, "recoverySnapshotID", snap));
  }
  json_t *input = json_pack("{s:o, s:b, s:{s:s, s:s, s:s}}", "sourceServers", servers, "isDrill", 1, "tags", "orch:execution",
                            "0190f2c4-7e1a-7b3c-9d2e-4f5a6b7c8d9e", "orch:wave", "database", "orch:attempt", "1");
  if (!input) {
    fprintf(stderr, "bench_proto: cannot build the input\n");
    exit(1);
  }
  const struct orch_aws_operation *op = op_of("drs", "StartRecovery");
  struct timing t = {0, 1e9};
  for (int i = 0; i < iters; i++) {
    struct orch_http_request req = {0};
    struct orch_error err = {0};
    double t0 = now_s();
    if (orch_aws_proto_build_request(op, input, &req, &err)) {
      fprintf(stderr, "bench_proto: StartRecovery: %s\n", err.message);
      exit(1);
    }
    double ms = (now_s() - t0) * 1e3;
    *bytes = req.body.len;
    t.mean_ms += ms / iters;
    if (ms < t.best_ms) t.best_ms = ms;
    orch_http_request_free(&req);
  }
  json_decref(input);
  return t;
}

/* The response body comes from the simulator direction, so it is what the engine will read. */
static void make_body(const struct orch_aws_operation *op, json_t *output, struct orch_http_response *resp) {
  struct orch_error err = {0};
  if (orch_aws_proto_build_response(op, output, resp, &err)) {
    fprintf(stderr, "bench_proto: build_response: %s\n", err.message);
    exit(1);
  }
  json_decref(output);
}

static struct timing bench_parse(const struct orch_aws_operation *op, const struct orch_http_response *resp, int iters) {
  struct timing t = {0, 1e9};
  for (int i = 0; i < iters; i++) {
    json_t *out = NULL;
    struct orch_aws_error aerr;
    struct orch_error err = {0};
    double t0 = now_s();
    if (orch_aws_proto_parse_response(op, resp, &out, &aerr, &err)) {
      fprintf(stderr, "bench_proto: parse: %s\n", err.message);
      exit(1);
    }
    double ms = (now_s() - t0) * 1e3;
    t.mean_ms += ms / iters;
    if (ms < t.best_ms) t.best_ms = ms;
    json_decref(out);
  }
  return t;
}

static struct timing bench_jansson(const struct orch_buf *body, int iters) {
  struct timing t = {0, 1e9};
  for (int i = 0; i < iters; i++) {
    double t0 = now_s();
    json_t *j = json_loadb(body->data, body->len, 0, NULL);
    double ms = (now_s() - t0) * 1e3;
    if (!j) exit(1);
    json_decref(j);
    t.mean_ms += ms / iters;
    if (ms < t.best_ms) t.best_ms = ms;
  }
  return t;
}

int main(void) {
  const int iters = 200;
  size_t sr_bytes = 0;
  (void)orch_aws_model_service("drs"); /* load the embedded models before timing */

  struct timing sr = bench_start_recovery(iters, &sr_bytes);

  json_t *jobs = json_array();
  for (int i = 0; i < 1000; i++) {
    char id[32], arn[96], src[32], ri[32];
    snprintf(id, sizeof id, "drsjob-%017x", 0x5000 + i);
    snprintf(arn, sizeof arn, "arn:aws:drs:us-east-1:111122223333:job/%s", id);
    snprintf(src, sizeof src, "s-%017x", 0x1000 + i);
    snprintf(ri, sizeof ri, "i-%017x", 0x7000 + i);
    json_array_append_new(
        jobs, json_pack("{ss ss ss ss ss ss ss s[{ss ss ss}] s{ssss}}", "jobID", id, "arn", arn, "type", "LAUNCH",
                        "initiatedBy", "START_RECOVERY", "status", "STARTED", "creationDateTime",
                        "2024-03-01T10:00:00.123456+00:00", "endDateTime", "2024-03-01T10:09:41.000000+00:00",
                        "participatingServers", "sourceServerID", src, "recoveryInstanceID", ri, "launchStatus",
                        "LAUNCHED", "tags", "orch:execution", "0190f2c4-7e1a-7b3c-9d2e-4f5a6b7c8d9e", "orch:wave", "web"));
  }
  const struct orch_aws_operation *dj = op_of("drs", "DescribeJobs");
  struct orch_http_response dj_resp = {0};
  make_body(dj, json_pack("{so}", "items", jobs), &dj_resp);
  struct timing djt = bench_parse(dj, &dj_resp, iters);
  struct timing peer = bench_jansson(&dj_resp.body, iters);

  json_t *instances = json_array();
  for (int i = 0; i < 1000; i++) {
    char id[32], ip[32];
    snprintf(id, sizeof id, "i-%017x", 0x7000 + i);
    snprintf(ip, sizeof ip, "10.0.%d.%d", i / 250, i % 250 + 1);
    json_array_append_new(instances,
                          json_pack("{ss ss ss s{siss} ss s[{ssss}] sb}", "InstanceId", id, "InstanceType", "m5.large",
                                    "LaunchTime", "2024-03-01T10:00:00.000Z", "State", "Code", 16, "Name", "running",
                                    "PrivateIpAddress", ip, "Tags", "Key", "Name", "Value", "web", "EbsOptimized", 0));
  }
  const struct orch_aws_operation *di = op_of("ec2", "DescribeInstances");
  struct orch_http_response di_resp = {0};
  make_body(di, json_pack("{s[{ssso}]}", "Reservations", "ReservationId", "r-1", "Instances", instances), &di_resp);
  struct timing dit = bench_parse(di, &di_resp, iters / 4);

  printf("bench_proto (%d iterations; figures per call)\n", iters);
  char what[96];
  snprintf(what, sizeof what, "StartRecovery, 100 servers, build (%zu B)", sr_bytes);
  report(what, sr, 5);
  snprintf(what, sizeof what, "DescribeJobs, 1,000 jobs, parse (%zu KB)", dj_resp.body.len / 1024);
  report(what, djt, 5);
  report("  peer: jansson parse of the same body", peer, 0);
  printf("  ratio parse_response / bare jansson parse: %.2fx\n", djt.mean_ms / peer.mean_ms);
  snprintf(what, sizeof what, "EC2 DescribeInstances, 1,000, XML (%zu KB)", di_resp.body.len / 1024);
  report(what, dit, 0);
  orch_http_response_free(&dj_resp);
  orch_http_response_free(&di_resp);
  return 0;
}
