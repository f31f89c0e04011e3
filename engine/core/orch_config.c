/* orch_config: the settings table, typed validation, and the file/env/flag layers.
 * Uses orch_str (nearest-name suggestions), orch_time (durations), orch_alloc, jansson. */
#include "core/orch_config.h"

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_opset.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

/* The one table of settings. Keep docs/configuration.md in step (a test checks every name is there). */
static const struct orch_config_setting settings[] = {
  {"server.listen", ORCH_CFG_ADDR, "127.0.0.1:8080", "address and port the REST API and console listen on (port 0 picks a free one)", NULL, 0, 0},
  {"server.threads", ORCH_CFG_INT, "8", "HTTP worker threads; each open event stream holds one", NULL, 1, 2048},
  {"server.request_timeout", ORCH_CFG_DURATION, "30s", "time allowed to read a request and write its response", NULL, 0, 0},
  {"server.max_body", ORCH_CFG_INT, "2097152", "largest request body in bytes (a plan's Lua source may be 1 MiB); larger is 413", NULL, 1024, 67108864},
  {"server.web_dir", ORCH_CFG_STRING, "", "the built operator console to serve at / (web/dist); empty: the source tree's web/dist, then <prefix>/share/drsorch/web", NULL, 0, 0},
  {"server.tls_cert", ORCH_CFG_STRING, "", "PEM certificate chain for HTTPS (with server.tls_key); empty: plain HTTP", NULL, 0, 0},
  {"server.tls_key", ORCH_CFG_STRING, "", "PEM private key for server.tls_cert", NULL, 0, 0},
  {"server.cors_origins", ORCH_CFG_STRING, "", "comma-separated origins allowed to call the API from a browser (https://console.example.com); empty: none", NULL, 0, 0},
  {"server.rate_limit", ORCH_CFG_INT, "100", "requests per second per client address (bursts of twice that); 0: no limit", NULL, 0, 1000000},
  {"server.token_rate_limit", ORCH_CFG_INT, "50", "requests per second per credential (token, session, Cognito user; bursts of twice that); 0: no limit", NULL, 0, 1000000},
  {"server.sse_heartbeat", ORCH_CFG_DURATION, "15s", "how often an idle event stream sends a heartbeat comment", NULL, 0, 0},
  {"server.sse_lag", ORCH_CFG_INT, "1024", "events an event-stream subscriber may fall behind before it is dropped (it reconnects from its last id)", NULL, 16, 1000000},
  {"auth.session_ttl", ORCH_CFG_DURATION, "12h", "how long a console session lasts after signing in", NULL, 0, 0},
  {"auth.cognito_issuer", ORCH_CFG_STRING, "", "Cognito user pool issuer (https://cognito-idp.<region>.amazonaws.com/<pool id>); empty: Cognito JWTs are not accepted", NULL, 0, 0},
  {"auth.cognito_client_ids", ORCH_CFG_STRING, "", "comma-separated app client ids whose tokens are accepted (aud of id tokens, client_id of access tokens)", NULL, 0, 0},
  {"auth.cognito_token_use", ORCH_CFG_ENUM, "access", "which Cognito tokens are accepted", "id|access", 0, 0},
  {"auth.cognito_jwks_url", ORCH_CFG_STRING, "", "where the pool's signing keys are; empty: <issuer>/.well-known/jwks.json", NULL, 0, 0},
  {"auth.cognito_groups", ORCH_CFG_STRING, "", "cognito:groups to roles, GROUP=ROLE, comma-separated (dr-admins=Admin,dr-ops=Operator)", NULL, 0, 0},
  {"auth.cognito_domain", ORCH_CFG_STRING, "", "Cognito Hosted UI domain for console sign-in (https://<prefix>.auth.<region>.amazoncognito.com), with auth.cognito_issuer; empty: the console offers no Cognito sign-in", NULL, 0, 0},
  {"auth.cognito_scopes", ORCH_CFG_STRING, "openid", "OAuth scopes the console asks the Hosted UI for (space-separated)", NULL, 0, 0},
  {"auth.jwt_leeway", ORCH_CFG_DURATION, "30s", "clock difference allowed when checking a JWT's exp and nbf", NULL, 0, 0},
  {"storage.data_dir", ORCH_CFG_STRING, "var", "directory for the engine's database and state; created if missing, must be writable", NULL, 0, 0},
  {"log.level", ORCH_CFG_ENUM, "info", "least severe level written", "debug|info|warn|error", 0, 0},
  {"log.format", ORCH_CFG_ENUM, "text", "log line format: human text or JSON lines", "text|json", 0, 0},
  {"aws.region", ORCH_CFG_STRING, "", "default AWS region when a plan or profile names none (empty: AWS_REGION, then the profile)", NULL, 0, 0},
  {"aws.profile", ORCH_CFG_STRING, "", "shared-config profile for credentials (empty: AWS_PROFILE, then 'default')", NULL, 0, 0},
  {"aws.endpoint_url", ORCH_CFG_STRING, "", "send every AWS call to this endpoint instead of AWS's (the simulator, a proxy)", NULL, 0, 0},
  {"aws.account", ORCH_CFG_STRING, "", "home AWS account id (12 digits) for plans and groups that name none; empty: learn it with sts:GetCallerIdentity", NULL, 0, 0},
  {"aws.role_name", ORCH_CFG_STRING, "DRSOrchestratorCrossAccount", "IAM role assumed in every other account (arn:<partition>:iam::<account>:role/<name>)", NULL, 0, 0},
  {"aws.external_id", ORCH_CFG_STRING, "", "ExternalId passed when assuming the cross-account role (empty: none)", NULL, 0, 0},
  {"scheduler.poll_interval", ORCH_CFG_DURATION, "5s", "how often the scheduler polls DRS (one DescribeJobs per account and region) for launch progress", NULL, 0, 0},
  {"plans.aws_allow_ceiling", ORCH_CFG_OPLIST, ORCH_OPSET_DEFAULT_CEILING, "the AWS operations a plan's aws_allow may name and its hooks may call with w:aws; a plan asking for more is refused", NULL, 0, 0},
  {"lambda.store", ORCH_CFG_STRING, "", "the store of the Lambda functions (sqlite:PATH or dynamodb:PREFIX); empty: they handle no Step Functions tasks or API events", NULL, 0, 0},
  {"lambda.state_machine_arn", ORCH_CFG_STRING, "", "the state machine the Lambda API starts an execution with (StartExecution); empty: starting is refused", NULL, 0, 0},
  {"exec.keep_for", ORCH_CFG_DURATION, "0s", "how long a drill keeps its recovery instances after it ends before clean-up terminates them", NULL, 0, 0},
  {NULL, ORCH_CFG_STRING, NULL, NULL, NULL, 0, 0},
};
#define NSETTINGS (sizeof settings / sizeof settings[0] - 1)

