/* orch_sim_rng: xoshiro256** seeded through splitmix64, duration distributions, random ids.
 * Uses orch_json, orch_time. */
#include "sim/orch_sim_rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_time.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void orch_sim_rng_seed(struct orch_sim_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t orch_sim_rng_next(struct orch_sim_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double orch_sim_rng_unit(struct orch_sim_rng *r) { return (double)(orch_sim_rng_next(r) >> 11) * 0x1.0p-53; }

int orch_sim_rng_chance(struct orch_sim_rng *r, double p) {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return orch_sim_rng_unit(r) < p;
}

void orch_sim_rng_hex_id(struct orch_sim_rng *r, char *out, size_t outsz, const char *prefix, size_t nhex) {
  static const char hex[] = "0123456789abcdef";
  size_t plen = strlen(prefix);
  if (outsz == 0) return;
  if (plen + nhex + 1 > outsz) nhex = outsz > plen + 1 ? outsz - plen - 1 : 0;
  if (plen >= outsz) plen = outsz - 1;
  memcpy(out, prefix, plen);
  uint64_t bits = 0;
  for (size_t i = 0; i < nhex; i++) {
    if (i % 16 == 0) bits = orch_sim_rng_next(r);
    out[plen + i] = hex[bits & 15];
    bits >>= 4;
  }
  out[plen + nhex] = '\0';
}

void orch_sim_rng_uuid(struct orch_sim_rng *r, char out[37]) {
  uint64_t hi = orch_sim_rng_next(r), lo = orch_sim_rng_next(r);
  hi = (hi & ~0xf000ULL) | 0x4000ULL;                       /* version 4 */
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
  snprintf(out, 37, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
           (unsigned long long)((hi >> 16) & 0xffff), (unsigned long long)(hi & 0xffff),
           (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

struct orch_sim_dist orch_sim_dist_fixed(int64_t ms) {
  return (struct orch_sim_dist){.kind = ORCH_SIM_DIST_FIXED, .a = ms, .b = ms, .min = 0, .max = INT64_MAX};
}

struct orch_sim_dist orch_sim_dist_uniform(int64_t lo, int64_t hi) {
  return (struct orch_sim_dist){.kind = ORCH_SIM_DIST_UNIFORM, .a = lo, .b = hi, .min = 0, .max = INT64_MAX};
}

/* A duration given as a string ("90s", "1m30s") or a number of seconds. */
static int dur_value(const json_t *j, const char *path, int64_t *ms, struct orch_error *err) {
  if (json_is_string(j)) {
    struct orch_error e = {0};
    if (orch_duration_parse(json_string_value(j), ms, &e))
      return orch_error_setc(err, ORCH_EVALIDATION, path, "invalid duration '%s': %s", json_string_value(j),
                             e.message);
    return 0;
  }
  if (json_is_number(j) && json_number_value(j) >= 0 && json_number_value(j) < 1e9) {
    *ms = (int64_t)(json_number_value(j) * 1000.0);
    return 0;
  }
  return orch_error_setc(err, ORCH_ETYPE, path, "expected a duration (\"90s\", \"2m\") or seconds, got %s",
                         orch_json_type_name(j));
}

static int dur_member(const json_t *obj, const char *path, const char *key, bool required, int64_t *ms,
                      bool *found, struct orch_error *err) {
  char p[ORCH_JSON_PATH_MAX];
  json_t *v = json_object_get(obj, key);
  *found = v != NULL;
  if (!v) return required ? orch_error_setc(err, ORCH_EVALIDATION, path, "missing '%s'", key) : 0;
  orch_json_path_key(p, path, key);
  return dur_value(v, p, ms, err);
}

int orch_sim_dist_parse(const json_t *j, const char *path, struct orch_sim_dist *out, struct orch_error *err) {
  static const char *const keys[] = {"min", "max", "mean", "stddev", NULL};
  int rc;
  bool has_min, has_max, has_mean, has_sd;
  int64_t min = 0, max = INT64_MAX, mean = 0, sd = 0;
  if (!json_is_object(j)) {
    int64_t ms;
    if ((rc = dur_value(j, path, &ms, err))) return rc;
    *out = orch_sim_dist_fixed(ms);
    return 0;
  }
  if ((rc = orch_json_check_keys(j, path, keys, err))) return rc;
  if ((rc = dur_member(j, path, "min", false, &min, &has_min, err)) ||
      (rc = dur_member(j, path, "max", false, &max, &has_max, err)) ||
      (rc = dur_member(j, path, "mean", false, &mean, &has_mean, err)) ||
      (rc = dur_member(j, path, "stddev", false, &sd, &has_sd, err)))
    return rc;
  if (has_mean) {
    if (min > max) return orch_error_setc(err, ORCH_EVALIDATION, path, "min is greater than max");
    *out = (struct orch_sim_dist){.kind = ORCH_SIM_DIST_NORMAL, .a = mean, .b = sd, .min = min, .max = max};
    return 0;
  }
  if (has_sd) return orch_error_setc(err, ORCH_EVALIDATION, path, "'stddev' needs 'mean'");
  if (!has_min || !has_max)
    return orch_error_setc(err, ORCH_EVALIDATION, path, "expected {\"min\", \"max\"} or {\"mean\", \"stddev\"}");
  if (min > max) return orch_error_setc(err, ORCH_EVALIDATION, path, "min is greater than max");
  *out = orch_sim_dist_uniform(min, max);
  return 0;
}

int64_t orch_sim_dist_sample(const struct orch_sim_dist *d, struct orch_sim_rng *r) {
  switch (d->kind) {
    case ORCH_SIM_DIST_FIXED: return d->a;
    case ORCH_SIM_DIST_UNIFORM:
      if (d->b <= d->a) return d->a;
      return d->a + (int64_t)(orch_sim_rng_next(r) % (uint64_t)(d->b - d->a + 1));
    case ORCH_SIM_DIST_NORMAL: {
      /* Box-Muller; both draws are always consumed so the sequence does not depend on the outcome. */
      double u1 = orch_sim_rng_unit(r), u2 = orch_sim_rng_unit(r);
      if (u1 < 1e-300) u1 = 1e-300;
      double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
      double v = (double)d->a + z * (double)d->b;
      if (v < (double)d->min) v = (double)d->min;
      if (v > (double)d->max) v = (double)d->max;
      return v < 0 ? 0 : (int64_t)v;
    }
  }
  return d->a;
}

json_t *orch_sim_dist_json(const struct orch_sim_dist *d) {
  char a[64], b[64];
  orch_duration_format(a, sizeof a, d->a);
  orch_duration_format(b, sizeof b, d->b);
  switch (d->kind) {
    case ORCH_SIM_DIST_FIXED: return json_string(a);
    case ORCH_SIM_DIST_UNIFORM: return json_pack("{s:s, s:s}", "min", a, "max", b);
    case ORCH_SIM_DIST_NORMAL: return json_pack("{s:s, s:s}", "mean", a, "stddev", b);
  }
  return json_null();
}
