/* Tests for orch_aws_creds: the cache (early refresh, fallback, one refresh at a time across threads),
 * environment and static sources, profiles from the fixture files (static keys, role_arn with
 * source_profile chains, credential_source, loops), web identity, the ECS container endpoint and
 * IMDSv2 against a loopback server that also plays STS (checking each AssumeRole's SigV4 signature),
 * per-target-account AssumeRole with ExternalId, and the default chain's order. */
#include <criterion/criterion.h>

#include "scratch_dir.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/orch_aws_creds.h"
#include "aws/orch_sigv4.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "loopback_http.h"

/* ---- environment ---- */

static char fixture_dir[1024], tmpdir[256];

static void clean_env(void) {
  orch_json_init();
  static const char *const vars[] = {
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
      "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
      "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_ENDPOINT_URL",
      "AWS_ENDPOINT_URL_STS", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
  const char *src = getenv("ORCH_SOURCE_DIR");
  cr_assert(src);
  snprintf(fixture_dir, sizeof fixture_dir, "%s/tests/unit/aws/fixtures", src);
  char path[1200];
  snprintf(path, sizeof path, "%s/config", fixture_dir);
  setenv("AWS_CONFIG_FILE", path, 1);
  snprintf(path, sizeof path, "%s/credentials", fixture_dir);
  setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
  scratch_dir_make(tmpdir, sizeof tmpdir, "/tmp", "creds");
  setenv("HOME", tmpdir, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* never wait on a real 169.254.169.254 */
}

static void remove_home(void) { scratch_dir_remove(tmpdir); }

TestSuite(aws_creds, .init = clean_env, .fini = remove_home);

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs(text, f);
  fclose(f);
}

static void expect_key(struct orch_aws_creds *p, const char *akid) {
  struct orch_aws_credentials c;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s %s", err.context, err.message);
  cr_expect_str_eq(c.access_key_id, akid);
}

/* ---- the cache ---- */

struct scripted_source {
  int fetches;
  int fail_from; /* fetches numbered >= this fail (0: never) */
  int64_t lifetime_ms;
  struct orch_vclock *vc;
  int delay_ms;
};

static int scripted_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct scripted_source *s = ctx;
  int n = __atomic_add_fetch(&s->fetches, 1, __ATOMIC_SEQ_CST);
  if (s->delay_ms) usleep((useconds_t)s->delay_ms * 1000);
  if (s->fail_from && n >= s->fail_from) return orch_error_set(err, ORCH_ECREDS, "source down");
  snprintf(out->access_key_id, sizeof out->access_key_id, "AKID%d", n);
  snprintf(out->secret_access_key, sizeof out->secret_access_key, "secret%d", n);
  out->expires_ms = s->lifetime_ms ? orch_clock_now_ms(orch_vclock_clock(s->vc)) + s->lifetime_ms : 0;
  return 0;
}

static const struct orch_aws_creds_ops scripted_ops = {.name = "scripted", .fetch = scripted_fetch};

Test(aws_creds, cache_refreshes_five_minutes_early) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(1000000000000LL, 0, &vc), 0);
  struct scripted_source src = {.lifetime_ms = 10 * 60000, .vc = vc};
  struct orch_aws_creds *p = NULL;
  cr_assert_eq(orch_aws_creds_new(&scripted_ops, &src, orch_vclock_clock(vc), &p), 0);
  expect_key(p, "AKID1");
  orch_vclock_advance(vc, 4 * 60000);
  expect_key(p, "AKID1");
  cr_expect_eq(src.fetches, 1, "cached while more than 5 minutes remain");
  orch_vclock_advance(vc, 2 * 60000);
  expect_key(p, "AKID2");
  cr_expect_eq(src.fetches, 2, "refreshed 4 minutes before expiry");
  orch_aws_creds_invalidate(p);
  expect_key(p, "AKID3");
  orch_aws_creds_free(p);
  orch_vclock_free(vc);
}

Test(aws_creds, failed_refresh_keeps_valid_credentials_until_expiry) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(1000000000000LL, 0, &vc), 0);
  struct scripted_source src = {.lifetime_ms = 10 * 60000, .vc = vc, .fail_from = 2};
  struct orch_aws_creds *p = NULL;
  cr_assert_eq(orch_aws_creds_new(&scripted_ops, &src, orch_vclock_clock(vc), &p), 0);
  expect_key(p, "AKID1");
  orch_vclock_advance(vc, 8 * 60000);
  expect_key(p, "AKID1"); /* refresh failed, old ones still valid */
  orch_vclock_advance(vc, 3 * 60000);
  struct orch_aws_credentials c;
  struct orch_error err = {0};
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS, "expired and the source is down");
  cr_expect(strstr(err.message, "source down"), "%s", err.message);
  orch_aws_creds_free(p);
  orch_vclock_free(vc);
}