struct cfg_value {
  char *value;
  enum orch_config_source src;
  char origin[128];
};

struct orch_config {
  struct cfg_value v[NSETTINGS];
};

static const char *const source_names[] = {"default", "file", "env", "flag"};

const struct orch_config_setting *orch_config_settings(size_t *count) {
  if (count) *count = NSETTINGS;
  return settings;
}

static long setting_index(const char *name) {
  for (size_t i = 0; i < NSETTINGS; i++)
    if (strcmp(settings[i].name, name) == 0) return (long)i;
  return -1;
}

static int unknown_setting(const char *name, const char *context, struct orch_error *err) {
  const char *names[NSETTINGS + 1];
  for (size_t i = 0; i <= NSETTINGS; i++) names[i] = settings[i].name;
  const char *near = orch_str_nearest(name, names);
  if (near) return orch_error_setc(err, ORCH_EUNKNOWNKEY, context, "unknown setting '%s'; did you mean '%s'?", name, near);
  return orch_error_setc(err, ORCH_EUNKNOWNKEY, context, "unknown setting '%s' (see 'drsorch config show')", name);
}

static int parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < 4; i++) {
    if (orch_str_iequal(s, yes[i])) return *out = true, 0;
    if (orch_str_iequal(s, no[i])) return *out = false, 0;
  }
  return ORCH_EPARSE;
}

static bool enum_has(const char *choices, const char *value) {
  size_t n = strlen(value);
  for (const char *p = choices; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, value, n) == 0) return true;
    if (!bar) break;
    p = bar + 1;
  }
  return false;
}

