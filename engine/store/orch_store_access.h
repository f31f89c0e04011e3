/* orch_store_access: the records the REST API authenticates and reaches AWS with, behind the same store
 * interface (included by orch_store.h): local users (a password hash, never a password), API tokens and
 * console sessions (stored by the SHA-256 of their secret, never the secret), and target accounts (a role
 * to assume, nothing secret). Ownership and errors follow orch_store.h. Uses orch_store.h. */
#ifndef ORCH_STORE_ACCESS_H
#define ORCH_STORE_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

/* ---- Users ----------------------------------------------------------------------------------- */

struct orch_store_user_spec {
  const char *name;          /* a name as orch_store.h's names; unique (ORCH_EEXIST) */
  const char *role;          /* [A-Za-z]{1,32}; the API checks it is a role it knows */
  const char *password_hash; /* an opaque hash string, or NULL: the user cannot log in with a password */
};

struct orch_store_user {
  char id[ORCH_STORE_ID_MAX + 1];
  char name[ORCH_STORE_NAME_MAX + 1];
  char role[ORCH_STORE_ROLE_MAX + 1];
  char password_hash[ORCH_STORE_SECRET_HASH_MAX + 1]; /* "" when none */
  bool disabled;
  int64_t created_ms;
  int64_t updated_ms;
  int64_t last_login_ms; /* 0 = never */
};

struct orch_store_user_list {
  struct orch_store_user *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

/* NULL / negative fields are left unchanged. */
struct orch_store_user_update {
  const char *role;
  const char *password_hash;
  int disabled;          /* -1 unchanged, 0 enabled, 1 disabled */
  int64_t last_login_ms; /* 0 unchanged */
};

int orch_store_user_create(struct orch_store *store, const struct orch_store_user_spec *spec,
                           struct orch_store_user *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_user_get(struct orch_store *store, const char *id, struct orch_store_user *out,
                        struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_user_find(struct orch_store *store, const char *name, struct orch_store_user *out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* `out` may be NULL; it receives the user as updated. */
int orch_store_user_update(struct orch_store *store, const char *id, const struct orch_store_user_update *upd,
                           struct orch_store_user *out, struct orch_error *err) ORCH_MUST_CHECK;
/* By name, ascending. */
int orch_store_user_list(struct orch_store *store, const struct orch_store_page *page,
                         struct orch_store_user_list *out, struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_user_list_release(struct orch_store_user_list *l);

/* ---- API tokens ------------------------------------------------------------------------------ */

struct orch_store_token_spec {
  const char *name;        /* unique among tokens (ORCH_EEXIST) */
  const char *role;
  const char *secret_hash; /* lower-case hex SHA-256 of the token: 64 characters, unique */
  const char *prefix;      /* the token's first characters, to recognise it in listings */
  const char *created_by;  /* actor, may be NULL */
  int64_t expires_ms;      /* 0 = never */
};

struct orch_store_token {
  char id[ORCH_STORE_ID_MAX + 1];
  char name[ORCH_STORE_NAME_MAX + 1];
  char role[ORCH_STORE_ROLE_MAX + 1];
  char prefix[ORCH_STORE_TOKEN_PREFIX_MAX + 1];
  char created_by[ORCH_STORE_ACTOR_MAX + 1];
  int64_t created_ms;
  int64_t expires_ms;   /* 0 = never */
  int64_t last_used_ms; /* 0 = never */
  int64_t revoked_ms;   /* 0 = valid */
};

struct orch_store_token_list {
  struct orch_store_token *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

int orch_store_token_create(struct orch_store *store, const struct orch_store_token_spec *spec,
                            struct orch_store_token *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_token_get(struct orch_store *store, const char *id, struct orch_store_token *out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* The token whose secret hashes to `secret_hash` (revoked and expired ones too: the caller decides). */
int orch_store_token_find_hash(struct orch_store *store, const char *secret_hash, struct orch_store_token *out,
                               struct orch_error *err) ORCH_MUST_CHECK;
/* Newest first. */
int orch_store_token_list(struct orch_store *store, const struct orch_store_page *page,
                          struct orch_store_token_list *out, struct orch_error *err) ORCH_MUST_CHECK;
/* Revoke now; revoking a revoked token keeps its first revocation time. */
int orch_store_token_revoke(struct orch_store *store, const char *id, struct orch_error *err) ORCH_MUST_CHECK;
/* Record a use at `at_ms` (only ever moves last_used_ms forward). */
int orch_store_token_touch(struct orch_store *store, const char *id, int64_t at_ms, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_store_token_list_release(struct orch_store_token_list *l);

/* ---- Console sessions ------------------------------------------------------------------------ */

struct orch_store_session_spec {
  const char *user_id;
  const char *secret_hash; /* lower-case hex SHA-256 of the cookie's secret, unique */
  const char *csrf_token;  /* what mutations must echo in X-CSRF-Token: 16 to 128 URL-safe characters */
  int64_t expires_ms;      /* > now */
};

struct orch_store_session {
  char id[ORCH_STORE_ID_MAX + 1];
  char user_id[ORCH_STORE_ID_MAX + 1];
  char csrf_token[129];
  int64_t created_ms;
  int64_t expires_ms;
};

int orch_store_session_create(struct orch_store *store, const struct orch_store_session_spec *spec,
                              struct orch_store_session *out, struct orch_error *err) ORCH_MUST_CHECK;
/* The session whose secret hashes to `secret_hash`; an expired one is ORCH_ENOTFOUND (and removed). */
int orch_store_session_find_hash(struct orch_store *store, const char *secret_hash, struct orch_store_session *out,
                                 struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_session_delete(struct orch_store *store, const char *id, struct orch_error *err) ORCH_MUST_CHECK;
/* End every session of a user (disabled, password changed). */
int orch_store_session_delete_user(struct orch_store *store, const char *user_id, struct orch_error *err)
    ORCH_MUST_CHECK;

/* ---- Target accounts ------------------------------------------------------------------------- */

struct orch_store_account_spec {
  const char *account_id;  /* 12 digits, unique (ORCH_EEXIST) */
  const char *name;        /* optional label */
  const char *role_arn;    /* arn:<partition>:iam::<account_id>:role/<name> */
  const char *external_id; /* optional */
  const char *caller_arn;  /* who sts:GetCallerIdentity said we were in it, optional */
  int64_t validated_ms;    /* when that was, 0 = never */
};

struct orch_store_account {
  char account_id[ORCH_STORE_ACCOUNT_MAX + 1];
  char name[ORCH_STORE_NAME_MAX + 1];
  char role_arn[ORCH_STORE_ROLE_ARN_MAX + 1];
  char external_id[ORCH_STORE_EXTERNAL_ID_MAX + 1];
  char caller_arn[ORCH_STORE_ROLE_ARN_MAX + 1];
  int64_t validated_ms;
  int64_t created_ms;
  int64_t updated_ms;
};

struct orch_store_account_list {
  struct orch_store_account *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

int orch_store_account_create(struct orch_store *store, const struct orch_store_account_spec *spec,
                              struct orch_store_account *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_account_get(struct orch_store *store, const char *account_id, struct orch_store_account *out,
                           struct orch_error *err) ORCH_MUST_CHECK;
/* By account id, ascending. */
int orch_store_account_list(struct orch_store *store, const struct orch_store_page *page,
                            struct orch_store_account_list *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_account_delete(struct orch_store *store, const char *account_id, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_store_account_list_release(struct orch_store_account_list *l);

#endif