static void *get_loop(void *arg) {
  struct orch_aws_credentials c;
  return (void *)(intptr_t)orch_aws_creds_get(arg, &c, NULL);
}

Test(aws_creds, one_refresh_at_a_time_across_threads) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(1000000000000LL, 0, &vc), 0);
  struct scripted_source src = {.vc = vc, .delay_ms = 100};
  struct orch_aws_creds *p = NULL;
  cr_assert_eq(orch_aws_creds_new(&scripted_ops, &src, orch_vclock_clock(vc), &p), 0);
  pthread_t t[8];
  for (int i = 0; i < 8; i++) cr_assert_eq(pthread_create(&t[i], NULL, get_loop, p), 0);
  for (int i = 0; i < 8; i++) {
    void *r;
    pthread_join(t[i], &r);
    cr_expect_eq((intptr_t)r, 0);
  }
  cr_expect_eq(src.fetches, 1, "eight callers, one fetch");
  orch_aws_creds_free(p);
  orch_vclock_free(vc);
}

/* ---- environment and static ---- */

Test(aws_creds, environment_source) {
  struct orch_aws_creds *p = NULL;
  cr_assert_eq(orch_aws_creds_env(NULL, &p), 0);
  struct orch_aws_credentials c;
  struct orch_error err = {0};
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS, "a key id without a secret");
  cr_expect(strstr(err.message, "together"), "%s", err.message);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  setenv("AWS_SESSION_TOKEN", "tokenenv", 1);
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(c.access_key_id, "AKIDENV");
  cr_expect_str_eq(c.session_token, "tokenenv");
  cr_expect_eq(c.expires_ms, 0);
  orch_aws_creds_free(p);
  cr_expect_eq(orch_aws_creds_static("", "x", NULL, &p), ORCH_EINVAL);
}

/* ---- profiles: static keys ---- */

static struct orch_aws_creds *profile_provider(const char *name) {
  struct orch_aws_creds_options o = {.profile = name};
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_profile(&o, &p, &err), 0, "%s", err.message);
  return p;
}

Test(aws_creds, profile_static_keys) {
  struct orch_aws_creds *p = profile_provider(NULL);
  expect_key(p, "AKIDDEFAULT");
  orch_aws_creds_free(p);
  setenv("AWS_PROFILE", "dev", 1);
  p = profile_provider(NULL);
  expect_key(p, "AKIDDEV");
  orch_aws_creds_free(p);
  p = profile_provider("config-static");
  expect_key(p, "AKIDCONFIG");
  orch_aws_creds_free(p);
  p = profile_provider("base");
  struct orch_aws_credentials c;
  cr_assert_eq(orch_aws_creds_get(p, &c, NULL), 0);
  cr_expect_str_eq(c.session_token, "tokenbase");
  cr_expect(strstr(c.source, "profile base"), "%s", c.source);
  orch_aws_creds_free(p);
}

Test(aws_creds, profile_errors) {
  struct orch_aws_credentials c;
  struct orch_error err = {0};
  struct orch_aws_creds *p = profile_provider("nosuch");
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.message, "'nosuch' is not in"), "%s", err.message);
  orch_aws_creds_free(p);
  p = profile_provider("loop1");
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.message, "loop"), "%s", err.message);
  orch_aws_creds_free(p);
  p = profile_provider("bad-source");
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.message, "Nonsense"), "%s", err.message);
  orch_aws_creds_free(p);
  p = profile_provider("empty");
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS, "a profile without credentials");
  orch_aws_creds_free(p);
}

/* ---- a loopback server playing STS, ECS and IMDS ---- */

struct fake_aws {
  pthread_mutex_t mu;
  int sts_calls, ecs_calls, imds_calls;
  char last_sts_body[4096];
  char last_auth_akid[128];
  char last_ecs_auth[256];
  char imds_token_seen[128];
  int sig_failures;
  bool imds_v1_only;
};

