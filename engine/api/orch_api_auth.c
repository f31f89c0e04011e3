/* orch_api_auth: API tokens, console sessions, Cognito JWTs and an authorizer's verified Cognito claims into a
 * principal; logins; CSRF. Uses
 * orch_store, orch_api_jwt, orch_api_secret, orch_api_roles, orch_config, orch_str, orch_log. */
#include "api/orch_api_auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/orch_api_jwt.h"
#include "api/orch_api_secret.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"

#define GROUPS_MAX 32
#define TOUCH_EVERY_MS ((int64_t)60000) /* a token's last use is written at most once a minute */
#define TOUCH_SLOTS 64
#define KNOWN_SLOTS 64
#define KNOWN_FOR_NS ((int64_t)1000000000) /* a token found in the store is believed for a second */

struct group_role {
  char group[128];
  unsigned role;
};

struct orch_api_auth {
  struct orch_store *store;
  const struct orch_clock *clock;
  struct orch_api_jwt *jwt; /* NULL: Cognito is not configured */
  struct group_role groups[GROUPS_MAX];
  size_t ngroups;
  int64_t session_ttl_ms;
  pthread_mutex_t touch_mu;
  struct {
    char id[ORCH_STORE_ID_MAX + 1];
    int64_t at_ms;
  } touched[TOUCH_SLOTS];
  /* Tokens found lately, by hash (under known_mu): a request with a known token reads nothing from the
   * store. A revocation through this API forgets them all at once (orch_api_auth_forget); one made by
   * another process on the same store (`drsorch tokens revoke`) is seen within KNOWN_FOR_NS. */
  pthread_mutex_t known_mu;
  uint64_t generation;
  struct {
    char hash[ORCH_API_SHA256_HEX + 1];
    struct orch_store_token t;
    int64_t at_ns;
    uint64_t generation;
  } known[KNOWN_SLOTS];
};

/* "admins=Admin, ops=Operator" into the group table. */
static int parse_groups(struct orch_api_auth *a, const char *spec, struct orch_error *err) {
  struct orch_strview parts[GROUPS_MAX + 1];
  size_t n = orch_str_split((struct orch_strview){spec, strlen(spec)}, ',', parts, GROUPS_MAX + 1);
  if (n > GROUPS_MAX) return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_groups", "more than %d groups", GROUPS_MAX);
  for (size_t i = 0; i < n; i++) {
    struct orch_strview p = orch_str_trim(parts[i]);
    if (!p.n) continue;
    const char *eq = memchr(p.p, '=', p.n);
    char role[40];
    if (!eq || eq == p.p || (size_t)(eq - p.p) >= sizeof a->groups[0].group || p.n - (size_t)(eq - p.p) - 1 >= sizeof role)
      return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_groups", "'%.*s' is not GROUP=ROLE", (int)p.n, p.p);
    struct group_role *g = &a->groups[a->ngroups];
    snprintf(g->group, sizeof g->group, "%.*s", (int)(eq - p.p), p.p);
    snprintf(role, sizeof role, "%.*s", (int)(p.n - (size_t)(eq - p.p) - 1), eq + 1);
    if (!(g->role = orch_api_role_parse(role)))
      return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_groups", "'%s' is not a role (%s)", role,
                             orch_api_role_names());
    a->ngroups++;
  }
  return 0;
}

