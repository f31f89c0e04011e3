/* S3 and CloudFront as the deployment's custom resources use them, through the real AWS client (rest-xml,
 * S3 signing with x-amz-content-sha256, virtual-hosted and path-style addressing, Content-MD5) over an
 * in-process transport to the simulator: emptying a versioned bucket in batches of 1,000 (every version and
 * delete marker), uploads, HeadBucket and GetBucketLocation, S3's checks (missing checksum, wrong account,
 * more than 1,000 keys), and invalidations. Uses orch_sim, orch_aws_client. */
#include "aws/orch_aws_client.h"
#include "aws/orch_aws_proto.h"
#include "sim_test.h"

static const char *REGION =
    "{\"accounts\": [{\"id\": \"111122223333\", \"distributions\": [{\"id\": \"E2QWRUHEXAMPLE\"}],"
    "  \"access_keys\": [{\"id\": \"AKIASIMULATOREXAMPLE\", \"secret\": \"simulator/secret/EXAMPLEKEY\"}]},"
    " {\"id\": \"444455556666\", \"access_keys\": [{\"id\": \"AKIAOTHERACCOUNT0001\", \"secret\": \"o\"}]}],"
    " \"regions\": [{\"region\": \"us-east-1\", \"buckets\": ["
    "   {\"name\": \"console-assets\", \"versioning\": \"Enabled\", \"objects\": ["
    "     {\"key\": \"assets/{n}.js\", \"count\": 1200, \"versions\": 2},"
    "     {\"key\": \"old/{n}.css\", \"count\": 300, \"deleted\": true},"
    "     {\"key\": \"index.html\", \"size\": 512}]},"
    "   {\"name\": \"plain\", \"objects\": [{\"key\": \"a b+c.txt\"}]}]},"
    "  {\"region\": \"us-west-2\", \"buckets\": [{\"name\": \"west-logs\"}]},"
    "  {\"account\": \"444455556666\", \"region\": \"us-east-1\", \"buckets\": [{\"name\": \"not-yours\"}]}],"
    " \"timing\": {\"invalidation\": \"90s\"}}";

struct rig {
  struct orch_sim *sim;
  struct orch_http_transport tr;
  struct orch_aws_creds *creds;
  struct orch_aws_client *client;
};

/* A client of the default account against `endpoint`: "http://localhost:4566" addresses buckets
 * virtual-hosted ("<bucket>.localhost:4566"), "http://127.0.0.1:4566" path style. */
static void rig_up(struct rig *r, const char *endpoint, const char *region, bool path_style) {
  struct orch_error err = {0};
  r->sim = sim_open(NULL, REGION, 5);
  r->tr = (struct orch_http_transport){.ops = &SIM_TRANSPORT, .ctx = r->sim};
  cr_assert_eq(orch_aws_creds_static(ORCH_SIM_ACCESS_KEY_ID, ORCH_SIM_SECRET_ACCESS_KEY, NULL, &r->creds), 0);
  struct orch_aws_client_config cc = {.region = region, .creds = r->creds, .endpoint_url = endpoint, .transport = &r->tr,
                                      .sleep_ms = sim_no_sleep, .no_ratelimit = true, .s3_path_style = path_style};
  cr_assert_eq(orch_aws_client_new(&cc, &r->client, &err), 0, "%s", err.message);
}

static void rig_down(struct rig *r) {
  orch_aws_client_free(r->client);
  orch_aws_creds_free(r->creds);
  orch_sim_stop(r->sim);
}

static json_t *call(struct rig *r, const char *svc, const char *op, json_t *in, struct orch_aws_error *aerr) {
  struct orch_error err = {0};
  struct orch_aws_error local = {0};
  json_t *out = NULL;
  int rc = orch_aws_call(r->client, svc, op, in, &out, aerr ? aerr : &local, &err);
  json_decref(in);
  if (!aerr) cr_assert_eq(rc, 0, "%s:%s: %s %s", svc, op, local.code, err.message);
  return rc ? NULL : out;
}