static int check_addr(const char *value) {
  const char *colon = strrchr(value, ':');
  if (!colon || colon == value) return ORCH_EPARSE;
  long long port;
  if (orch_str_to_ll(colon + 1, 0, 65535, &port)) return ORCH_ERANGE;
  return 0;
}

/* Check `value` against the setting's type; the message names the setting and what was expected. */
static int validate(const struct orch_config_setting *s, const char *value, const char *context,
                    struct orch_error *err) {
  long long n;
  bool b;
  int64_t ms;
  struct orch_error derr;
  switch (s->type) {
    case ORCH_CFG_STRING: return 0;
    case ORCH_CFG_INT:
      if (orch_str_to_ll(value, s->min, s->max, &n))
        return orch_error_setc(err, ORCH_ECONFIG, context, "%s: expected an integer from %lld to %lld, got '%s'",
                               s->name, s->min, s->max, value);
      return 0;
    case ORCH_CFG_BOOL:
      if (parse_bool(value, &b))
        return orch_error_setc(err, ORCH_ECONFIG, context, "%s: expected true or false, got '%s'", s->name, value);
      return 0;
    case ORCH_CFG_DURATION:
      if (orch_duration_parse(value, &ms, &derr))
        return orch_error_setc(err, ORCH_ECONFIG, context, "%s: %s", s->name, derr.message);
      return 0;
    case ORCH_CFG_ENUM:
      if (!enum_has(s->choices, value))
        return orch_error_setc(err, ORCH_ECONFIG, context, "%s: expected one of %s, got '%s'", s->name, s->choices, value);
      return 0;
    case ORCH_CFG_ADDR:
      if (check_addr(value))
        return orch_error_setc(err, ORCH_ECONFIG, context, "%s: expected HOST:PORT with a port from 0 to 65535, got '%s'",
                               s->name, value);
      return 0;
    case ORCH_CFG_OPLIST: {
      struct orch_opset *set = NULL;
      if (!*value) return 0; /* empty: the default */
      int rc = orch_opset_parse(value, true, &set, &derr);
      orch_opset_free(set);
      if (rc) return orch_error_setc(err, rc == ORCH_ENOMEM ? ORCH_ENOMEM : ORCH_ECONFIG, context, "%s: %s", s->name, derr.message);
      return 0;
    }
  }
  return 0;
}

int orch_config_new(struct orch_config **out) {
  struct orch_config *cfg = orch_calloc(1, sizeof *cfg);
  if (!cfg) return ORCH_ENOMEM;
  for (size_t i = 0; i < NSETTINGS; i++) {
    cfg->v[i].value = orch_strdup(settings[i].def);
    if (!cfg->v[i].value) {
      orch_config_free(cfg);
      return ORCH_ENOMEM;
    }
    cfg->v[i].src = ORCH_CFG_SRC_DEFAULT;
  }
  *out = cfg;
  return 0;
}

void orch_config_free(struct orch_config *cfg) {
  if (!cfg) return;
  for (size_t i = 0; i < NSETTINGS; i++) orch_free(cfg->v[i].value);
  orch_free(cfg);
}

int orch_config_set(struct orch_config *cfg, const char *name, const char *value,
                    enum orch_config_source src, const char *origin, struct orch_error *err) {
  long i = setting_index(name);
  if (i < 0) return unknown_setting(name, origin, err);
  int rc = validate(&settings[i], value, origin, err);
  if (rc) return rc;
  char *copy = orch_strdup(value);
  if (!copy) return orch_error_setc(err, ORCH_ENOMEM, origin, "out of memory");
  orch_free(cfg->v[i].value);
  cfg->v[i].value = copy;
  cfg->v[i].src = src;
  snprintf(cfg->v[i].origin, sizeof cfg->v[i].origin, "%s", origin ? origin : "");
  return 0;
}

int orch_config_set_pair(struct orch_config *cfg, const char *pair, const char *origin,
                         struct orch_error *err) {
  const char *eq = strchr(pair, '=');
  if (!eq || eq == pair)
    return orch_error_setc(err, ORCH_ECONFIG, origin, "expected KEY=VALUE, got '%s'", pair);
  char name[128];
  if ((size_t)(eq - pair) >= sizeof name) return unknown_setting(pair, origin, err);
  memcpy(name, pair, (size_t)(eq - pair));
  name[eq - pair] = '\0';
  return orch_config_set(cfg, name, eq + 1, ORCH_CFG_SRC_FLAG, origin, err);
}

