/* orch_lambda_console: the Custom::ConsoleDeployment resource: on Create and Update it uploads the built
 * console the package carries ($LAMBDA_TASK_ROOT/web, from web/dist) to the console bucket, writes the
 * runtime configuration the console reads (runtime-config.json: API URL, user pool, client, the Hosted UI
 * and its scopes, region, build), and invalidates the CloudFront distribution (the request id is the caller reference, so a
 * retried request makes no second invalidation). Delete leaves the files to the bucket clean-up.
 * Uses orch_lambda_cfn, orch_lambda_aws (S3 and CloudFront through orch_aws_client), orch_aws_proto
 * (base64 bodies), orch_buf, orch_log, POSIX directories. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws/orch_aws_proto.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "lambda/orch_lambda_cfn.h"
#include "lambda/orch_lambda_int.h"

#define CONFIG_KEY "runtime-config.json"
#define FILE_MAX ((size_t)50 * 1024 * 1024) /* a console file (the whole package is at most 50 MB) */
#define FILES_MAX 10000

struct props {
  const char *bucket, *distribution, *api_url, *pool, *client, *domain, *scopes, *region, *build;
};

static int props_read(const json_t *p, struct props *o, struct orch_error *err) {
  memset(o, 0, sizeof *o);
  if (!p) return orch_error_setc(err, ORCH_EINVAL, "ResourceProperties", "BucketName, DistributionId, ApiUrl, "
                                 "UserPoolId, UserPoolClientId, CognitoDomain and Region are required");
  const char *w = "ResourceProperties";
  int rc;
  if ((rc = orch_json_get_str(p, w, "BucketName", true, &o->bucket, err)) ||
      (rc = orch_json_get_str(p, w, "DistributionId", true, &o->distribution, err)) ||
      (rc = orch_json_get_str(p, w, "ApiUrl", true, &o->api_url, err)) ||
      (rc = orch_json_get_str(p, w, "UserPoolId", true, &o->pool, err)) ||
      (rc = orch_json_get_str(p, w, "UserPoolClientId", true, &o->client, err)) ||
      (rc = orch_json_get_str(p, w, "CognitoDomain", true, &o->domain, err)) ||
      (rc = orch_json_get_str(p, w, "Scopes", false, &o->scopes, err)) ||
      (rc = orch_json_get_str(p, w, "Region", true, &o->region, err)) ||
      (rc = orch_json_get_str(p, w, "PackageKey", false, &o->build, err)))
    return rc;
  if (!orch_str_starts_with(o->api_url, "https://") && !orch_str_starts_with(o->api_url, "http://"))
    return orch_error_setc(err, ORCH_EINVAL, "ResourceProperties.ApiUrl", "'%s' is not an http(s) URL", o->api_url);
  if (!orch_str_starts_with(o->domain, "https://"))
    return orch_error_setc(err, ORCH_EINVAL, "ResourceProperties.CognitoDomain", "'%s' is not an https:// address (the "
                           "Hosted UI: https://<prefix>.auth.<region>.amazoncognito.com)", o->domain);
  if (!o->scopes || !*o->scopes) o->scopes = "openid";
  return 0;
}

/* What a browser is told a file is, by its extension. */
static const char *content_type(const char *key) {
  static const struct {
    const char *ext, *type;
  } types[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"}, {".map", "application/json"}, {".svg", "image/svg+xml"},
    {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
    {".webp", "image/webp"}, {".ico", "image/x-icon"}, {".woff", "font/woff"}, {".woff2", "font/woff2"},
    {".ttf", "font/ttf"}, {".txt", "text/plain; charset=utf-8"}, {".wasm", "application/wasm"},
    {".webmanifest", "application/manifest+json"},
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (orch_str_ends_with(key, types[i].ext)) return types[i].type;
  return "application/octet-stream";
}

/* PutObject of `len` bytes under `key`; pages and the configuration are never cached stale. */
static int put(struct orch_aws_client *c, const char *bucket, const char *key, const void *body, size_t len,
               struct orch_error *err) {
  struct orch_buf b64 = ORCH_BUF_INIT(0);
  json_t *in = NULL, *out = NULL;
  int rc = orch_aws_b64_encode(&b64, body, len);
  if (!rc) in = json_pack("{s:s, s:s, s:s, s:s}", "Bucket", bucket, "Key", key, "Body", orch_buf_cstr(&b64),
                          "ContentType", content_type(key));
  bool fresh = orch_str_ends_with(key, ".html") || strcmp(key, CONFIG_KEY) == 0;
  if (in && fresh && json_object_set_new(in, "CacheControl", json_string("no-cache"))) {
    json_decref(in);
    in = NULL;
  }
  if (rc || !in) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory uploading %s", key);
  else rc = orch_aws_call(c, "s3", "PutObject", in, &out, NULL, err);
  if (rc) orch_error_prefix(err, "uploading %s to %s", key, bucket);
  json_decref(in);
  json_decref(out);
  orch_buf_free(&b64);
  return rc;
}

/* ---- the built console ------------------------------------------------------------------------------- */

/* Append the regular files under dir/rel (relative paths) to files; symbolic links are not followed. */
static int walk(const char *dir, const char *rel, json_t *files, struct orch_error *err) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel) >= (int)sizeof path)
    return orch_error_setc(err, ORCH_ETOOBIG, rel, "path too long");
  DIR *d = opendir(path);
  if (!d) return orch_error_setc(err, ORCH_EIO, path, "cannot read the built console: %s", strerror(errno));
  int rc = 0;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char sub[4096], full[4096];
    struct stat st;
    if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= (int)sizeof sub ||
        snprintf(full, sizeof full, "%s/%s", dir, sub) >= (int)sizeof full) {
      rc = orch_error_setc(err, ORCH_ETOOBIG, e->d_name, "path too long");
    } else if (lstat(full, &st) != 0) {
      rc = orch_error_setc(err, ORCH_EIO, full, "cannot read the built console: %s", strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
      rc = walk(dir, sub, files, err);
    } else if (S_ISREG(st.st_mode)) {
      if (json_array_size(files) == FILES_MAX)
        rc = orch_error_setc(err, ORCH_ETOOBIG, dir, "the console has more than %d files", FILES_MAX);
      else if (json_array_append_new(files, json_string(sub)))
        rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
  }
  closedir(d);
  return rc;
}