/* The bucket clean-up custom resource: list every version and delete marker, delete them 1,000 at a time,
 * until the bucket is empty. Returns how many DeleteObjects it took. */
static int empty_bucket(struct rig *r, const char *bucket, size_t *removed) {
  int batches = 0;
  for (;;) {
    json_t *page = call(r, "s3", "ListObjectVersions", json_pack("{s:s}", "Bucket", bucket), NULL);
    json_t *objects = json_array();
    static const char *const lists[] = {"Versions", "DeleteMarkers"};
    for (int l = 0; l < 2; l++) {
      size_t i;
      json_t *v;
      json_array_foreach(json_object_get(page, lists[l]), i, v) {
        if (json_array_size(objects) == 1000) break;
        json_array_append_new(objects, json_pack("{s:O, s:O}", "Key", json_object_get(v, "Key"), "VersionId",
                                                 json_object_get(v, "VersionId")));
      }
    }
    json_decref(page);
    if (json_array_size(objects) == 0) {
      json_decref(objects);
      return batches;
    }
    size_t n = json_array_size(objects);
    json_t *res = call(r, "s3", "DeleteObjects",
                       json_pack("{s:s, s:{s:o, s:b}}", "Bucket", bucket, "Delete", "Objects", objects, "Quiet", true), NULL);
    cr_assert_null(json_object_get(res, "Errors"), "DeleteObjects reported errors");
    json_decref(res);
    *removed += n;
    batches++;
    cr_assert(batches < 20, "the bucket does not empty");
  }
}

static void clean_up_versioned_bucket(const char *endpoint, bool path_style) {
  struct rig r;
  rig_up(&r, endpoint, "us-east-1", path_style);
  size_t removed = 0;
  /* 1,200 objects with 2 versions, 300 with a version and a delete marker, 1 more: 3,001 entries. */
  int batches = empty_bucket(&r, "console-assets", &removed);
  cr_assert_eq(removed, 3001);
  cr_assert_eq(batches, 4);
  json_t *page = call(&r, "s3", "ListObjectVersions", json_pack("{s:s}", "Bucket", "console-assets"), NULL);
  cr_assert_eq(json_array_size(json_object_get(page, "Versions")), 0);
  cr_assert(json_is_false(json_object_get(page, "IsTruncated")));
  json_decref(page);
  rig_down(&r);
}

Test(sim_s3, bucket_cleanup_empties_every_version_virtual_hosted) { clean_up_versioned_bucket("http://localhost:4566", false); }
Test(sim_s3, bucket_cleanup_empties_every_version_path_style) { clean_up_versioned_bucket("http://127.0.0.1:4566", false); }

