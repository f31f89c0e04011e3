/* orch_sim_rng: the simulator's seeded randomness: a splitmix64/xoshiro256** generator (so --seed makes a
 * run reproducible), duration distributions (fixed, uniform, truncated normal) parsed from scenario
 * JSON, and AWS-style identifiers drawn from the generator. Uses orch_json, orch_time. */
#ifndef ORCH_SIM_RNG_H
#define ORCH_SIM_RNG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_error.h"

struct orch_sim_rng {
  uint64_t s[4];
};

void orch_sim_rng_seed(struct orch_sim_rng *r, uint64_t seed);
uint64_t orch_sim_rng_next(struct orch_sim_rng *r);
/* Uniform in [0, 1). */
double orch_sim_rng_unit(struct orch_sim_rng *r);
/* True with probability p (p <= 0: never, p >= 1: always, and no draw is consumed at either end). */
int orch_sim_rng_chance(struct orch_sim_rng *r, double p);
/* `prefix` + `nhex` lower-case hex digits into out (outsz). */
void orch_sim_rng_hex_id(struct orch_sim_rng *r, char *out, size_t outsz, const char *prefix, size_t nhex);
/* A random (version 4 layout) UUID string, 36 characters + NUL. */
void orch_sim_rng_uuid(struct orch_sim_rng *r, char out[37]);

enum orch_sim_dist_kind { ORCH_SIM_DIST_FIXED, ORCH_SIM_DIST_UNIFORM, ORCH_SIM_DIST_NORMAL };

/* A duration distribution in simulated milliseconds. */
struct orch_sim_dist {
  enum orch_sim_dist_kind kind;
  int64_t a, b;     /* fixed: a; uniform: [a, b]; normal: mean a, stddev b */
  int64_t min, max; /* normal: clipped to [min, max] */
};

/* Parse "90s" (fixed), {"min": "30s", "max": "2m"} (uniform) or {"mean": "1m", "stddev": "10s",
 * "min"?: , "max"?: } (normal, clipped at 0 or min/max). Errors name `path`. */
int orch_sim_dist_parse(const json_t *j, const char *path, struct orch_sim_dist *out, struct orch_error *err)
    ORCH_MUST_CHECK;
struct orch_sim_dist orch_sim_dist_fixed(int64_t ms);
struct orch_sim_dist orch_sim_dist_uniform(int64_t lo, int64_t hi);
/* Draw one duration (>= 0). */
int64_t orch_sim_dist_sample(const struct orch_sim_dist *d, struct orch_sim_rng *r);
/* The distribution as scenario JSON (for /_sim/state). Caller owns. */
json_t *orch_sim_dist_json(const struct orch_sim_dist *d);

#endif