int orch_api_auth_new(const struct orch_api_auth_config *cfg, struct orch_api_auth **out, struct orch_error *err) {
  struct orch_api_auth *a = orch_calloc(1, sizeof *a);
  if (!a) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  pthread_mutex_init(&a->touch_mu, NULL);
  pthread_mutex_init(&a->known_mu, NULL);
  a->generation = 1;
  a->store = cfg->store;
  a->clock = cfg->clock ? cfg->clock : orch_clock_real();
  a->session_ttl_ms = orch_config_duration_ms(cfg->settings, "auth.session_ttl");
  int rc = 0;
  const char *issuer = orch_config_str(cfg->settings, "auth.cognito_issuer");
  const char *domain = orch_config_str(cfg->settings, "auth.cognito_domain");
  if (strlen(domain) > 400)
    rc = orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_domain", "is longer than 400 characters");
  else if (*domain && strncmp(domain, "https://", 8) != 0)
    rc = orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_domain", "'%.200s' is not an https:// address", domain);
  else if (*domain && !*issuer)
    rc = orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_domain",
                         "needs auth.cognito_issuer (and auth.cognito_client_ids): the console signs in to that pool");
  else if (*domain && !*orch_config_str(cfg->settings, "auth.cognito_client_ids"))
    rc = orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_domain", "needs auth.cognito_client_ids: the console signs in as the first");
  if (!rc && *issuer) {
    struct orch_api_jwt_config jc = {
      .issuer = issuer, .jwks_url = orch_config_str(cfg->settings, "auth.cognito_jwks_url"),
      .client_ids = orch_config_str(cfg->settings, "auth.cognito_client_ids"),
      .token_use = orch_config_str(cfg->settings, "auth.cognito_token_use"),
      .leeway_ms = orch_config_duration_ms(cfg->settings, "auth.jwt_leeway"), .clock = a->clock,
      .transport = cfg->jwks_transport};
    rc = orch_api_jwt_new(&jc, &a->jwt, err);
  }
  /* also without a pool of its own: an authorizer in front of the API may hand over verified claims */
  if (!rc) rc = parse_groups(a, orch_config_str(cfg->settings, "auth.cognito_groups"), err);
  if (rc) {
    orch_api_auth_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

void orch_api_auth_free(struct orch_api_auth *a) {
  if (!a) return;
  orch_api_jwt_free(a->jwt);
  pthread_mutex_destroy(&a->touch_mu);
  pthread_mutex_destroy(&a->known_mu);
  orch_free(a);
}

int64_t orch_api_auth_session_ttl_ms(const struct orch_api_auth *a) { return a->session_ttl_ms; }

static size_t slot_of(const char *key, size_t slots) {
  size_t slot = 0;
  for (const char *p = key; *p; p++) slot = slot * 31 + (unsigned char)*p;
  return slot % slots;
}

void orch_api_auth_forget(struct orch_api_auth *a) {
  pthread_mutex_lock(&a->known_mu);
  a->generation++;
  pthread_mutex_unlock(&a->known_mu);
}

/* The token whose hash is `hash`: from the tokens found lately, else from the store (and remembered). */
static int find_token(struct orch_api_auth *a, const char *hash, struct orch_store_token *t, struct orch_error *err) {
  size_t slot = slot_of(hash, KNOWN_SLOTS);
  int64_t now = orch_clock_mono_ns(a->clock);
  pthread_mutex_lock(&a->known_mu);
  bool hit = a->known[slot].generation == a->generation && strcmp(a->known[slot].hash, hash) == 0 &&
             now - a->known[slot].at_ns < KNOWN_FOR_NS;
  if (hit) *t = a->known[slot].t;
  uint64_t gen = a->generation;
  pthread_mutex_unlock(&a->known_mu);
  if (hit) return 0;
  int rc = orch_store_token_find_hash(a->store, hash, t, err);
  if (rc) return rc;
  pthread_mutex_lock(&a->known_mu);
  if (gen == a->generation) { /* not forgotten while the store was read */
    snprintf(a->known[slot].hash, sizeof a->known[slot].hash, "%s", hash);
    a->known[slot].t = *t;
    a->known[slot].at_ns = now;
    a->known[slot].generation = gen;
  }
  pthread_mutex_unlock(&a->known_mu);
  return 0;
}

/* Write a token's last use when the last write for it is a minute old. */
static void touch(struct orch_api_auth *a, const char *id, int64_t now) {
  size_t slot = slot_of(id, TOUCH_SLOTS);
  pthread_mutex_lock(&a->touch_mu);
  bool due = strcmp(a->touched[slot].id, id) != 0 || now - a->touched[slot].at_ms >= TOUCH_EVERY_MS;
  if (due) {
    snprintf(a->touched[slot].id, sizeof a->touched[slot].id, "%s", id);
    a->touched[slot].at_ms = now;
  }
  pthread_mutex_unlock(&a->touch_mu);
  struct orch_error err = {0};
  if (due && orch_store_token_touch(a->store, id, now, &err))
    orch_log_warn("auth: could not record the use of token %s: %s", id, err.message);
}

static int from_token(struct orch_api_auth *a, const char *token, struct api_principal *who, struct orch_error *err) {
  char hash[ORCH_API_SHA256_HEX + 1];
  struct orch_store_token t;
  orch_api_sha256_hex(token, strlen(token), hash);
  struct orch_error serr = {0};
  int rc = find_token(a, hash, &t, &serr);
  if (rc == ORCH_ENOTFOUND) return orch_error_set(err, ORCH_EAUTH, "unknown API token");
  if (rc) return err ? (*err = serr, rc) : rc;
  int64_t now = orch_clock_now_ms(a->clock);
  if (t.revoked_ms) return orch_error_set(err, ORCH_EAUTH, "API token '%s' has been revoked", t.name);
  if (t.expires_ms && t.expires_ms <= now) return orch_error_set(err, ORCH_EAUTH, "API token '%s' has expired", t.name);
  who->kind = API_TOKEN;
  who->roles = orch_api_role_parse(t.role);
  snprintf(who->name, sizeof who->name, "token:%s", t.name);
  snprintf(who->id, sizeof who->id, "%s", t.id);
  touch(a, t.id, now);
  return 0;
}

/* One Cognito group of the caller: its roles by auth.cognito_groups, and its name kept for the 403. */
static void add_group(struct orch_api_auth *a, const char *g, size_t n, struct api_principal *who) {
  if (!n) return;
  for (size_t k = 0; k < a->ngroups; k++)
    if (strlen(a->groups[k].group) == n && memcmp(a->groups[k].group, g, n) == 0) who->roles |= a->groups[k].role;
  size_t used = strlen(who->groups);
  if (used + n + 3 < sizeof who->groups)
    snprintf(who->groups + used, sizeof who->groups - used, "%s%.*s", used ? ", " : "", (int)n, g);
}

/* The principal a set of verified Cognito claims is: the user from username (access tokens),
 * cognito:username (id tokens) or sub; roles from cognito:groups, a JSON array in a token, a string in API
 * Gateway's claims ("a,b" from a REST API's authorizer, "[a b]" from an HTTP API's). */
static int from_claims(struct orch_api_auth *a, const json_t *claims, struct api_principal *who, struct orch_error *err) {
  const char *user = json_string_value(json_object_get(claims, "username"));
  if (!user) user = json_string_value(json_object_get(claims, "cognito:username"));
  if (!user) user = json_string_value(json_object_get(claims, "sub"));
  if (!user || !*user) return orch_error_set(err, ORCH_EAUTH, "the token's claims name no user (username, cognito:username or sub)");
  who->kind = API_JWT;
  snprintf(who->name, sizeof who->name, "cognito:%s", user);
  const json_t *groups = json_object_get(claims, "cognito:groups");
  size_t i;
  const json_t *g;
  json_array_foreach(groups, i, g) {
    if (json_is_string(g)) add_group(a, json_string_value(g), json_string_length(g), who);
  }
  const char *s = json_string_value(groups);
  for (const char *p = s; p && *p;) {
    size_t n = strcspn(p, "[], ");
    add_group(a, p, n, who);
    p += n;
    p += strspn(p, "[], ");
  }
  return 0;
}

static int from_jwt(struct orch_api_auth *a, const char *token, struct api_principal *who, struct orch_error *err) {
  json_t *claims = NULL;
  int rc = orch_api_jwt_verify(a->jwt, token, &claims, err);
  if (rc) return rc == ORCH_EAUTH ? rc : (orch_error_prefix(err, "cannot check the JWT"), rc);
  rc = from_claims(a, claims, who, err);
  json_decref(claims);
  return rc;
}

/* The value of cookie `name` in a Cookie header, into out; false when absent. */
static bool cookie_value(const char *header, const char *name, char *out, size_t n) {
  size_t nl = strlen(name);
  for (const char *p = header; p && *p;) {
    while (*p == ' ' || *p == ';') p++;
    const char *end = strchr(p, ';');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
      size_t vl = len - nl - 1;
      if (vl >= n) return false;
      memcpy(out, p + nl + 1, vl);
      out[vl] = '\0';
      return true;
    }
    p = end;
  }
  return false;
}

