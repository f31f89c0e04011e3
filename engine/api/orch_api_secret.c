/* orch_api_secret: scrypt password hashes, random secrets, SHA-256, base64url. Uses OpenSSL, orch_id,
 * orch_str, pthreads. */
#include "api/orch_api_secret.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_id.h"
#include "core/orch_str.h"

#define SCRYPT_LOG_N 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SCRYPT_MAXMEM ((uint64_t)64 * 1024 * 1024)
#define SALT_LEN 16
#define KEY_LEN 32
#define HASHES_AT_ONCE 2

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void orch_api_b64url_encode(const unsigned char *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
    out[o++] = b64url[v >> 6 & 63];
    out[o++] = b64url[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
    out[o++] = b64url[v >> 6 & 63];
  }
  out[o] = '\0';
}

static int b64_value(char c) {
  const char *p = c ? strchr(b64url, c) : NULL;
  return p ? (int)(p - b64url) : -1;
}

long orch_api_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap) {
  while (n && in[n - 1] == '=') n--;
  if (n % 4 == 1) return -1;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(in[i]);
    if (v < 0) return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= cap) return -1;
      out[o++] = (unsigned char)(acc >> bits & 0xff);
    }
  }
  /* the leftover bits of a canonical encoding are zero */
  if (bits && (acc & ((1u << bits) - 1))) return -1;
  return (long)o;
}

/* SHA-256 fetched once: SHA256() and EVP_Q_digest fetch it from the provider on every call, which cost
 * more than hashing a token. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static void sha256_fetch(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

void orch_api_sha256_hex(const void *s, size_t n, char out[ORCH_API_SHA256_HEX + 1]) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  pthread_once(&sha256_once, sha256_fetch);
  if (!sha256_md || !EVP_Digest(s, n, md, NULL, sha256_md, NULL)) SHA256(s, n, md);
  orch_str_hex(out, md, sizeof md);
  out[ORCH_API_SHA256_HEX] = '\0';
}

int orch_api_secret_new(const char *prefix, char *out, size_t n) {
  unsigned char raw[32];
  size_t pl = strlen(prefix);
  if (n < pl + 44) return ORCH_EINVAL;
  int rc = orch_id_random(raw, sizeof raw);
  if (rc) return rc;
  memcpy(out, prefix, pl);
  orch_api_b64url_encode(raw, sizeof raw, out + pl);
  return 0;
}

/* ---- scrypt ---------------------------------------------------------------------------------- */

static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_cv = PTHREAD_COND_INITIALIZER;
static int slots_busy;

static int derive(const char *password, const unsigned char *salt, size_t salt_len, int log_n, int r, int p,
                  unsigned char *key, size_t key_len) {
  pthread_mutex_lock(&slots_mu);
  while (slots_busy >= HASHES_AT_ONCE) pthread_cond_wait(&slots_cv, &slots_mu);
  slots_busy++;
  pthread_mutex_unlock(&slots_mu);
  int ok = EVP_PBE_scrypt(password, strlen(password), salt, salt_len, (uint64_t)1 << log_n, (uint64_t)r, (uint64_t)p,
                          SCRYPT_MAXMEM, key, key_len);
  pthread_mutex_lock(&slots_mu);
  slots_busy--;
  pthread_cond_signal(&slots_cv);
  pthread_mutex_unlock(&slots_mu);
  return ok == 1 ? 0 : ORCH_ENOMEM;
}

int orch_api_password_hash(const char *password, char *out, size_t n, struct orch_error *err) {
  size_t len = password ? strlen(password) : 0;
  if (len < ORCH_API_PASSWORD_MIN || len > ORCH_API_PASSWORD_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "password", "must be %d to %d characters long", ORCH_API_PASSWORD_MIN,
                           ORCH_API_PASSWORD_MAX);
  unsigned char salt[SALT_LEN], key[KEY_LEN];
  char salt64[32], key64[48];
  int rc = orch_id_random(salt, sizeof salt);
  if (rc) return orch_error_set(err, rc, "no random bytes for a salt");
  if ((rc = derive(password, salt, sizeof salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, key, sizeof key)))
    return orch_error_set(err, rc, "scrypt failed (out of memory?)");
  orch_api_b64url_encode(salt, sizeof salt, salt64);
  orch_api_b64url_encode(key, sizeof key, key64);
  OPENSSL_cleanse(key, sizeof key);
  int w = snprintf(out, n, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, salt64, key64);
  if (w < 0 || (size_t)w >= n) return orch_error_set(err, ORCH_ETOOBIG, "password hash buffer too small");
  return 0;
}

bool orch_api_password_verify(const char *password, const char *stored) {
  int log_n, r, p, used = 0;
  if (!password || !stored || sscanf(stored, "$scrypt$ln=%d,r=%d,p=%d$%n", &log_n, &r, &p, &used) != 3 || !used)
    return false;
  /* refuse parameters a tampered row could use to exhaust memory or time */
  if (log_n < 10 || log_n > 20 || r < 1 || r > 16 || p < 1 || p > 4) return false;
  const char *salt64 = stored + used, *dollar = strchr(salt64, '$');
  if (!dollar) return false;
  unsigned char salt[64], want[64], got[64];
  long sl = orch_api_b64url_decode(salt64, (size_t)(dollar - salt64), salt, sizeof salt);
  long kl = orch_api_b64url_decode(dollar + 1, strlen(dollar + 1), want, sizeof want);
  if (sl < 8 || kl < 16) return false;
  if (derive(password, salt, (size_t)sl, log_n, r, p, got, (size_t)kl)) return false;
  bool ok = orch_str_ct_equal(got, (size_t)kl, want, (size_t)kl);
  OPENSSL_cleanse(got, sizeof got);
  return ok;
}