Test(sim_s3, list_object_versions_pages_with_markers_newest_first) {
  struct rig r;
  rig_up(&r, "http://localhost:4566", "us-east-1", false);
  json_t *p1 = call(&r, "s3", "ListObjectVersions",
                    json_pack("{s:s, s:s, s:i}", "Bucket", "console-assets", "Prefix", "assets/1", "MaxKeys", 3), NULL);
  cr_assert(json_is_true(json_object_get(p1, "IsTruncated")));
  cr_assert_eq(json_array_size(json_object_get(p1, "Versions")), 3);
  /* keys in byte order, each key's versions newest first, only the newest IsLatest */
  cr_assert_str_eq(jstr(p1, "Versions.0.Key"), "assets/1.js");
  cr_assert(json_is_true(jget(p1, "Versions.0.IsLatest")));
  cr_assert_str_eq(jstr(p1, "Versions.1.Key"), "assets/1.js");
  cr_assert(json_is_false(jget(p1, "Versions.1.IsLatest")));
  cr_assert_str_eq(jstr(p1, "Versions.2.Key"), "assets/10.js");
  cr_assert_str_eq(jstr(p1, "NextKeyMarker"), "assets/10.js");
  json_t *p2 = call(&r, "s3", "ListObjectVersions",
                    json_pack("{s:s, s:s, s:i, s:s, s:s}", "Bucket", "console-assets", "Prefix", "assets/1", "MaxKeys", 2,
                              "KeyMarker", jstr(p1, "NextKeyMarker"), "VersionIdMarker", jstr(p1, "NextVersionIdMarker")),
                    NULL);
  cr_assert_str_eq(jstr(p2, "Versions.0.Key"), "assets/10.js", "the rest of the marker key first");
  cr_assert(json_is_false(jget(p2, "Versions.0.IsLatest")));
  cr_assert_str_eq(jstr(p2, "Versions.1.Key"), "assets/100.js");
  json_decref(p1);
  json_decref(p2);
  json_t *dm = call(&r, "s3", "ListObjectVersions", json_pack("{s:s, s:s}", "Bucket", "console-assets", "Prefix", "old/1."), NULL);
  cr_assert_eq(json_array_size(json_object_get(dm, "DeleteMarkers")), 1);
  cr_assert(json_is_true(jget(dm, "DeleteMarkers.0.IsLatest")));
  cr_assert_eq(json_array_size(json_object_get(dm, "Versions")), 1);
  json_decref(dm);
  /* url encoding of keys */
  json_t *enc = call(&r, "s3", "ListObjectVersions", json_pack("{s:s, s:s}", "Bucket", "plain", "EncodingType", "url"), NULL);
  cr_assert_str_eq(jstr(enc, "Versions.0.Key"), "a%20b%2Bc.txt");
  cr_assert_str_eq(jstr(enc, "Versions.0.VersionId"), "null");
  json_decref(enc);
  rig_down(&r);
}

Test(sim_s3, uploads_deletes_and_markers) {
  struct rig r;
  rig_up(&r, "http://localhost:4566", "us-east-1", false);
  /* "hello" has MD5 5d41402abc4b2a76b9719d911017c592 */
  json_t *put = call(&r, "s3", "PutObject",
                     json_pack("{s:s, s:s, s:s, s:s}", "Bucket", "console-assets", "Key", "config/runtime config.json",
                               "Body", "aGVsbG8=", "ContentType", "application/json"),
                     NULL);
  cr_assert_str_eq(jstr(put, "ETag"), "\"5d41402abc4b2a76b9719d911017c592\"");
  char vid[40];
  snprintf(vid, sizeof vid, "%s", jstr(put, "VersionId"));
  cr_assert_eq(strlen(vid), 32);
  json_decref(put);
  /* deleting the key (no version) puts a delete marker on top; deleting the marker brings the object back */
  json_t *d = call(&r, "s3", "DeleteObjects",
                   json_pack("{s:s, s:{s:[{s:s}]}}", "Bucket", "console-assets", "Delete", "Objects", "Key",
                             "config/runtime config.json"),
                   NULL);
  cr_assert(json_is_true(jget(d, "Deleted.0.DeleteMarker")));
  char marker[40];
  snprintf(marker, sizeof marker, "%s", jstr(d, "Deleted.0.DeleteMarkerVersionId"));
  json_decref(d);
  d = call(&r, "s3", "DeleteObjects",
           json_pack("{s:s, s:{s:[{s:s, s:s}]}}", "Bucket", "console-assets", "Delete", "Objects", "Key",
                     "config/runtime config.json", "VersionId", marker),
           NULL);
  cr_assert_str_eq(jstr(d, "Deleted.0.DeleteMarkerVersionId"), marker);
  json_decref(d);
  json_t *l = call(&r, "s3", "ListObjectVersions", json_pack("{s:s, s:s}", "Bucket", "console-assets", "Prefix", "config/"), NULL);
  cr_assert_eq(json_array_size(json_object_get(l, "Versions")), 1);
  cr_assert_str_eq(jstr(l, "Versions.0.VersionId"), vid);
  cr_assert_eq(json_integer_value(jget(l, "Versions.0.Size")), 5);
  json_decref(l);
  rig_down(&r);
}

