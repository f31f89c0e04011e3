/* orch_api_drs: the short cache behind discovery (source servers, recovery instances per account and
 * region): what DRS answered, kept ORCH_API_DRS_TTL_MS so a console refreshing a page does not turn into a
 * DRS call per view. Thread-safe; entries are immutable JSON shared by reference. Uses orch_clock,
 * jansson, pthreads. */
#ifndef ORCH_API_DRS_H
#define ORCH_API_DRS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/orch_clock.h"
#include "core/orch_error.h"

#define ORCH_API_DRS_TTL_MS ((int64_t)30000)

struct orch_api_drs_cache;

int orch_api_drs_new(const struct orch_clock *clock, struct orch_api_drs_cache **out) ORCH_MUST_CHECK;
void orch_api_drs_free(struct orch_api_drs_cache *c);

/* Makes the value of a key (a new reference in *value). */
typedef int (*orch_api_drs_fetch)(void *ctx, json_t **value, struct orch_error *err);

/* The value for `key`: cached when younger than the TTL (and !refresh), else fetched and cached. *value
 * is a new reference; *at_ms is when it was fetched (the clock's wall time). */
int orch_api_drs_get(struct orch_api_drs_cache *c, const char *key, bool refresh, orch_api_drs_fetch fetch, void *ctx,
                     json_t **value, int64_t *at_ms, struct orch_error *err) ORCH_MUST_CHECK;

#endif