static int fake_keyring(void *ctx, const char *akid, struct orch_buf *secret, struct orch_buf *token) {
  (void)ctx;
  static const char *const keys[][3] = {{"AKIDBASE", "secretbase", "tokenbase"}, {"AKIDSELF", "secretself", NULL},
                                        {"AKIDENV", "secretenv", NULL},          {"ASIA1", "secret1", "token1"},
                                        {"ASIA2", "secret2", "token2"},          {"ASIAECS", "secretecs", "tokenecs"},
                                        {"ASIAIMDS", "secretimds", "tokenimds"}, {"AKIDTARGETBASE", "tb", NULL}};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strcmp(akid, keys[i][0]) == 0) {
      int rc = orch_buf_puts(secret, keys[i][1]);
      if (!rc && keys[i][2]) rc = orch_buf_puts(token, keys[i][2]);
      return rc;
    }
  return ORCH_ENOTFOUND;
}

/* The loopback request as an orch_http_request, to run the SigV4 verifier on it. */
static int verify_sig(const struct lb_request *lr, char *akid_out, size_t akid_sz) {
  struct orch_http_request req = {0};
  if (snprintf(req.method, sizeof req.method, "%s", lr->method) >= (int)sizeof req.method) return ORCH_EINVAL;
  char target[2048];
  snprintf(target, sizeof target, "%s", lr->target);
  char *q = strchr(target, '?');
  if (q) *q++ = '\0';
  int rc = orch_http_request_set_target(&req, target, q ? q : "");
  for (const char *p = lr->headers; !rc && *p;) {
    const char *e = strstr(p, "\r\n");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    const char *colon = memchr(p, ':', len);
    if (colon) {
      char name[256], value[4096];
      snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
      const char *v = colon + 1;
      while (*v == ' ') v++;
      snprintf(value, sizeof value, "%.*s", (int)(len - (size_t)(v - p)), v);
      rc = orch_http_headers_add(&req.headers, name, value);
    }
    p += len + (e ? 2 : 0);
  }
  if (!rc && lr->body_len) rc = orch_buf_append(&req.body, lr->body, lr->body_len);
  struct orch_sigv4_verify_params vp = {.lookup = fake_keyring, .now_ms = orch_clock_now_ms(orch_clock_real())};
  struct orch_sigv4_verified v;
  if (!rc) rc = orch_sigv4_verify(&req, &vp, &v, NULL);
  if (!rc) snprintf(akid_out, akid_sz, "%s", v.access_key_id);
  orch_http_request_free(&req);
  return rc;
}

static void sts_reply(struct fake_aws *f, const struct lb_request *req, struct lb_response *resp) {
  f->sts_calls++;
  snprintf(f->last_sts_body, sizeof f->last_sts_body, "%.*s", (int)req->body_len, req->body);
  bool webid = strstr(f->last_sts_body, "Action=AssumeRoleWithWebIdentity") != NULL;
  char auth[8];
  if (webid) {
    if (lb_header(req, "Authorization", auth, sizeof auth)) f->sig_failures++; /* must be unsigned */
    snprintf(f->last_auth_akid, sizeof f->last_auth_akid, "(unsigned)");
  } else if (verify_sig(req, f->last_auth_akid, sizeof f->last_auth_akid)) {
    f->sig_failures++;
    resp->status = 403;
    snprintf(resp->headers, sizeof resp->headers, "Content-Type: text/xml\r\n");
    snprintf(resp->body, sizeof resp->body,
             "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad</Message>"
             "</Error><RequestId>x</RequestId></ErrorResponse>");
    return;
  }
  const char *op = webid ? "AssumeRoleWithWebIdentity" : "AssumeRole";
  snprintf(resp->headers, sizeof resp->headers, "Content-Type: text/xml\r\n");
  snprintf(resp->body, sizeof resp->body,
           "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><%sResult><Credentials>"
           "<AccessKeyId>ASIA%d</AccessKeyId><SecretAccessKey>secret%d</SecretAccessKey>"
           "<SessionToken>token%d</SessionToken><Expiration>2035-01-01T00:00:00Z</Expiration></Credentials>"
           "<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>arn:aws:sts::1:assumed-role/r/x</Arn>"
           "</AssumedRoleUser></%sResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></%sResponse>",
           op, op, f->sts_calls, f->sts_calls, f->sts_calls, op, op);
}

static const char creds_json[] =
    "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\","
    "\"Token\":\"%s\",\"Expiration\":\"2035-01-01T00:00:00Z\"}";