/* The files under dir, relative; an empty array when dir does not exist. */
static int list_files(const char *dir, json_t **out, struct orch_error *err) {
  struct stat st;
  *out = json_array();
  if (!*out) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (stat(dir, &st) != 0) return 0;
  return walk(dir, "", *out, err);
}

static int upload_file(struct orch_aws_client *c, const char *bucket, const char *dir, const char *rel,
                       struct orch_error *err) {
  char path[4096];
  struct orch_buf body = ORCH_BUF_INIT(FILE_MAX);
  if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path)
    return orch_error_setc(err, ORCH_ETOOBIG, rel, "path too long");
  FILE *f = fopen(path, "rb");
  if (!f) return orch_error_setc(err, ORCH_EIO, path, "cannot open a console file");
  char chunk[65536];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = orch_buf_append(&body, chunk, n);
  if (!rc && ferror(f)) rc = ORCH_EIO;
  fclose(f);
  if (rc) rc = orch_error_setc(err, rc, path, "cannot read a console file: %s", orch_error_str(rc));
  else rc = put(c, bucket, rel, body.data ? body.data : "", body.len, err);
  orch_buf_free(&body);
  return rc;
}

/* ---- the resource -------------------------------------------------------------------------------- */

static int invalidate(struct orch_aws_client *c, const struct props *p, const struct orch_lambda_cfn_request *r,
                      char *id, size_t idsz, struct orch_error *err) {
  json_t *in = json_pack("{s:s, s:{s:{s:i, s:[s]}, s:s}}", "DistributionId", p->distribution, "InvalidationBatch",
                         "Paths", "Quantity", 1, "Items", "/*", "CallerReference", r->request_id),
         *out = NULL;
  int rc = in ? orch_aws_call(c, "cloudfront", "CreateInvalidation", in, &out, NULL, err)
              : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (rc) orch_error_prefix(err, "invalidating CloudFront distribution %s", p->distribution);
  const char *got = json_string_value(json_object_get(json_object_get(out, "Invalidation"), "Id"));
  snprintf(id, idsz, "%s", got ? got : "");
  json_decref(in);
  json_decref(out);
  return rc;
}

static int console_deploy(const struct orch_lambda_env *env, enum orch_lambda_cfn_op op,
                          const struct orch_lambda_cfn_request *r, const struct orch_lambda_context *ctx, json_t *data,
                          struct orch_error *err) {
  (void)ctx;
  struct props p;
  struct orch_lambda_aws aws = {0};
  json_t *files = NULL, *config = NULL;
  struct orch_buf text = ORCH_BUF_INIT(0);
  char dir[4096], inv[128] = "";
  if (op == ORCH_LAMBDA_CFN_DELETE) return 0; /* the files go with the bucket (its clean-up empties it) */
  int rc = props_read(r->properties, &p, err);
  if (rc) return rc;
  const char *root = getenv("LAMBDA_TASK_ROOT");
  snprintf(dir, sizeof dir, "%s/web", root && *root ? root : ".");
  if ((rc = list_files(dir, &files, err)) || (rc = orch_lambda_aws_open(env, &aws, err))) goto out;
  if (!json_array_size(files))
    orch_log_warn("the package carries no built console (%s is empty or missing): only %s is deployed", dir, CONFIG_KEY);
  size_t i, uploaded = 1; /* and the configuration */
  json_t *f;
  json_array_foreach(files, i, f) {
    if (strcmp(json_string_value(f), CONFIG_KEY) == 0) continue; /* ours wins */
    if ((rc = upload_file(aws.client, p.bucket, dir, json_string_value(f), err))) goto out;
    uploaded++;
  }
  config = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "apiUrl", p.api_url, "userPoolId", p.pool,
                     "userPoolClientId", p.client, "cognitoDomain", p.domain, "scopes", p.scopes, "region", p.region,
                     "build", p.build ? p.build : "");
  if (!config || orch_json_dump(&text, config, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = put(aws.client, p.bucket, CONFIG_KEY, text.data, text.len, err)) ||
      (rc = invalidate(aws.client, &p, r, inv, sizeof inv, err)))
    goto out;
  if (json_object_set_new(data, "Files", json_integer((json_int_t)uploaded)) ||
      json_object_set_new(data, "InvalidationId", json_string(inv)))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  else
    orch_log_info("deployed the console to %s (%zu files with %s); invalidation %s of %s", p.bucket, uploaded,
                  CONFIG_KEY, inv, p.distribution);
out:
  orch_lambda_aws_close(&aws);
  orch_buf_free(&text);
  json_decref(config);
  json_decref(files);
  return rc;
}

const struct orch_lambda_cfn_resource orch_lambda_cfn_console = {
  .type = "Custom::ConsoleDeployment",
  .handle = console_deploy,
};
