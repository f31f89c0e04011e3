/* orch_sim_drs_int: what the two DRS handler files share (orch_sim_drs.c: source servers and jobs;
 * orch_sim_drs_instances.c: recovery instances, launch configuration, snapshots, failback, tags): DRS's
 * error answers (with their modeled members), pagination bounds, job creation and its JSON view, and the
 * active-job counts the quotas and conflicts use. For those two files only. Uses orch_sim_ops. */
#ifndef ORCH_SIM_DRS_INT_H
#define ORCH_SIM_DRS_INT_H

#include "sim/orch_sim_ops.h"

/* Errors: each fills aerr (and the call's error_fields) and returns ORCH_EAWS. */
int orch_sim_drs_internal(struct orch_aws_error *aerr);
int orch_sim_drs_validation(struct orch_sim_call *c, struct orch_aws_error *aerr, const char *field, const char *msg);
int orch_sim_drs_not_found(struct orch_sim_call *c, struct orch_aws_error *aerr, const char *type, const char *id);
int orch_sim_drs_conflict(struct orch_sim_call *c, struct orch_aws_error *aerr, const char *type, const char *id,
                          const char *msg);
int orch_sim_drs_quota_exceeded(struct orch_sim_call *c, struct orch_aws_error *aerr, int q, const char *msg);
/* maxResults (at most 1,000) and the page a nextToken resumes. */
int orch_sim_drs_page_bounds(const json_t *in, size_t *start, size_t *max, struct orch_aws_error *aerr) ORCH_MUST_CHECK;

/* Jobs. new_job: a job created now (ids, start time from the rng); add_job fixes its end and hands it to the
 * env (on failure it frees `j` and answers an internal error). job_json: the model's Job. Caller owns. */
int orch_sim_drs_new_job(struct orch_sim_call *c, enum orch_sim_job_type type, const char *initiated_by, bool drill,
                         const json_t *tags, size_t nps, struct orch_sim_job **out) ORCH_MUST_CHECK;
int orch_sim_drs_add_job(struct orch_sim_call *c, struct orch_sim_job *j, struct orch_aws_error *aerr) ORCH_MUST_CHECK;
json_t *orch_sim_drs_job_json(const struct orch_sim_call *c, const struct orch_sim_job *j);
/* Active jobs `server` takes part in; active jobs and their servers in the caller's account and region. */
size_t orch_sim_drs_server_active_jobs(const struct orch_sim_call *c, int server);
void orch_sim_drs_active_totals(const struct orch_sim_call *c, size_t *jobs, size_t *servers);

/* The handlers of orch_sim_drs_instances.c (orch_sim_ops_find looks in both tables). */
extern const struct orch_sim_op orch_sim_drs_instance_ops[];

#endif
