/* orch_exec_admission: DRS quota admission across every execution of the engine. DRS limits, per
 * account and region, the servers in one job, the concurrent jobs, and the servers across all active
 * jobs; exceeding them fails StartRecovery. Admission keeps launches (and drill terminations, which DRS
 * runs as jobs too) inside those limits and serves waves first come, first served: a wave waiting at
 * the head of an account+region's queue is never overtaken. What is in use is never counted here: it is
 * read from the executions' states (their jobs not yet ended), so nothing can drift. Used only by the
 * thread that runs decide (not thread-safe). Uses orch_exec_state, orch_alloc. */
#ifndef ORCH_EXEC_ADMISSION_H
#define ORCH_EXEC_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/orch_error.h"
#include "exec/orch_exec_state.h"

struct orch_exec_quotas {
  int servers_per_job;        /* DRS L-B827C881 "source servers in a single job" */
  int concurrent_jobs;        /* DRS L-D88FAC3A "concurrent jobs" */
  int servers_in_active_jobs; /* DRS L-05AFA8C6 "source servers in all active jobs" */
};

/* The safe defaults used when Service Quotas cannot be read. */
#define ORCH_EXEC_QUOTAS_DEFAULT ((struct orch_exec_quotas){100, 20, 500})

/* Whether an account+region's real quotas were read: not asked yet, asked (answer pending), or known
 * (read, or found unreadable: the defaults stand). */
enum orch_exec_quota_state { ORCH_QUOTAS_UNKNOWN, ORCH_QUOTAS_ASKED, ORCH_QUOTAS_KNOWN };

struct orch_exec_admission;

int orch_exec_admission_new(struct orch_exec_admission **out) ORCH_MUST_CHECK;
void orch_exec_admission_free(struct orch_exec_admission *a);

/* Quotas for one account+region (from Service Quotas; `q` NULL = unreadable, keep the defaults). Marks
 * them known. */
int orch_exec_admission_set_quotas(struct orch_exec_admission *a, const char *account, const char *region,
                                   const struct orch_exec_quotas *q) ORCH_MUST_CHECK;
struct orch_exec_quotas orch_exec_admission_quotas(const struct orch_exec_admission *a, const char *account,
                                                   const char *region);
enum orch_exec_quota_state orch_exec_admission_quota_state(const struct orch_exec_admission *a, const char *account,
                                                           const char *region);
int orch_exec_admission_mark_asked(struct orch_exec_admission *a, const char *account, const char *region)
    ORCH_MUST_CHECK;
/* Forget an "asked" that will never be answered (the request could not be sent). */
void orch_exec_admission_unmark_asked(struct orch_exec_admission *a, const char *account, const char *region);

/* Queue `waiter` (an opaque key, e.g. "<execution>/<wave>") for launching in account+region; a waiter
 * already queued keeps its place. */
int orch_exec_admission_enqueue(struct orch_exec_admission *a, const char *account, const char *region,
                                const char *waiter) ORCH_MUST_CHECK;
/* Remove a waiter wherever it is (its wave launched everything, failed or was cancelled). */
void orch_exec_admission_dequeue(struct orch_exec_admission *a, const char *waiter);
/* Remove every waiter whose key starts with `prefix` ("<execution>/"). */
void orch_exec_admission_dequeue_prefix(struct orch_exec_admission *a, const char *prefix);

/* DRS work in flight in account+region across `states` (jobs requested or started, terminations
 * started and not ended): how many jobs and how many servers they hold. `dflt_account`/`dflt_region`
 * stand for the "" a state may record. */
void orch_exec_admission_usage(const struct orch_exec_state *const *states, size_t n, const char *dflt_account,
                               const char *dflt_region, const char *account, const char *region, int *jobs,
                               int *servers);

/* May `waiter` start a job of `servers` servers now, given what is in use? Only the head of its queue
 * may, and only when the job fits every quota (servers is first clipped to servers_per_job: *allowed
 * says how many). */
bool orch_exec_admission_try(const struct orch_exec_admission *a, const char *account, const char *region,
                             const char *waiter, int servers, int used_jobs, int used_servers, int *allowed);

#endif
