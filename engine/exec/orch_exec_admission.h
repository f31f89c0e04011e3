/* orch_exec_admission: DRS quota admission across every execution of the engine. DRS limits, per
 * account and region, the servers in one job, the concurrent jobs, and the servers across all active
 * jobs; exceeding them fails StartRecovery. Admission keeps launches inside those limits and serves
 * waves first come, first served: a wave waiting at the head of an account+region's queue is never
 * overtaken. Used only by the scheduler thread (not thread-safe). Uses orch_alloc. */
#ifndef ORCH_EXEC_ADMISSION_H
#define ORCH_EXEC_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/orch_error.h"

struct orch_exec_quotas {
  int servers_per_job;        /* DRS "source servers in a single job" */
  int concurrent_jobs;        /* DRS "concurrent jobs" */
  int servers_in_active_jobs; /* DRS "source servers in all active jobs" */
};

/* The safe defaults used when Service Quotas cannot be read. */
#define ORCH_EXEC_QUOTAS_DEFAULT ((struct orch_exec_quotas){100, 20, 500})

struct orch_exec_admission;

int orch_exec_admission_new(struct orch_exec_admission **out) ORCH_MUST_CHECK;
void orch_exec_admission_free(struct orch_exec_admission *a);

/* Quotas for one account+region (read from Service Quotas); others use the defaults. */
int orch_exec_admission_set_quotas(struct orch_exec_admission *a, const char *account, const char *region,
                                   const struct orch_exec_quotas *q) ORCH_MUST_CHECK;
struct orch_exec_quotas orch_exec_admission_quotas(const struct orch_exec_admission *a, const char *account,
                                                   const char *region);

/* Queue `waiter` (an opaque key, e.g. "<execution>/<wave>") for launching in account+region; a waiter
 * already queued keeps its place. */
int orch_exec_admission_enqueue(struct orch_exec_admission *a, const char *account, const char *region,
                                const char *waiter) ORCH_MUST_CHECK;
/* Remove a waiter wherever it is (its wave launched everything, failed or was cancelled). */
void orch_exec_admission_dequeue(struct orch_exec_admission *a, const char *waiter);

/* May `waiter` start a job of `servers` servers now? Only the head of its queue may, and only when the
 * job fits every quota (servers is first clipped to servers_per_job: *allowed says how many). */
bool orch_exec_admission_try(struct orch_exec_admission *a, const char *account, const char *region,
                             const char *waiter, int servers, int *allowed);
/* Account for a job that was requested (after a successful try, or one found in flight on resume) and
 * one that ended (or failed to start). */
int orch_exec_admission_job_started(struct orch_exec_admission *a, const char *account, const char *region,
                                    int servers) ORCH_MUST_CHECK;
void orch_exec_admission_job_ended(struct orch_exec_admission *a, const char *account, const char *region,
                                   int servers);

/* In use now, for reports, metrics and tests. */
void orch_exec_admission_usage(const struct orch_exec_admission *a, const char *account, const char *region,
                               int *jobs, int *servers);

#endif