Test(sim_s3, head_bucket_location_and_refusals) {
  struct rig r;
  struct orch_aws_error aerr = {0};
  rig_up(&r, "http://localhost:4566", "us-east-1", false);
  json_decref(call(&r, "s3", "HeadBucket", json_pack("{s:s}", "Bucket", "console-assets"), NULL));
  cr_assert_null(call(&r, "s3", "HeadBucket", json_pack("{s:s}", "Bucket", "no-such-bucket"), &aerr));
  cr_assert_str_eq(aerr.code, "NotFound", "a HEAD error has no body: the status names it");
  cr_assert_eq(aerr.http_status, 404);
  json_t *loc = call(&r, "s3", "GetBucketLocation", json_pack("{s:s}", "Bucket", "west-logs"), NULL);
  cr_assert_str_eq(jstr(loc, "LocationConstraint"), "us-west-2");
  json_decref(loc);
  loc = call(&r, "s3", "GetBucketLocation", json_pack("{s:s}", "Bucket", "console-assets"), NULL);
  const json_t *lc = json_object_get(loc, "LocationConstraint");
  cr_assert(!lc || !strcmp(json_string_value(lc), ""), "us-east-1 answers an empty constraint");
  json_decref(loc);
  cr_assert_null(call(&r, "s3", "ListObjectVersions", json_pack("{s:s}", "Bucket", "not-yours"), &aerr));
  cr_assert_str_eq(aerr.code, "AccessDenied");
  cr_assert_null(call(&r, "s3", "ListObjectVersions", json_pack("{s:s}", "Bucket", "west-logs"), &aerr));
  cr_assert_str_eq(aerr.code, "AuthorizationHeaderMalformed");
  cr_assert_null(call(&r, "s3", "ListObjectVersions", json_pack("{s:s}", "Bucket", "nope-nope"), &aerr));
  cr_assert_str_eq(aerr.code, "NoSuchBucket");
  json_t *many = json_array();
  for (int i = 0; i < 1001; i++) json_array_append_new(many, json_pack("{s:s}", "Key", "k"));
  cr_assert_null(call(&r, "s3", "DeleteObjects", json_pack("{s:s, s:{s:o}}", "Bucket", "console-assets", "Delete", "Objects", many), &aerr));
  cr_assert_str_eq(aerr.code, "MalformedXML");
  rig_down(&r);
}