static void fake_handler(void *ctx, const struct lb_request *req, struct lb_response *resp) {
  struct fake_aws *f = ctx;
  pthread_mutex_lock(&f->mu);
  if (strcmp(req->target, "/") == 0 && strcmp(req->method, "POST") == 0) {
    sts_reply(f, req, resp);
  } else if (strncmp(req->target, "/v2/credentials/", 16) == 0 || strcmp(req->target, "/full/creds") == 0) {
    f->ecs_calls++;
    f->last_ecs_auth[0] = '\0';
    lb_header(req, "Authorization", f->last_ecs_auth, sizeof f->last_ecs_auth);
    snprintf(resp->body, sizeof resp->body, creds_json, "ASIAECS", "secretecs", "tokenecs");
  } else if (strcmp(req->target, "/latest/api/token") == 0) {
    f->imds_calls++;
    char ttl[32];
    if (f->imds_v1_only) resp->status = 405;
    else if (strcmp(req->method, "PUT") != 0 || !lb_header(req, "X-aws-ec2-metadata-token-ttl-seconds", ttl, sizeof ttl))
      resp->status = 400;
    else snprintf(resp->body, sizeof resp->body, "IMDSTOKEN");
  } else if (strncmp(req->target, "/latest/meta-data/iam/security-credentials/", 43) == 0) {
    f->imds_calls++;
    f->imds_token_seen[0] = '\0';
    lb_header(req, "X-aws-ec2-metadata-token", f->imds_token_seen, sizeof f->imds_token_seen);
    if (!f->imds_v1_only && strcmp(f->imds_token_seen, "IMDSTOKEN") != 0) resp->status = 401;
    else if (req->target[43] == '\0') snprintf(resp->body, sizeof resp->body, "drs-role\n");
    else if (strcmp(req->target + 43, "drs-role") == 0)
      snprintf(resp->body, sizeof resp->body, creds_json, "ASIAIMDS", "secretimds", "tokenimds");
    else resp->status = 404;
  } else {
    resp->status = 404;
  }
  pthread_mutex_unlock(&f->mu);
}

static struct fake_aws fa;
static struct lb_server *srv;
static char srv_url[64], srv_host[64];

static struct orch_aws_creds_options loopback_options(const char *profile) {
  return (struct orch_aws_creds_options){.profile = profile, .endpoint_url = srv_url, .ecs_host = srv_host,
                                         .imds_endpoint = srv_url, .region = "us-east-1"};
}

static void start_fake(void) {
  clean_env();
  memset(&fa, 0, sizeof fa);
  pthread_mutex_init(&fa.mu, NULL);
  srv = lb_start(fake_handler, &fa);
  cr_assert(srv);
  lb_url(srv, srv_url, sizeof srv_url);
  snprintf(srv_host, sizeof srv_host, "127.0.0.1:%d", srv->port);
}

static void stop_fake(void) {
  lb_stop(srv);
  remove_home();
}

TestSuite(aws_creds_net, .init = start_fake, .fini = stop_fake);

static struct orch_aws_creds *net_profile(const char *name) {
  struct orch_aws_creds_options o = loopback_options(name);
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_profile(&o, &p, &err), 0, "%s", err.message);
  return p;
}

Test(aws_creds_net, profile_role_arn_with_source_profile) {
  struct orch_aws_creds *p = net_profile("assume");
  struct orch_aws_credentials c;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(c.access_key_id, "ASIA1");
  cr_expect_str_eq(c.session_token, "token1");
  cr_expect_gt(c.expires_ms, 0);
  cr_expect_eq(fa.sig_failures, 0);
  cr_expect_str_eq(fa.last_auth_akid, "AKIDBASE", "signed with the source profile's keys");
  cr_expect(strstr(fa.last_sts_body, "Action=AssumeRole&"), "%s", fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FDrsOrchestrator"), "%s",
            fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "ExternalId=ext-123"), "%s", fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "RoleSessionName=drill"), "%s", fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "DurationSeconds=1800"), "%s", fa.last_sts_body);
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0);
  cr_expect_eq(fa.sts_calls, 1, "cached until near expiry");
  orch_aws_creds_free(p);
}

Test(aws_creds_net, chained_roles_use_the_previous_role) {
  struct orch_aws_creds *p = net_profile("chained");
  expect_key(p, "ASIA2");
  cr_expect_eq(fa.sts_calls, 2);
  cr_expect_str_eq(fa.last_auth_akid, "ASIA1", "the second AssumeRole is signed with the first role's keys");
  cr_expect(strstr(fa.last_sts_body, "role%2FTarget"), "%s", fa.last_sts_body);
  cr_expect_eq(fa.sig_failures, 0);
  orch_aws_creds_free(p);
}

