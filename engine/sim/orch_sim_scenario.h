/* orch_sim_scenario: scenario files: read and validate a scenario (accounts and access keys, regions,
 * subnets, SSM documents, source servers and server groups, timings, quotas, throttling, errors,
 * latency, failure rules) with path-precise errors, and build a world from it. The format is
 * documented in docs/simulator.md. Uses orch_sim_world, orch_sim_faults, orch_sim_rng, orch_json,
 * orch_time. */
#ifndef ORCH_SIM_SCENARIO_H
#define ORCH_SIM_SCENARIO_H

#include <jansson.h>
#include <stdint.h>

#include "core/orch_error.h"
#include "sim/orch_sim_world.h"

#define ORCH_SIM_SCENARIO_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define ORCH_SIM_MAX_SERVERS 100000
#define ORCH_SIM_MAX_DOCUMENTS 1000 /* per region */

/* Read and parse a scenario file (JSON). Errors name the file. Caller owns *out. */
int orch_sim_scenario_read(const char *path, json_t **out, struct orch_error *err) ORCH_MUST_CHECK;

/* Validate `scenario` and build a world from it with generator `seed`. The sim clock starts at the
 * scenario's "start_time" when it has one, else at `default_start_ms` (see world->start_ms).
 * An error names the JSON path ("regions[0].servers[3].tags.Tier: expected string, got number").
 * Caller owns *out (orch_sim_world_free). */
int orch_sim_scenario_build(const json_t *scenario, uint64_t seed, int64_t default_start_ms,
                            struct orch_sim_world **out, struct orch_error *err) ORCH_MUST_CHECK;

#endif
