/* orch_sigv4_int: what SigV4 signing (orch_sigv4.c) and verification (orch_sigv4_verify.c) share: the
 * canonical request, the string to sign and signature, and SHA-256. Private to the aws layer. */
#ifndef ORCH_SIGV4_INT_H
#define ORCH_SIGV4_INT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "aws/orch_sigv4.h"
#include "core/orch_buf.h"

#define SV_STACK_ITEMS 32
#define SV_MAX_SIGNED_HEADERS 64

struct sv_hdr {
  const char *name;
  const char *value;
  size_t order;
};

struct sv_canon {
  const char *method;
  const char *path;
  const char *query;
  const char *extra_query;
  const char *const *skip_params;
  bool raw_path;
  bool single_encode; /* S3: the path as sent is the canonical URI */
  struct sv_hdr *hdrs;
  size_t nhdrs;
  const char *payload_hash;
};

/* The canonical request -> `cr`; the signed-header list -> `signed_list`. 0 or ORCH_E*. */
int orch_sigv4_build_canonical(const struct sv_canon *c, struct orch_buf *cr, struct orch_buf *signed_list);

/* "AWS4-HMAC-SHA256\n<amzdate>\n<scope>\n<hex(sha256(cr))>" -> sts; the signature's hex -> sig. */
int orch_sigv4_compute_signature(EVP_MD_CTX *ctx, struct orch_sigv4_cache *cache, const char *secret,
                                 const char *amzdate, const char *date, const char *region, const char *service,
                                 const struct orch_buf *cr, struct orch_buf *sts, char sig[ORCH_SIGV4_SIG_HEX + 1]);

/* The payload hash header value: hex SHA-256 of body, or UNSIGNED-PAYLOAD. */
int orch_sigv4_payload_hash(const struct orch_buf *body, bool unsigned_payload, char out[ORCH_SIGV4_SIG_HEX + 1]);

/* SHA-256 of data. 0 or ORCH_EINTERNAL. */
int orch_sigv4_sha256(const void *data, size_t n, unsigned char out[32]);

#endif
