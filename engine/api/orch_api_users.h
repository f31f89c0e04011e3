/* orch_api_users: what the API and `drsorch users|tokens` share about users and tokens: their JSON shape
 * (the User and Token schemas) and issuing a token (random secret, stored by its SHA-256, the secret
 * returned once). Uses orch_store, jansson. */
#ifndef ORCH_API_USERS_H
#define ORCH_API_USERS_H

#include <jansson.h>

#include "store/orch_store.h"

json_t *orch_api_user_json(const struct orch_store_user *u);
/* "active", "expired" or "revoked" at now_ms. */
const char *orch_api_token_status(const struct orch_store_token *t, int64_t now_ms);
json_t *orch_api_token_json(const struct orch_store_token *t, int64_t now_ms);

/* A new token: its record in *out and its secret ("drs_...", ORCH_API_TOKEN_LEN characters) in secret. */
int orch_api_token_issue(struct orch_store *store, const char *name, const char *role, int64_t expires_ms,
                         const char *created_by, struct orch_store_token *out, char *secret, size_t n,
                         struct orch_error *err) ORCH_MUST_CHECK;

#endif