/* DeleteObjects without Content-MD5 (or a flexible checksum) is refused, and a wrong one too. */
Test(sim_s3, delete_objects_requires_a_matching_checksum) {
  struct orch_sim *sim = sim_open(NULL, REGION, 5);
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service("s3"), "DeleteObjects");
  for (int variant = 0; variant < 3; variant++) {
    struct orch_http_request req = {0};
    struct orch_http_response resp = {0};
    struct orch_error err = {0};
    json_t *in = json_pack("{s:s, s:{s:[{s:s}]}}", "Bucket", "console-assets", "Delete", "Objects", "Key", "index.html");
    cr_assert_eq(orch_aws_proto_build_request(op, in, &req, &err), 0, "%s", err.message);
    cr_assert_not_null(orch_http_headers_get(&req.headers, "Content-MD5"), "the client adds Content-MD5");
    if (variant == 0) orch_http_headers_remove(&req.headers, "Content-MD5");
    if (variant == 1) cr_assert_eq(orch_http_headers_set(&req.headers, "Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), 0);
    cr_assert_eq(orch_http_headers_set(&req.headers, "Host", "127.0.0.1:4566"), 0);
    struct orch_sigv4_params p = {.mode = ORCH_SIGV4_HEADER, .access_key_id = ORCH_SIM_ACCESS_KEY_ID,
                                  .secret_access_key = ORCH_SIM_SECRET_ACCESS_KEY, .region = "us-east-1", .service = "s3",
                                  .time_ms = orch_clock_now_ms(orch_clock_real()), .sign_body = true,
                                  .no_normalize = true, .single_encode = true};
    cr_assert_eq(orch_sigv4_sign(&req, &p, NULL, &err), 0);
    cr_assert_eq(orch_sim_handle(sim, &req, &resp), 0);
    const char *body = orch_buf_cstr(&resp.body);
    if (variant == 0) cr_assert(resp.status == 400 && strstr(body, "<Code>InvalidRequest</Code>"), "%d %s", resp.status, body);
    if (variant == 1) cr_assert(resp.status == 400 && strstr(body, "<Code>BadDigest</Code>"), "%d %s", resp.status, body);
    if (variant == 2) cr_assert_eq(resp.status, 200, "%s", body);
    json_decref(in);
    orch_http_request_free(&req);
    orch_http_response_free(&resp);
  }
  orch_sim_stop(sim);
}

Test(sim_cloudfront, invalidations_complete_and_caller_references_dedupe) {
  struct rig r;
  struct orch_aws_error aerr = {0};
  rig_up(&r, "http://127.0.0.1:4566", "us-east-1", false);
#define BATCH(ref, p1, p2)                                                                                               \
  json_pack("{s:s, s:{s:{s:i, s:[s, s]}, s:s}}", "DistributionId", "E2QWRUHEXAMPLE", "InvalidationBatch", "Paths",     \
            "Quantity", 2, "Items", p1, p2, "CallerReference", ref)
  json_t *inv = call(&r, "cloudfront", "CreateInvalidation", BATCH("deploy-1", "/index.html", "/config/*"), NULL);
  cr_assert_str_eq(jstr(inv, "Invalidation.Status"), "InProgress");
  char id[24];
  snprintf(id, sizeof id, "%s", jstr(inv, "Invalidation.Id"));
  cr_assert(strstr(jstr(inv, "Location"), id), "%s", jstr(inv, "Location"));
  cr_assert_eq(json_integer_value(jget(inv, "Invalidation.InvalidationBatch.Paths.Quantity")), 2);
  json_decref(inv);
  inv = call(&r, "cloudfront", "CreateInvalidation", BATCH("deploy-1", "/index.html", "/config/*"), NULL);
  cr_assert_str_eq(jstr(inv, "Invalidation.Id"), id, "a retry with the same caller reference is the same invalidation");
  json_decref(inv);
  cr_assert_null(call(&r, "cloudfront", "CreateInvalidation", BATCH("deploy-1", "/a", "/b"), &aerr));
  cr_assert_str_eq(aerr.code, "InvalidationBatchAlreadyExists");
  cr_assert_null(call(&r, "cloudfront", "CreateInvalidation", BATCH("deploy-2", "index.html", "/b"), &aerr));
  cr_assert_str_eq(aerr.code, "InvalidArgument");
  json_t *bad = BATCH("deploy-3", "/a", "/b");
  json_object_set_new(bad, "DistributionId", json_string("E0000000000000"));
  cr_assert_null(call(&r, "cloudfront", "CreateInvalidation", bad, &aerr));
  cr_assert_str_eq(aerr.code, "NoSuchDistribution");
  orch_sim_advance(r.sim, 89000);
  json_t *g = call(&r, "cloudfront", "GetInvalidation", json_pack("{s:s, s:s}", "DistributionId", "E2QWRUHEXAMPLE", "Id", id), NULL);
  cr_assert_str_eq(jstr(g, "Invalidation.Status"), "InProgress");
  json_decref(g);
  orch_sim_advance(r.sim, 1000);
  g = call(&r, "cloudfront", "GetInvalidation", json_pack("{s:s, s:s}", "DistributionId", "E2QWRUHEXAMPLE", "Id", id), NULL);
  cr_assert_str_eq(jstr(g, "Invalidation.Status"), "Completed");
  json_decref(g);
  cr_assert_null(call(&r, "cloudfront", "GetInvalidation", json_pack("{s:s, s:s}", "DistributionId", "E2QWRUHEXAMPLE", "Id", "INOPE"), &aerr));
  cr_assert_str_eq(aerr.code, "NoSuchInvalidation");
  rig_down(&r);
}
