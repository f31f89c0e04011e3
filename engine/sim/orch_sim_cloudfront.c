/* orch_sim_cloudfront: the CloudFront calls the console deployment makes: CreateInvalidation (paths checked as
 * CloudFront checks them, the caller reference making a retry harmless) and GetInvalidation, InProgress until
 * the `invalidation` timing passes, then Completed. Distributions belong to an account (a scenario may list
 * them; none listed: any id). CloudFront is global: invalidations are kept per account, whatever the signing
 * region. Uses orch_sim_ops, orch_sim_world, orch_sim_rng, jansson. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "sim/orch_sim_ops.h"

#define MAX_PATHS 3000 /* CloudFront's limit of paths in one invalidation */

static int internal(struct orch_aws_error *aerr) { return orch_sim_fail(aerr, 500, "InternalError", "Internal error"); }

static bool distribution_known(const struct orch_sim_call *c, const char *id) {
  const json_t *list = c->w->accounts[c->env->account].distributions;
  if (!id || !*id) return false;
  return json_array_size(list) == 0 || orch_sim_in_list(list, id);
}

static json_t *invalidation_json(const struct orch_sim_call *c, const struct orch_sim_invalidation *inv) {
  return json_pack("{s:s, s:s, s:o, s:{s:{s:I, s:O}, s:s}}", "Id", inv->id, "Status",
                   c->now >= inv->done_ms ? "Completed" : "InProgress", "CreateTime", orch_sim_time_json(inv->created_ms),
                   "InvalidationBatch", "Paths", "Quantity", (json_int_t)json_array_size(inv->paths), "Items", inv->paths,
                   "CallerReference", inv->caller_reference);
}

static int answer(struct orch_sim_call *c, const struct orch_sim_invalidation *inv, bool location, json_t **out,
                  struct orch_aws_error *aerr) {
  json_t *j = invalidation_json(c, inv);
  *out = j ? json_pack("{s:o}", "Invalidation", j) : NULL;
  if (*out && location) {
    char loc[256];
    snprintf(loc, sizeof loc, "https://cloudfront.amazonaws.com/2020-05-31/distribution/%s/invalidation/%s",
             inv->distribution, inv->id);
    json_object_set_new(*out, "Location", json_string(loc));
  }
  return *out ? 0 : internal(aerr);
}

static int cf_create_invalidation(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *dist = orch_sim_str(in, "DistributionId");
  const json_t *batch = json_object_get(in, "InvalidationBatch"), *paths = json_object_get(batch, "Paths");
  const json_t *items = json_object_get(paths, "Items");
  const char *ref = orch_sim_str(batch, "CallerReference");
  json_t *qty = json_object_get(paths, "Quantity");
  if (!distribution_known(c, dist))
    return orch_sim_fail(aerr, 404, "NoSuchDistribution", "The specified distribution does not exist.");
  if (!ref || !*ref) return orch_sim_fail(aerr, 400, "InvalidArgument", "CallerReference is required.");
  if (!json_is_integer(qty) || (size_t)json_integer_value(qty) != json_array_size(items))
    return orch_sim_fail(aerr, 400, "InconsistentQuantities",
                         "The value of Quantity and the size of Items don't match.");
  if (json_array_size(items) == 0) return orch_sim_fail(aerr, 400, "InvalidArgument", "Your request contains no paths.");
  if (json_array_size(items) > MAX_PATHS)
    return orch_sim_fail(aerr, 413, "BatchTooLarge", "Invalidation batch specified is too large.");
  size_t i;
  json_t *p;
  json_array_foreach(orch_sim_json_mut(items), i, p) {
    if (!json_is_string(p) || json_string_value(p)[0] != '/')
      return orch_sim_fail(aerr, 400, "InvalidArgument", "Your request contains one or more invalid invalidation paths.");
  }
  /* The same caller reference: the same batch answers the invalidation made, another batch is refused. */
  for (size_t k = 0; k < c->w->invalidations.n; k++) {
    const struct orch_sim_invalidation *inv = c->w->invalidations.items[k];
    if (inv->account != c->env->account || strcmp(inv->distribution, dist) || strcmp(inv->caller_reference, ref)) continue;
    if (!json_equal(inv->paths, orch_sim_json_mut(items)))
      return orch_sim_fail(aerr, 409, "InvalidationBatchAlreadyExists",
                           "The caller reference that you are using to create an invalidation batch is already in use.");
    return answer(c, inv, true, out, aerr);
  }
  struct orch_sim_invalidation *inv = orch_calloc(1, sizeof *inv);
  if (!inv) return internal(aerr);
  inv->account = c->env->account;
  snprintf(inv->distribution, sizeof inv->distribution, "%s", dist);
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  inv->id[0] = 'I';
  for (int k = 1; k < 14; k++) inv->id[k] = alphabet[orch_sim_rng_next(&c->w->rng) % (sizeof alphabet - 1)];
  inv->caller_reference = orch_strdup(ref);
  inv->paths = json_deep_copy(items);
  inv->created_ms = c->now;
  inv->done_ms = c->now + orch_sim_dist_sample(&c->w->timing.invalidation, &c->w->rng);
  if (!inv->caller_reference || !inv->paths || orch_sim_vec_push(&c->w->invalidations, inv)) {
    orch_free(inv->caller_reference);
    json_decref(inv->paths);
    orch_free(inv);
    return internal(aerr);
  }
  return answer(c, inv, true, out, aerr);
}

static int cf_get_invalidation(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *dist = orch_sim_str(in, "DistributionId"), *id = orch_sim_str(in, "Id");
  if (!distribution_known(c, dist))
    return orch_sim_fail(aerr, 404, "NoSuchDistribution", "The specified distribution does not exist.");
  for (size_t k = 0; id && k < c->w->invalidations.n; k++) {
    const struct orch_sim_invalidation *inv = c->w->invalidations.items[k];
    if (inv->account == c->env->account && !strcmp(inv->distribution, dist) && !strcmp(inv->id, id))
      return answer(c, inv, false, out, aerr);
  }
  return orch_sim_fail(aerr, 404, "NoSuchInvalidation", "The specified invalidation does not exist.");
}

const struct orch_sim_op orch_sim_cloudfront_ops[] = {
    {"CreateInvalidation", cf_create_invalidation},
    {"GetInvalidation", cf_get_invalidation},
    {NULL, NULL},
};

int orch_sim_cloudfront_scenario(struct orch_sim_account *acc, const json_t *a, const char *path,
                                 struct orch_error *err) {
  json_t *list = NULL, *d;
  char lp[ORCH_JSON_PATH_MAX], p[ORCH_JSON_PATH_MAX];
  size_t i;
  int rc = orch_json_get_array(a, path, "distributions", false, &list, err);
  if (rc) return rc;
  if (!(acc->distributions = json_array())) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  orch_json_path_key(lp, path, "distributions");
  json_array_foreach(list, i, d) {
    orch_json_path_index(p, lp, i);
    const char *id = NULL;
    if ((rc = orch_json_expect(d, p, JSON_OBJECT, err)) || (rc = orch_json_get_str(d, p, "id", true, &id, err)))
      return rc;
    if (strlen(id) < 8 || strlen(id) > 20 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(id))
      return orch_error_setc(err, ORCH_EVALIDATION, p, "a distribution id is 8-20 upper-case letters and digits, not '%s'", id);
    if (json_array_append_new(acc->distributions, json_string(id))) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  return 0;
}
