/* orch_api_drs: a small keyed cache with a time-to-live. Uses jansson, orch_clock, pthreads. */
#include "api/orch_api_drs.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

#define SLOTS 32

struct slot {
  char key[96];
  json_t *value;
  int64_t mono_ms;
  int64_t at_ms;
};

struct orch_api_drs_cache {
  const struct orch_clock *clock;
  pthread_mutex_t mu;
  struct slot s[SLOTS];
};

int orch_api_drs_new(const struct orch_clock *clock, struct orch_api_drs_cache **out) {
  struct orch_api_drs_cache *c = orch_calloc(1, sizeof *c);
  if (!c) return ORCH_ENOMEM;
  c->clock = clock ? clock : orch_clock_real();
  pthread_mutex_init(&c->mu, NULL);
  *out = c;
  return 0;
}

void orch_api_drs_free(struct orch_api_drs_cache *c) {
  if (!c) return;
  for (size_t i = 0; i < SLOTS; i++) json_decref(c->s[i].value);
  pthread_mutex_destroy(&c->mu);
  orch_free(c);
}

int orch_api_drs_get(struct orch_api_drs_cache *c, const char *key, bool refresh, orch_api_drs_fetch fetch, void *ctx,
                     json_t **value, int64_t *at_ms, struct orch_error *err) {
  int64_t now = orch_clock_mono_ns(c->clock) / 1000000;
  *value = NULL;
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; !refresh && i < SLOTS; i++) {
    struct slot *s = &c->s[i];
    if (s->value && strcmp(s->key, key) == 0 && now - s->mono_ms < ORCH_API_DRS_TTL_MS) {
      *value = json_incref(s->value);
      *at_ms = s->at_ms;
    }
  }
  pthread_mutex_unlock(&c->mu);
  if (*value) return 0;
  json_t *fresh = NULL;
  int rc = fetch(ctx, &fresh, err);
  if (rc) return rc;
  pthread_mutex_lock(&c->mu);
  struct slot *use = NULL;
  for (size_t i = 0; i < SLOTS && !use; i++)
    if (!c->s[i].value || strcmp(c->s[i].key, key) == 0) use = &c->s[i];
  if (!use) { /* all taken: the oldest goes */
    use = &c->s[0];
    for (size_t i = 1; i < SLOTS; i++)
      if (c->s[i].mono_ms < use->mono_ms) use = &c->s[i];
  }
  json_decref(use->value);
  snprintf(use->key, sizeof use->key, "%s", key);
  use->value = json_incref(fresh);
  use->mono_ms = now;
  use->at_ms = *at_ms = orch_clock_now_ms(c->clock);
  pthread_mutex_unlock(&c->mu);
  *value = fresh;
  return 0;
}