static int from_session(struct orch_api_auth *a, const char *secret, struct api_principal *who, struct orch_error *err) {
  char hash[ORCH_API_SHA256_HEX + 1];
  struct orch_store_session s;
  struct orch_store_user u;
  struct orch_error serr = {0};
  orch_api_sha256_hex(secret, strlen(secret), hash);
  int rc = orch_store_session_find_hash(a->store, hash, &s, &serr);
  if (rc == ORCH_ENOTFOUND || (!rc && s.expires_ms <= orch_clock_now_ms(a->clock)))
    return orch_error_set(err, ORCH_EAUTH, "the session has ended or expired: sign in again");
  if (!rc) rc = orch_store_user_get(a->store, s.user_id, &u, &serr);
  if (rc == ORCH_ENOTFOUND) return orch_error_set(err, ORCH_EAUTH, "the session's user no longer exists");
  if (rc) return err ? (*err = serr, rc) : rc;
  if (u.disabled) return orch_error_set(err, ORCH_EAUTH, "user '%s' is disabled", u.name);
  who->kind = API_SESSION;
  who->roles = orch_api_role_parse(u.role);
  snprintf(who->name, sizeof who->name, "%s", u.name);
  snprintf(who->id, sizeof who->id, "%s", u.id);
  snprintf(who->session_id, sizeof who->session_id, "%s", s.id);
  snprintf(who->csrf_token, sizeof who->csrf_token, "%s", s.csrf_token);
  return 0;
}