/* Parse one value from a file line: a "quoted string" with \" and \\ escapes, or a bare word up to a
 * comment. Writes into out (outsz). */
static int parse_value(const char *p, char *out, size_t outsz, const char **why) {
  size_t n = 0;
  if (*p == '"') {
    for (p++; *p && *p != '"'; p++) {
      if (*p == '\\') {
        p++;
        if (*p != '"' && *p != '\\') return *why = "unknown escape in quoted value (only \\\" and \\\\)", ORCH_EPARSE;
      }
      if (n + 1 >= outsz) return *why = "value too long", ORCH_ETOOBIG;
      out[n++] = *p;
    }
    if (*p != '"') return *why = "unterminated quoted value", ORCH_EPARSE;
    p++;
    while (*p == ' ' || *p == '\t') p++;
    if (*p && *p != '#') return *why = "unexpected text after quoted value", ORCH_EPARSE;
  } else {
    const char *end = strchr(p, '#');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    if (len + 1 > outsz) return *why = "value too long", ORCH_ETOOBIG;
    memcpy(out, p, len);
    n = len;
  }
  out[n] = '\0';
  return 0;
}

int orch_config_load_file(struct orch_config *cfg, const char *path, struct orch_error *err) {
  int rc = 0;
  FILE *f = fopen(path, "r");
  if (!f) return orch_error_setc(err, ORCH_EIO, path, "cannot open config file: %s", strerror(errno));
  char line[4096], section[64] = "", context[ORCH_ERROR_CONTEXT_MAX];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    snprintf(context, sizeof context, "%s:%d", path, lineno);
    if (!strchr(line, '\n') && !feof(f)) {
      rc = orch_error_setc(err, ORCH_ECONFIG, context, "line longer than %zu bytes", sizeof line - 2);
      goto out;
    }
    char *s = orch_str_trim_inplace(line);
    if (!*s || *s == '#' || *s == ';') continue;
    if (*s == '[') {
      char *close = strchr(s, ']');
      if (!close || close == s + 1 || (size_t)(close - s - 1) >= sizeof section) {
        rc = orch_error_setc(err, ORCH_ECONFIG, context, "malformed section header (expected [name])");
        goto out;
      }
      *close = '\0';
      snprintf(section, sizeof section, "%s", s + 1);
      orch_str_trim_inplace(section);
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq) {
      rc = orch_error_setc(err, ORCH_ECONFIG, context, "expected 'key = value', got '%s'", s);
      goto out;
    }
    *eq = '\0';
    char *key = orch_str_trim_inplace(s);
    char *rest = eq + 1;
    while (*rest == ' ' || *rest == '\t') rest++;
    char value[2048], name[192];
    const char *why = NULL;
    if (parse_value(rest, value, sizeof value, &why)) {
      rc = orch_error_setc(err, ORCH_ECONFIG, context, "%s", why);
      goto out;
    }
    if (!*key) {
      rc = orch_error_setc(err, ORCH_ECONFIG, context, "missing key before '='");
      goto out;
    }
    if (section[0])
      snprintf(name, sizeof name, "%s.%s", section, key);
    else
      snprintf(name, sizeof name, "%s", key);
    rc = orch_config_set(cfg, name, value, ORCH_CFG_SRC_FILE, context, err);
    if (rc) goto out;
  }
  if (ferror(f)) rc = orch_error_setc(err, ORCH_EIO, path, "read error: %s", strerror(errno));
out:
  fclose(f);
  return rc;
}

