/* orch_sim_faults: what can go wrong in the simulated region, and the record of what was asked of it.
 * Fault rules (per operation: throttling rate, error rate, latency; launch failure rules by server or
 * tag; SSM command outcome rules by document and tag) are parsed from a scenario or PUT /_sim/faults
 * with path-precise errors. The call record counts calls per service and operation and keeps every
 * StartRecovery with its tags and server ids. Uses jansson, orch_json, orch_sim_rng. Not thread-safe:
 * the simulator's mutex guards it. */
#ifndef ORCH_SIM_FAULTS_H
#define ORCH_SIM_FAULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_error.h"
#include "sim/orch_sim_rng.h"

/* jansson's iteration macros take non-const objects; this lends a const one to them (read only). */
static inline json_t *orch_sim_json_mut(const json_t *j) {
  union {
    const json_t *c;
    json_t *m;
  } u = {.c = j};
  return u.m;
}

/* Faults for one operation key: "drs:DescribeJobs", "drs:*" or "*" (the most specific key wins). */
struct orch_sim_op_fault {
  char key[96];
  double throttle; /* probability a call is throttled */
  double error;    /* probability a call fails with the service's internal error */
  int64_t latency_ms; /* real (wall-clock) delay before answering */
  bool has_throttle, has_error, has_latency;
};

/* A launch fails for a server matching `server_id` (when set) and every tag of `tags` (when set). */
struct orch_sim_launch_rule {
  char *server_id;
  json_t *tags; /* object of required tag values, or NULL */
  double probability;
  char *reason;
};

/* SSM commands (and automations) with document `document` (NULL: any) on instances matching `tags`
 * end in `status` ("Success", "Failed", "TimedOut") with `output` and `response_code`. */
struct orch_sim_ssm_rule {
  char *document;
  json_t *tags;
  double probability;
  char status[16];
  char *output;
  int response_code;
  struct orch_sim_dist duration;
  bool has_duration;
};

struct orch_sim_faults {
  /* Eventual consistency: how long a new DRS job stays invisible to DescribeJobs (sampled per job from the
   * fault generator). has_new_jobs false: listed at once. */
  struct orch_sim_dist new_jobs;
  bool has_new_jobs;
  struct orch_sim_op_fault *ops;
  size_t nops;
  struct orch_sim_launch_rule *launch;
  size_t nlaunch;
  struct orch_sim_ssm_rule *ssm;
  size_t nssm;
};

/* Parse the fault keys of `obj` ("throttling", "errors", "latency": objects of operation key -> rate or
 * duration; "failures": {"launch": [...], "ssm": [...]}; "consistency": {"new_jobs": distribution}) into `f`,
 * replacing only the parts present.
 * Keys of `obj` outside these are left to the caller. On error `f` is unchanged. */
int orch_sim_faults_parse(const json_t *obj, const char *path, struct orch_sim_faults *f, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_sim_faults_free(struct orch_sim_faults *f);
int orch_sim_faults_copy(struct orch_sim_faults *dst, const struct orch_sim_faults *src) ORCH_MUST_CHECK;
/* The effective fault for "service:Operation": the most specific of exact, "service:*", "*". */
struct orch_sim_op_fault orch_sim_faults_lookup(const struct orch_sim_faults *f, const char *service,
                                                const char *operation);
/* The faults as JSON in the same form PUT /_sim/faults accepts. Caller owns. */
json_t *orch_sim_faults_json(const struct orch_sim_faults *f);
/* Does `tags` (a JSON object) carry every key/value of `want` (NULL or empty: yes)? */
bool orch_sim_tags_match(const json_t *tags, const json_t *want);

/* The call record. */
struct orch_sim_calls {
  json_t *counts;      /* {"drs:DescribeJobs": {"calls": n, "throttled": n, "errors": n}, ...} */
  json_t *recoveries;  /* [{"at", "account", "region", "jobID"|null, "error"|null, "isDrill", "tags",
                          "sourceServerIDs"}] */
  uint64_t total;
};
int orch_sim_calls_init(struct orch_sim_calls *c) ORCH_MUST_CHECK;
void orch_sim_calls_free(struct orch_sim_calls *c);
/* Count one call; `outcome` is "calls" for every call, plus "throttled" or "errors" when faulted. */
void orch_sim_calls_count(struct orch_sim_calls *c, const char *service, const char *operation, const char *outcome);
/* Record a StartRecovery; takes a reference to nothing (copies what it keeps). */
void orch_sim_calls_recovery(struct orch_sim_calls *c, int64_t at_ms, const char *account, const char *region,
                             const char *job_id, const char *error_code, bool drill, const json_t *tags,
                             const json_t *server_ids);
/* {"total", "operations": counts, "startRecovery": recoveries}. Caller owns. */
json_t *orch_sim_calls_json(const struct orch_sim_calls *c);

#endif
