/* orch_exec_admission: per account+region quota counters and FIFO queues of waiting waves.
 * Uses orch_alloc. */
#include "exec/orch_exec_admission.h"

#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

struct waiter {
  char key[160];
};

struct scope {
  char account[16];
  char region[32];
  struct orch_exec_quotas quotas;
  int jobs, servers;      /* in active jobs */
  struct waiter *queue;   /* FIFO */
  size_t nqueue, capqueue;
};

struct orch_exec_admission {
  struct scope *scopes;
  size_t nscopes, capscopes;
};

int orch_exec_admission_new(struct orch_exec_admission **out) {
  *out = orch_calloc(1, sizeof **out);
  return *out ? 0 : ORCH_ENOMEM;
}

void orch_exec_admission_free(struct orch_exec_admission *a) {
  if (!a) return;
  for (size_t i = 0; i < a->nscopes; i++) orch_free(a->scopes[i].queue);
  orch_free(a->scopes);
  orch_free(a);
}

static struct scope *scope_find(const struct orch_exec_admission *a, const char *account, const char *region) {
  for (size_t i = 0; i < a->nscopes; i++)
    if (strcmp(a->scopes[i].account, account) == 0 && strcmp(a->scopes[i].region, region) == 0) return &a->scopes[i];
  return NULL;
}

static struct scope *scope_get(struct orch_exec_admission *a, const char *account, const char *region) {
  struct scope *s = scope_find(a, account, region);
  if (s) return s;
  if (a->nscopes == a->capscopes) {
    size_t cap = a->capscopes ? a->capscopes * 2 : 4;
    struct scope *n = orch_realloc(a->scopes, cap * sizeof *n);
    if (!n) return NULL;
    a->scopes = n;
    a->capscopes = cap;
  }
  s = &a->scopes[a->nscopes++];
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
  if (q->servers_per_job < 1 || q->concurrent_jobs < 1 || q->servers_in_active_jobs < 1) return ORCH_EINVAL;
  s->quotas = *q;
  return 0;
}

struct orch_exec_quotas orch_exec_admission_quotas(const struct orch_exec_admission *a, const char *account,
                                                   const char *region) {
  const struct scope *s = scope_find(a, account, region);
  return s ? s->quotas : ORCH_EXEC_QUOTAS_DEFAULT;
}

int orch_exec_admission_enqueue(struct orch_exec_admission *a, const char *account, const char *region,
                                const char *waiter) {
  struct scope *s = scope_get(a, account, region);
  if (!s) return ORCH_ENOMEM;
  for (size_t i = 0; i < s->nqueue; i++)
    if (strcmp(s->queue[i].key, waiter) == 0) return 0;
  if (s->nqueue == s->capqueue) {
    size_t cap = s->capqueue ? s->capqueue * 2 : 8;
    struct waiter *n = orch_realloc(s->queue, cap * sizeof *n);
    if (!n) return ORCH_ENOMEM;
    s->queue = n;
    s->capqueue = cap;
  }
  snprintf(s->queue[s->nqueue++].key, sizeof s->queue[0].key, "%s", waiter);
  return 0;
}

void orch_exec_admission_dequeue(struct orch_exec_admission *a, const char *waiter) {
  for (size_t i = 0; i < a->nscopes; i++) {
    struct scope *s = &a->scopes[i];
    for (size_t k = 0; k < s->nqueue; k++) {
      if (strcmp(s->queue[k].key, waiter) != 0) continue;
      memmove(&s->queue[k], &s->queue[k + 1], (s->nqueue - k - 1) * sizeof s->queue[0]);
      s->nqueue--;
      return;
    }
  }
}

bool orch_exec_admission_try(struct orch_exec_admission *a, const char *account, const char *region,
                             const char *waiter, int servers, int *allowed) {
  struct scope *s = scope_find(a, account, region);
  *allowed = 0;
  if (!s || !s->nqueue || strcmp(s->queue[0].key, waiter) != 0) return false;
  int n = servers < s->quotas.servers_per_job ? servers : s->quotas.servers_per_job;
  if (s->jobs + 1 > s->quotas.concurrent_jobs) return false;
  int room = s->quotas.servers_in_active_jobs - s->servers;
  if (room <= 0) return false;
  /* A smaller job now beats a full one later: launch what fits across active jobs. */
  if (n > room) n = room;
  *allowed = n;
  return n > 0;
}

int orch_exec_admission_job_started(struct orch_exec_admission *a, const char *account, const char *region,
                                    int servers) {
  struct scope *s = scope_get(a, account, region);
  if (!s) return ORCH_ENOMEM;
  s->jobs++;
  s->servers += servers;
  return 0;
}

void orch_exec_admission_job_ended(struct orch_exec_admission *a, const char *account, const char *region,
                                   int servers) {
  struct scope *s = scope_find(a, account, region);
  if (!s) return;
  s->jobs = s->jobs > 0 ? s->jobs - 1 : 0;
  s->servers = s->servers >= servers ? s->servers - servers : 0;
}

void orch_exec_admission_usage(const struct orch_exec_admission *a, const char *account, const char *region,
                               int *jobs, int *servers) {
  const struct scope *s = scope_find(a, account, region);
  *jobs = s ? s->jobs : 0;
  *servers = s ? s->servers : 0;
}