/* "server.listen" -> "DRSORCH_SERVER_LISTEN" */
static void env_name(char *out, size_t outsz, const char *name) {
  size_t n = (size_t)snprintf(out, outsz, "DRSORCH_");
  for (const char *p = name; *p && n + 1 < outsz; p++) out[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
  out[n] = '\0';
}

/* DRSORCH_* names that are not settings: the config file, and `drsorch ctl`'s server and token. */
static const char *const reserved_env[] = {"DRSORCH_CONFIG", "DRSORCH_URL", "DRSORCH_TOKEN"};

static bool reserved(const char *kv, size_t klen) {
  for (size_t i = 0; i < sizeof reserved_env / sizeof reserved_env[0]; i++)
    if (klen == strlen(reserved_env[i]) && strncmp(kv, reserved_env[i], klen) == 0) return true;
  return false;
}

int orch_config_load_env(struct orch_config *cfg, char *const *envp, struct orch_error *err) {
  for (size_t e = 0; envp && envp[e]; e++) {
    const char *kv = envp[e];
    if (!orch_str_starts_with(kv, "DRSORCH_")) continue;
    const char *eq = strchr(kv, '=');
    if (!eq) continue;
    size_t klen = (size_t)(eq - kv);
    if (reserved(kv, klen)) continue;
    long found = -1;
    char ename[160];
    for (size_t i = 0; i < NSETTINGS && found < 0; i++) {
      env_name(ename, sizeof ename, settings[i].name);
      if (strlen(ename) == klen && strncmp(ename, kv, klen) == 0) found = (long)i;
    }
    char var[160];
    snprintf(var, sizeof var, "%.*s", (int)(klen < 150 ? klen : 150), kv);
    if (found < 0) {
      const char *names[NSETTINGS + 2];
      char envnames[NSETTINGS][160];
      for (size_t i = 0; i < NSETTINGS; i++) {
        env_name(envnames[i], sizeof envnames[i], settings[i].name);
        names[i] = envnames[i];
      }
      names[NSETTINGS] = "DRSORCH_CONFIG";
      names[NSETTINGS + 1] = NULL;
      const char *near = orch_str_nearest(var, names);
      if (near) return orch_error_setc(err, ORCH_EUNKNOWNKEY, "environment", "unknown variable %s; did you mean %s?", var, near);
      return orch_error_setc(err, ORCH_EUNKNOWNKEY, "environment", "unknown variable %s", var);
    }
    int rc = orch_config_set(cfg, settings[found].name, eq + 1, ORCH_CFG_SRC_ENV, var, err);
    if (rc) return rc;
  }
  return 0;
}

static const struct cfg_value *lookup(const struct orch_config *cfg, const char *name, enum orch_config_type t) {
  long i = setting_index(name);
  assert(i >= 0 && "unknown setting name");
  if (i < 0) return NULL;
  assert(settings[i].type == t || (t == ORCH_CFG_STRING && settings[i].type != ORCH_CFG_INT));
  (void)t;
  return &cfg->v[i];
}

const char *orch_config_str(const struct orch_config *cfg, const char *name) {
  const struct cfg_value *v = lookup(cfg, name, ORCH_CFG_STRING);
  return v ? v->value : "";
}

long long orch_config_int(const struct orch_config *cfg, const char *name) {
  const struct cfg_value *v = lookup(cfg, name, ORCH_CFG_INT);
  long long n = 0;
  if (v && orch_str_to_ll(v->value, INT64_MIN, INT64_MAX, &n)) n = 0; /* validated at set time */
  return n;
}

bool orch_config_bool(const struct orch_config *cfg, const char *name) {
  const struct cfg_value *v = lookup(cfg, name, ORCH_CFG_BOOL);
  bool b = false;
  if (v && parse_bool(v->value, &b)) b = false; /* validated at set time */
  return b;
}

int64_t orch_config_duration_ms(const struct orch_config *cfg, const char *name) {
  const struct cfg_value *v = lookup(cfg, name, ORCH_CFG_DURATION);
  int64_t ms = 0;
  if (v && orch_duration_parse(v->value, &ms, NULL)) ms = 0; /* validated at set time */
  return ms;
}

int orch_config_show_text(const struct orch_config *cfg, struct orch_buf *out) {
  int rc = 0;
  for (size_t i = 0; i < NSETTINGS && !rc; i++) {
    const struct cfg_value *v = &cfg->v[i];
    rc = orch_buf_printf(out, "%-24s = %-22s # %s%s%s\n", settings[i].name, v->value[0] ? v->value : "\"\"",
                         source_names[v->src], v->origin[0] ? " " : "", v->origin);
  }
  return rc;
}

json_t *orch_config_show_json(const struct orch_config *cfg) {
  json_t *o = json_object();
  for (size_t i = 0; o && i < NSETTINGS; i++) {
    const struct cfg_value *v = &cfg->v[i];
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "value", v->value, "source", source_names[v->src],
                          "origin", v->origin, "default", settings[i].def, "doc", settings[i].doc);
    if (!e || json_object_set_new(o, settings[i].name, e)) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}