int orch_api_auth_identify(struct orch_api_auth *a, const struct orch_api_request *req, struct api_principal *who,
                           struct orch_error *err) {
  memset(who, 0, sizeof *who);
  if (req->verified_claims) return from_claims(a, req->verified_claims, who, err); /* the authorizer checked it */
  const char *authz = api_req_header(req, "Authorization");
  if (authz) {
    if (strncasecmp(authz, "Bearer ", 7) != 0)
      return orch_error_set(err, ORCH_EAUTH, "Authorization must be 'Bearer <token>'");
    const char *token = authz + 7;
    while (*token == ' ') token++;
    if (orch_str_starts_with(token, ORCH_API_TOKEN_PREFIX)) {
      if (strlen(token) != ORCH_API_TOKEN_LEN) return orch_error_set(err, ORCH_EAUTH, "malformed API token");
      return from_token(a, token, who, err);
    }
    if (a->jwt && strchr(token, '.')) return from_jwt(a, token, who, err);
    return orch_error_set(err, ORCH_EAUTH, a->jwt ? "the bearer token is neither an API token nor a JWT"
                                                  : "the bearer token is not an API token (drs_...)");
  }
  char secret[96];
  const char *cookies = api_req_header(req, "Cookie");
  if (cookies && cookie_value(cookies, ORCH_API_SESSION_COOKIE, secret, sizeof secret)) return from_session(a, secret, who, err);
  return 0;
}

bool orch_api_auth_csrf_ok(const struct api_principal *who, const struct orch_api_request *req) {
  if (who->kind != API_SESSION) return true;
  const char *m = req->method;
  if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0) return true;
  const char *sent = api_req_header(req, "X-CSRF-Token");
  return sent && orch_str_ct_equal(sent, strlen(sent), who->csrf_token, strlen(who->csrf_token));
}

int orch_api_auth_login(struct orch_api_auth *a, const char *username, const char *password,
                        struct orch_store_user *user, char *secret, size_t secret_n, struct orch_store_session *session,
                        struct orch_error *err) {
  static const char bad[] = "wrong user name or password";
  struct orch_error serr = {0};
  int rc = orch_store_user_find(a->store, username, user, &serr);
  if (rc && rc != ORCH_ENOTFOUND && rc != ORCH_EINVAL) return err ? (*err = serr, rc) : rc;
  /* the same work whether or not the user exists, so timing does not tell */
  bool ok = orch_api_password_verify(password, rc ? "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                                  : user->password_hash);
  if (rc || !ok || user->disabled) return orch_error_set(err, ORCH_EAUTH, bad);
  char hash[ORCH_API_SHA256_HEX + 1], csrf[64];
  if ((rc = orch_api_secret_new("", secret, secret_n)) || (rc = orch_api_secret_new("", csrf, sizeof csrf)))
    return orch_error_set(err, rc, "no random bytes for a session");
  orch_api_sha256_hex(secret, strlen(secret), hash);
  int64_t now = orch_clock_now_ms(a->clock);
  struct orch_store_session_spec spec = {.user_id = user->id, .secret_hash = hash, .csrf_token = csrf,
                                         .expires_ms = now + a->session_ttl_ms};
  if ((rc = orch_store_session_create(a->store, &spec, session, err))) return rc;
  struct orch_store_user_update upd = {.disabled = -1, .last_login_ms = now};
  if (orch_store_user_update(a->store, user->id, &upd, NULL, &serr))
    orch_log_warn("auth: could not record %s's login: %s", user->name, serr.message);
  return 0;
}
