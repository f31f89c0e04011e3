/* orch_exec_admission: DRS quotas per account+region, the first-come-first-served queue of waves
 * waiting to launch there, and what is in use, read from the executions' states.
 * Uses orch_exec_state, orch_alloc. */
#include "exec/orch_exec_admission.h"

#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

struct waiter {
  char key[ORCH_ID_UUID_LEN + ORCH_EXEC_NAME_MAX + 16];
};

struct scope {
  char account[16];
  char region[32];
  struct orch_exec_quotas quotas;
  enum orch_exec_quota_state state;
  struct waiter *queue; /* FIFO */
  size_t n, cap;
};

struct orch_exec_admission {
  struct scope *scopes;
  size_t n, cap;
};

int orch_exec_admission_new(struct orch_exec_admission **out) {
  *out = orch_calloc(1, sizeof **out);
  return *out ? 0 : ORCH_ENOMEM;
}

void orch_exec_admission_free(struct orch_exec_admission *a) {
  if (!a) return;
  for (size_t i = 0; i < a->n; i++) orch_free(a->scopes[i].queue);
  orch_free(a->scopes);
  orch_free(a);
}

static bool same(const char *a, const char *b, size_t n) { return strncmp(a, b, n - 1) == 0; }

static struct scope *scope_find(const struct orch_exec_admission *a, const char *account, const char *region) {
  for (size_t i = 0; i < a->n; i++)
    if (same(a->scopes[i].account, account, sizeof a->scopes[i].account) &&
        same(a->scopes[i].region, region, sizeof a->scopes[i].region))
      return &a->scopes[i];
  return NULL;
}

static struct scope *scope_get(struct orch_exec_admission *a, const char *account, const char *region) {
  struct scope *s = scope_find(a, account, region);
  if (s) return s;
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    struct scope *n = orch_realloc(a->scopes, cap * sizeof *n);
    if (!n) return NULL;
    a->scopes = n;
    a->cap = cap;
  }
  s = &a->scopes[a->n++];
  memset(s, 0, sizeof *s);
  snprintf(s->account, sizeof s->account, "%s", account);
  snprintf(s->region, sizeof s->region, "%s", region);
  s->quotas = ORCH_EXEC_QUOTAS_DEFAULT;
  return s;
}

int orch_exec_admission_set_quotas(struct orch_exec_admission *a, const char *account, const char *region,
                                   const struct orch_exec_quotas *q) {
  struct scope *s = scope_get(a, account, region);
  if (!s) return ORCH_ENOMEM;
  if (q) s->quotas = *q;
  s->state = ORCH_QUOTAS_KNOWN;
  return 0;
}

struct orch_exec_quotas orch_exec_admission_quotas(const struct orch_exec_admission *a, const char *account,
                                                   const char *region) {
  const struct scope *s = scope_find(a, account, region);
  return s ? s->quotas : ORCH_EXEC_QUOTAS_DEFAULT;
}

enum orch_exec_quota_state orch_exec_admission_quota_state(const struct orch_exec_admission *a, const char *account,
                                                           const char *region) {
  const struct scope *s = scope_find(a, account, region);
  return s ? s->state : ORCH_QUOTAS_UNKNOWN;
}

int orch_exec_admission_mark_asked(struct orch_exec_admission *a, const char *account, const char *region) {
  struct scope *s = scope_get(a, account, region);
  if (!s) return ORCH_ENOMEM;
  if (s->state == ORCH_QUOTAS_UNKNOWN) s->state = ORCH_QUOTAS_ASKED;
  return 0;
}

void orch_exec_admission_unmark_asked(struct orch_exec_admission *a, const char *account, const char *region) {
  struct scope *s = scope_find(a, account, region);
  if (s && s->state == ORCH_QUOTAS_ASKED) s->state = ORCH_QUOTAS_UNKNOWN;
}

int orch_exec_admission_enqueue(struct orch_exec_admission *a, const char *account, const char *region,
                                const char *waiter) {
  struct scope *s = scope_get(a, account, region);
  if (!s) return ORCH_ENOMEM;
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->queue[i].key, waiter) == 0) return 0;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    struct waiter *n = orch_realloc(s->queue, cap * sizeof *n);
    if (!n) return ORCH_ENOMEM;
    s->queue = n;
    s->cap = cap;
  }
  if ((size_t)snprintf(s->queue[s->n].key, sizeof s->queue[s->n].key, "%s", waiter) >= sizeof s->queue[s->n].key)
    return ORCH_ETOOBIG;
  s->n++;
  return 0;
}

static void remove_at(struct scope *s, size_t i) {
  memmove(&s->queue[i], &s->queue[i + 1], (s->n - i - 1) * sizeof *s->queue);
  s->n--;
}

void orch_exec_admission_dequeue(struct orch_exec_admission *a, const char *waiter) {
  for (size_t k = 0; k < a->n; k++) {
    struct scope *s = &a->scopes[k];
    for (size_t i = 0; i < s->n; i++)
      if (strcmp(s->queue[i].key, waiter) == 0) {
        remove_at(s, i);
        break;
      }
  }
}

void orch_exec_admission_dequeue_prefix(struct orch_exec_admission *a, const char *prefix) {
  size_t len = strlen(prefix);
  for (size_t k = 0; k < a->n; k++) {
    struct scope *s = &a->scopes[k];
    for (size_t i = s->n; i-- > 0;)
      if (strncmp(s->queue[i].key, prefix, len) == 0) remove_at(s, i);
  }
}

static const char *or_default(const char *v, const char *dflt) { return v && *v ? v : dflt; }

void orch_exec_admission_usage(const struct orch_exec_state *const *states, size_t n, const char *dflt_account,
                               const char *dflt_region, const char *account, const char *region, int *jobs,
                               int *servers) {
  *jobs = *servers = 0;
  for (size_t k = 0; k < n; k++) {
    const struct orch_exec_state *st = states[k];
    for (size_t j = 0; j < st->njobs; j++) {
      const struct orch_exec_job *job = &st->jobs[j];
      if (job->status != ORCH_JOB_REQUESTED && job->status != ORCH_JOB_STARTED) continue;
      if (strcmp(or_default(job->account, dflt_account), account) || strcmp(or_default(job->region, dflt_region), region))
        continue;
      (*jobs)++;
      *servers += (int)job->nservers;
    }
    for (size_t c = 0; c < st->nterms; c++) {
      const struct orch_exec_termination *t = &st->terms[c];
      if (!t->job_id[0] || t->ended) continue;
      if (strcmp(or_default(t->account, dflt_account), account) || strcmp(or_default(t->region, dflt_region), region))
        continue;
      (*jobs)++;
      *servers += (int)json_array_size(t->ids);
    }
  }
}

bool orch_exec_admission_try(const struct orch_exec_admission *a, const char *account, const char *region,
                             const char *waiter, int servers, int used_jobs, int used_servers, int *allowed) {
  const struct scope *s = scope_find(a, account, region);
  if (!s || !s->n || strcmp(s->queue[0].key, waiter) != 0) return false;
  int want = servers < s->quotas.servers_per_job ? servers : s->quotas.servers_per_job;
  if (used_jobs + 1 > s->quotas.concurrent_jobs) return false;
  int room = s->quotas.servers_in_active_jobs - used_servers;
  if (room <= 0) return false;
  if (want > room) want = room; /* a smaller job now beats a full one later */
  *allowed = want;
  return want > 0;
}
