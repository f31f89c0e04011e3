/* orch_sim_scenario_int: what the scenario builder's files share (orch_sim_scenario.c builds the world,
 * orch_sim_scenario_docs.c a region's SSM documents). Private to engine/sim. */
#ifndef ORCH_SIM_SCENARIO_INT_H
#define ORCH_SIM_SCENARIO_INT_H

#include <jansson.h>
#include <stddef.h>

#include "core/orch_error.h"
#include "sim/orch_sim_world.h"

/* Optional string `key` of obj (at `path`) that must be one of `allowed` (NULL-terminated): copied into
 * out (outsz bytes) when present, left alone when absent; an unknown value is ORCH_EVALIDATION naming the
 * nearest allowed one. */
int orch_sim_scenario_enum(const json_t *obj, const char *path, const char *key, const char *const *allowed, char *out,
                           size_t outsz, struct orch_error *err) ORCH_MUST_CHECK;

/* The "documents" of region object r (at `path`) into env->docs / env->ndocs (env owns them). */
int orch_sim_scenario_documents(struct orch_sim_env *env, const json_t *r, const char *path, struct orch_error *err)
    ORCH_MUST_CHECK;

#endif
