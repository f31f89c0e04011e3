/* orch_api_secret: the API's secrets: password hashes with scrypt (OpenSSL's memory-hard KDF, parameters
 * kept in the hash string so they can be raised later), API tokens and session secrets drawn from the
 * CSPRNG, the SHA-256 by which tokens and sessions are stored, and base64url. `drsorch users` and
 * `drsorch tokens` use the same functions. Uses OpenSSL (EVP_PBE_scrypt, SHA-256), orch_id (random). */
#ifndef ORCH_API_SECRET_H
#define ORCH_API_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/orch_error.h"

#define ORCH_API_TOKEN_PREFIX "drs_"        /* every API token starts with it */
#define ORCH_API_TOKEN_LEN (4 + 43)         /* "drs_" + base64url of 32 random bytes */
#define ORCH_API_TOKEN_SHOWN 12             /* characters of a token kept in listings */
#define ORCH_API_SHA256_HEX 64
#define ORCH_API_PASSWORD_MIN 12
#define ORCH_API_PASSWORD_MAX 1024

/* "$scrypt$ln=15,r=8,p=1$<salt>$<key>" (base64url, 16-byte salt, 32-byte key) into out (at least 160
 * bytes). A password outside ORCH_API_PASSWORD_MIN..MAX bytes is ORCH_EINVAL. At most two hashes run at
 * once (each takes 32 MiB for ~0.1 s); more wait. */
int orch_api_password_hash(const char *password, char *out, size_t n, struct orch_error *err) ORCH_MUST_CHECK;
/* Whether `password` matches `stored` (constant time in the key comparison; false for a malformed or
 * empty stored hash). */
bool orch_api_password_verify(const char *password, const char *stored);

/* A new random secret: `prefix` then base64url of 32 random bytes, into out (prefix + 44 bytes). */
int orch_api_secret_new(const char *prefix, char *out, size_t n) ORCH_MUST_CHECK;
/* Lower-case hex SHA-256 of the n bytes at s, into out. */
void orch_api_sha256_hex(const void *s, size_t n, char out[ORCH_API_SHA256_HEX + 1]);

/* base64url without padding. encode writes a NUL-terminated string into out (needs 4*n/3 + 2 bytes);
 * decode accepts input with or without padding and returns the decoded length, or -1 when malformed
 * or larger than cap. */
void orch_api_b64url_encode(const unsigned char *in, size_t n, char *out);
long orch_api_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap);

#endif
