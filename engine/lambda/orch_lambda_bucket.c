/* orch_lambda_bucket: the Custom::BucketCleanup resource: on stack deletion it empties its bucket, every
 * object version and delete marker, 1,000 per DeleteObjects, so CloudFormation can delete the (versioned)
 * bucket; a bucket already gone is no failure. Create and Update only check the property. Stops with a
 * clear failure before the function's deadline rather than being killed mid-way.
 * Uses orch_lambda_cfn, orch_lambda_aws (S3 through orch_aws_client), orch_log. */
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_log.h"
#include "lambda/orch_lambda_cfn.h"
#include "lambda/orch_lambda_int.h"

#define DELETE_MAX 1000             /* keys in one DeleteObjects */
#define DEADLINE_MARGIN_MS 30000    /* stop this long before the function's deadline */

static int bucket_name(const struct orch_lambda_cfn_request *r, const char **name, struct orch_error *err) {
  if (!r->properties) return orch_error_setc(err, ORCH_EINVAL, "ResourceProperties", "BucketName is required");
  int rc = orch_json_get_str(r->properties, "ResourceProperties", "BucketName", true, name, err);
  if (!rc && (strlen(*name) < 3 || strlen(*name) > 63))
    rc = orch_error_setc(err, ORCH_EINVAL, "ResourceProperties.BucketName", "'%s' is not a bucket name", *name);
  return rc;
}

/* One listing page as DeleteObjects' "Objects" (every version and delete marker, at most 1,000). */
static json_t *page_objects(const json_t *page) {
  static const char *const lists[] = {"Versions", "DeleteMarkers"};
  json_t *objects = json_array();
  for (int l = 0; objects && l < 2; l++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(page, lists[l]), i, v) {
      if (json_array_size(objects) == DELETE_MAX) break;
      json_t *o = json_pack("{s:O}", "Key", json_object_get(v, "Key"));
      const json_t *vid = json_object_get(v, "VersionId");
      if (!o || (vid && json_object_set(o, "VersionId", (json_t *)(uintptr_t)vid)) || json_array_append_new(objects, o)) {
        json_decref(objects);
        return NULL;
      }
    }
  }
  return objects;
}

/* Delete `objects` (stolen); a key S3 could not delete is a failure naming it. */
static int delete_batch(struct orch_aws_client *c, const char *bucket, json_t *objects, struct orch_error *err) {
  json_t *in = json_pack("{s:s, s:{s:o, s:b}}", "Bucket", bucket, "Delete", "Objects", objects, "Quiet", 1), *out = NULL;
  int rc = in ? orch_aws_call(c, "s3", "DeleteObjects", in, &out, NULL, err) : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  const json_t *first = json_array_get(json_object_get(out, "Errors"), 0);
  if (!rc && first)
    rc = orch_error_setc(err, ORCH_EAWS, bucket, "S3 did not delete %zu objects, the first %s (%s): %s",
                         json_array_size(json_object_get(out, "Errors")),
                         json_string_value(json_object_get(first, "Key")),
                         json_string_value(json_object_get(first, "Code")),
                         json_string_value(json_object_get(first, "Message")));
  json_decref(in);
  json_decref(out);
  return rc;
}

/* Empty `bucket`: list from the start and delete what the page holds, until a listing is empty. */
static int empty_bucket(const struct orch_lambda_env *env, struct orch_aws_client *c, const char *bucket,
                        const struct orch_lambda_context *ctx, json_int_t *deleted, struct orch_error *err) {
  const struct orch_clock *clock = env->clock ? env->clock : orch_clock_real();
  for (;;) {
    if (ctx->deadline_ms && orch_clock_now_ms(clock) > ctx->deadline_ms - DEADLINE_MARGIN_MS)
      return orch_error_setc(err, ORCH_ETIMEDOUT, bucket,
                             "the function's time ran out after deleting %lld object versions; delete the stack "
                             "again to carry on", (long long)*deleted);
    struct orch_aws_error aerr;
    json_t *in = json_pack("{s:s, s:i}", "Bucket", bucket, "MaxKeys", DELETE_MAX), *page = NULL;
    int rc = in ? orch_aws_call(c, "s3", "ListObjectVersions", in, &page, &aerr, err)
                : orch_error_set(err, ORCH_ENOMEM, "out of memory");
    json_decref(in);
    if (rc == ORCH_EAWS && strcmp(aerr.code, "NoSuchBucket") == 0) {
      orch_log_info("bucket %s does not exist: nothing to empty", bucket);
      orch_error_clear(err);
      return 0;
    }
    if (rc) return rc;
    json_t *objects = page_objects(page);
    json_decref(page);
    if (!objects) return orch_error_set(err, ORCH_ENOMEM, "out of memory listing %s", bucket);
    size_t n = json_array_size(objects);
    if (n == 0) {
      json_decref(objects);
      return 0;
    }
    if ((rc = delete_batch(c, bucket, objects, err))) return rc;
    *deleted += (json_int_t)n;
  }
}

static int bucket_cleanup(const struct orch_lambda_env *env, enum orch_lambda_cfn_op op,
                          const struct orch_lambda_cfn_request *r, const struct orch_lambda_context *ctx, json_t *data,
                          struct orch_error *err) {
  const char *bucket = NULL;
  struct orch_lambda_aws aws = {0};
  json_int_t deleted = 0;
  int rc = bucket_name(r, &bucket, err);
  if (rc && op == ORCH_LAMBDA_CFN_DELETE) { /* a resource never created (its Create failed on this) */
    orch_log_warn("deleting a bucket clean-up without a bucket: nothing to empty");
    orch_error_clear(err);
    return 0;
  }
  if (rc || op != ORCH_LAMBDA_CFN_DELETE) return rc; /* created and updated: nothing to do until deletion */
  if ((rc = orch_lambda_aws_open(env, &aws, err))) return rc;
  rc = empty_bucket(env, aws.client, bucket, ctx, &deleted, err);
  orch_lambda_aws_close(&aws);
  if (!rc && json_object_set_new(data, "Deleted", json_integer(deleted)))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!rc) orch_log_info("emptied bucket %s: %lld object versions and delete markers", bucket, (long long)deleted);
  return rc;
}

const struct orch_lambda_cfn_resource orch_lambda_cfn_bucket_cleanup = {
  .type = "Custom::BucketCleanup",
  .handle = bucket_cleanup,
};
