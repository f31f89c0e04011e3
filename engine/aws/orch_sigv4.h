/* orch_sigv4: AWS Signature Version 4 in both directions: signing a request (Authorization header or
 * presigned X-Amz-* query parameters) and verifying a received one (what the simulator does), sharing
 * one canonical-request builder, plus a thread-safe cache of derived signing keys for the hot path.
 * Uses orch_http (request type), orch_buf, orch_str, orch_time and OpenSSL (SHA-256). */
#ifndef ORCH_SIGV4_H
#define ORCH_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/orch_http.h"
#include "core/orch_buf.h"
#include "core/orch_error.h"

#define ORCH_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define ORCH_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define ORCH_SIGV4_DEFAULT_MAX_SKEW_MS ((int64_t)15 * 60 * 1000) /* what AWS allows */
#define ORCH_SIGV4_SIG_HEX 64

/* A cache of derived signing keys (secret, date, region, service -> key). Thread-safe; one per client
 * or per simulator is enough. Secrets are wiped when evicted and on free. */
struct orch_sigv4_cache;
int orch_sigv4_cache_new(struct orch_sigv4_cache **out) ORCH_MUST_CHECK;
void orch_sigv4_cache_free(struct orch_sigv4_cache *cache);
/* Hits and misses since creation (for benchmarks and tests). */
void orch_sigv4_cache_stats(struct orch_sigv4_cache *cache, uint64_t *hits, uint64_t *misses);

enum orch_sigv4_mode {
  ORCH_SIGV4_HEADER, /* X-Amz-Date (+ X-Amz-Security-Token) + Authorization headers */
  ORCH_SIGV4_QUERY,  /* presigned URL: X-Amz-* query parameters, valid for `expires_s` */
};

struct orch_sigv4_params {
  enum orch_sigv4_mode mode;
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token; /* NULL or "" when the credentials have none */
  const char *region;
  const char *service; /* the signing name ("drs", "sts", "execute-api") */
  int64_t time_ms;     /* signing time (from the injected clock) */
  int64_t expires_s;   /* ORCH_SIGV4_QUERY only; 0 means 900 */
  bool no_normalize;   /* S3 style: keep "." / ".." / "//" in the path as sent */
  bool single_encode;  /* S3 style: the path as sent (already encoded once) is the canonical URI */
  bool sign_body;      /* add and sign x-amz-content-sha256 (header mode) */
  bool unsigned_payload; /* use UNSIGNED-PAYLOAD instead of the body's SHA-256 */
  bool omit_session_token; /* send the token but leave it out of the signature (some STS flows) */
  struct orch_sigv4_cache *cache; /* optional */
};

/* What signing computed, for tests and debugging. Optional: pass NULL. The buffers are appended to;
 * the caller initialises and frees them. */
struct orch_sigv4_trace {
  struct orch_buf canonical_request;
  struct orch_buf string_to_sign;
  char signature[ORCH_SIGV4_SIG_HEX + 1];
};

/* Sign `req` in place. `req` must carry a Host header. Header mode replaces any earlier Authorization,
 * X-Amz-Date, X-Amz-Security-Token and x-amz-content-sha256 (so a retried request is simply signed
 * again) and adds them in that order; query mode appends the X-Amz-* parameters to req->query.
 * The path is canonicalised from req->path as given (percent-encoded once more, dot segments and
 * duplicate slashes removed unless no_normalize), so the verifier must see the path as it was sent. */
int orch_sigv4_sign(struct orch_http_request *req, const struct orch_sigv4_params *p,
                    struct orch_sigv4_trace *trace, struct orch_error *err) ORCH_MUST_CHECK;

/* Verification. The lookup callback maps an access key id to its secret: returns 0 and fills `secret`
 * (and `session_token` when that key is only valid with a token, which the request must then carry),
 * ORCH_ENOTFOUND for an unknown key, or another negative code to abort. */
typedef int (*orch_sigv4_lookup_fn)(void *ctx, const char *access_key_id, struct orch_buf *secret,
                                    struct orch_buf *session_token);

struct orch_sigv4_verify_params {
  orch_sigv4_lookup_fn lookup;
  void *lookup_ctx;
  int64_t now_ms;
  int64_t max_skew_ms; /* 0 means ORCH_SIGV4_DEFAULT_MAX_SKEW_MS */
  bool no_normalize;
  bool single_encode; /* S3 style, as in orch_sigv4_params */
  struct orch_sigv4_cache *cache; /* optional */
};

struct orch_sigv4_verified {
  char access_key_id[128];
  char region[64];
  char service[64];
  int64_t signed_at_ms;
  bool presigned;         /* signed with query parameters */
  bool has_session_token; /* the request carried X-Amz-Security-Token */
};

/* Verify a received request (Host header present; path and query exactly as received). Returns 0 and
 * fills `out` (optional) when the signature is good. Failures, each with an AWS-like message in err:
 *   ORCH_EAUTH       no or malformed Authorization / X-Amz-* parameters, missing X-Amz-Date,
 *                    a signed header absent, credential scope date not the request's date
 *   ORCH_ECREDS      unknown access key id, or a session token missing or not the expected one
 *   ORCH_ESIGNATURE  signature (or x-amz-content-sha256) does not match
 *   ORCH_ERANGE      signing time further than max_skew from now, or a presigned URL past expiry
 * `out` is filled as far as parsing got, even on failure (to log who tried). */
int orch_sigv4_verify(const struct orch_http_request *req, const struct orch_sigv4_verify_params *p,
                      struct orch_sigv4_verified *out, struct orch_error *err) ORCH_MUST_CHECK;

/* Lower-case hex SHA-256 of `n` bytes into out (65 bytes). */
void orch_sigv4_sha256_hex(char out[ORCH_SIGV4_SIG_HEX + 1], const void *data, size_t n);

#endif