Test(aws_creds_net, self_sourced_and_environment_sourced_roles) {
  struct orch_aws_creds *p = net_profile("self-source");
  expect_key(p, "ASIA1");
  cr_expect_str_eq(fa.last_auth_akid, "AKIDSELF");
  orch_aws_creds_free(p);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  p = net_profile("from-env");
  expect_key(p, "ASIA2");
  cr_expect_str_eq(fa.last_auth_akid, "AKIDENV");
  orch_aws_creds_free(p);
  cr_expect_eq(fa.sig_failures, 0);
}

Test(aws_creds_net, container_and_instance_sourced_roles) {
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
  struct orch_aws_creds *p = net_profile("from-ecs");
  expect_key(p, "ASIA1");
  cr_expect_str_eq(fa.last_auth_akid, "ASIAECS");
  orch_aws_creds_free(p);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  p = net_profile("from-imds");
  expect_key(p, "ASIA2");
  cr_expect_str_eq(fa.last_auth_akid, "ASIAIMDS");
  orch_aws_creds_free(p);
  cr_expect_eq(fa.sig_failures, 0);
}

Test(aws_creds_net, web_identity_from_environment_and_profile) {
  char token_path[512];
  snprintf(token_path, sizeof token_path, "%s/token", tmpdir);
  write_file(token_path, "eyJhbGciOiJSUzI1NiJ9.payload.sig\n");
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_path, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/Irsa", 1);
  setenv("AWS_ROLE_SESSION_NAME", "pod-1", 1);
  setenv("AWS_PROFILE", "empty", 1);
  struct orch_aws_creds_options o = loopback_options(NULL);
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0, "%s", err.message);
  struct orch_aws_credentials c;
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(c.access_key_id, "ASIA1");
  cr_expect(strstr(fa.last_sts_body, "Action=AssumeRoleWithWebIdentity"), "%s", fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.payload.sig&") ||
                strstr(fa.last_sts_body, "WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.payload.sig"),
            "token read and trimmed: %s", fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "RoleSessionName=pod-1"), "%s", fa.last_sts_body);
  cr_expect_str_eq(fa.last_auth_akid, "(unsigned)");
  cr_expect_eq(fa.sig_failures, 0, "AssumeRoleWithWebIdentity carries no signature");
  orch_aws_creds_free(p);
}

Test(aws_creds_net, ecs_relative_and_full_uri_with_authorization) {
  char tok[512];
  snprintf(tok, sizeof tok, "%s/ecs-token", tmpdir);
  write_file(tok, "file-token\n");
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token", 1);
  struct orch_aws_creds_options o = loopback_options(NULL);
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_ecs(&o, &p, &err), 0);
  struct orch_aws_credentials c;
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(c.access_key_id, "ASIAECS");
  cr_expect_str_eq(c.session_token, "tokenecs");
  cr_expect_str_eq(fa.last_ecs_auth, "file-token", "the token file wins over the variable");
  orch_aws_creds_free(p);

  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  char full[128];
  snprintf(full, sizeof full, "http://127.0.0.1:%d/full/creds", srv->port);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full, 1);
  cr_assert_eq(orch_aws_creds_ecs(&o, &p, &err), 0);
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(fa.last_ecs_auth, "env-token");
  cr_expect_eq(fa.ecs_calls, 2);
  orch_aws_creds_free(p);

  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.example.com/creds", 1);
  cr_assert_eq(orch_aws_creds_ecs(&o, &p, &err), 0);
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS, "plain http only to loopback or the agents");
  cr_expect(strstr(err.message, "loopback"), "%s", err.message);
  orch_aws_creds_free(p);
}

Test(aws_creds_net, imds_v2_token_role_and_credentials) {
  unsetenv("AWS_EC2_METADATA_DISABLED");
  struct orch_aws_creds_options o = loopback_options(NULL);
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_imds(&o, &p, &err), 0);
  struct orch_aws_credentials c;
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(c.access_key_id, "ASIAIMDS");
  cr_expect_str_eq(fa.imds_token_seen, "IMDSTOKEN", "the session token accompanies each GET");
  cr_expect_eq(fa.imds_calls, 3);
  cr_expect_eq(c.expires_ms, 2051222400000LL);
  orch_aws_creds_free(p);

  /* The endpoint from the environment when the options name none; IMDSv1 fallback. */
  fa.imds_v1_only = true;
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv_url, 1);
  o.imds_endpoint = NULL;
  cr_assert_eq(orch_aws_creds_imds(&o, &p, &err), 0);
  cr_assert_eq(orch_aws_creds_get(p, &c, &err), 0, "%s", err.message);
  cr_expect_str_eq(c.access_key_id, "ASIAIMDS");
  orch_aws_creds_free(p);

  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  cr_assert_eq(orch_aws_creds_imds(&o, &p, &err), 0);
  int before = fa.imds_calls;
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS);
  cr_expect_eq(fa.imds_calls, before, "disabled: nothing is sent");
  orch_aws_creds_free(p);
}

Test(aws_creds_net, per_target_account_assume_role_with_external_id) {
  struct orch_aws_creds *base = NULL;
  cr_assert_eq(orch_aws_creds_static("AKIDTARGETBASE", "tb", NULL, &base), 0);
  struct orch_aws_creds_options o = loopback_options(NULL);
  struct orch_aws_assume_role role = {.role_arn = "arn:aws:iam::999988887777:role/DrsTarget",
                                      .external_id = "plan-orders", .session_name = "exec-42"};
  struct orch_aws_creds *target = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_assume_role(base, false, &role, &o, &target, &err), 0, "%s", err.message);
  expect_key(target, "ASIA1");
  cr_expect_str_eq(fa.last_auth_akid, "AKIDTARGETBASE");
  cr_expect(strstr(fa.last_sts_body, "ExternalId=plan-orders"), "%s", fa.last_sts_body);
  cr_expect(strstr(fa.last_sts_body, "role%2FDrsTarget"), "%s", fa.last_sts_body);
  orch_aws_creds_free(target);
  expect_key(base, "AKIDTARGETBASE"); /* borrowed: still alive */
  orch_aws_creds_free(base);
  role.role_arn = "not-an-arn";
  cr_expect_eq(orch_aws_creds_assume_role(NULL, false, &role, &o, &target, &err), ORCH_EINVAL);
}

Test(aws_creds_net, sts_rejection_is_ecreds) {
  struct orch_aws_creds *base = NULL;
  cr_assert_eq(orch_aws_creds_static("AKIDUNKNOWN", "nope", NULL, &base), 0);
  struct orch_aws_creds_options o = loopback_options(NULL);
  struct orch_aws_assume_role role = {.role_arn = "arn:aws:iam::1:role/x"};
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_assume_role(base, true, &role, &o, &p, &err), 0);
  struct orch_aws_credentials c;
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS);
  cr_expect(strstr(err.message, "SignatureDoesNotMatch") && strstr(err.message, "arn:aws:iam::1:role/x"), "%s",
            err.message);
  orch_aws_creds_free(p);
}

/* ---- the chain ---- */

Test(aws_creds_net, chain_order) {
  struct orch_aws_creds_options o = loopback_options(NULL);
  struct orch_aws_creds *p = NULL;
  struct orch_error err = {0};
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  expect_key(p, "AKIDENV");
  orch_aws_creds_free(p);

  o.profile = "dev"; /* an explicit profile skips the environment */
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  expect_key(p, "AKIDDEV");
  orch_aws_creds_free(p);

  o.profile = "assume"; /* role profiles come before web identity and static keys */
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  expect_key(p, "ASIA1");
  orch_aws_creds_free(p);

  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  o.profile = NULL;
  setenv("AWS_PROFILE", "empty", 1);
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  expect_key(p, "ASIAECS");
  orch_aws_creds_free(p);

  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  unsetenv("AWS_EC2_METADATA_DISABLED");
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  expect_key(p, "ASIAIMDS");
  orch_aws_creds_free(p);

  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  struct orch_aws_credentials c;
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECREDS);
  cr_expect(strstr(err.message, "no AWS credentials found") && strstr(err.message, "environment") &&
                strstr(err.message, "ec2-instance-metadata"),
            "%s", err.message);
  orch_aws_creds_free(p);

  o.profile = "loop1"; /* a broken profile stops the chain with its own error */
  cr_assert_eq(orch_aws_creds_chain(&o, &p, &err), 0);
  cr_expect_eq(orch_aws_creds_get(p, &c, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.message, "loop"), "%s", err.message);
  orch_aws_creds_free(p);
}
