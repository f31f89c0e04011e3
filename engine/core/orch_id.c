/* orch_id: UUIDv7 and prefixed hex ids from the kernel's CSPRNG (getrandom(2), which OpenSSL's own generator
 * is seeded from: taking it directly spares a process that only needs ids the 2 MB OpenSSL's generator and
 * providers take when first used). Uses pthreads. */
#include "core/orch_id.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "core/orch_str.h"

static pthread_mutex_t id_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_ms = -1;
static uint16_t last_seq; /* 12-bit counter within one millisecond (RFC 9562, method 1) */

int orch_id_random(void *buf, size_t n) {
  if (n > INT32_MAX) return ORCH_EINVAL;
  for (size_t got = 0; got < n;) { /* blocks only before the kernel's pool is first seeded, at boot */
    ssize_t r = getrandom((unsigned char *)buf + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ORCH_EINTERNAL;
    got += (size_t)r;
  }
  return 0;
}

int orch_id_uuid7(char out[ORCH_ID_UUID_LEN + 1], int64_t ms) {
  unsigned char b[16];
  int rc = orch_id_random(b, sizeof b);
  if (rc) return rc;
  pthread_mutex_lock(&id_mu);
  if (ms <= last_ms) {
    ms = last_ms; /* never go backwards, even when the clock does */
    if (++last_seq > 0x0fff) {
      ms = ++last_ms;
      last_seq = (uint16_t)(b[6] & 0x03);
    }
  } else {
    last_ms = ms;
    last_seq = (uint16_t)(((b[6] & 0x03) << 8) | b[7]); /* random start, leaving room to count up */
  }
  uint16_t seq = last_seq;
  pthread_mutex_unlock(&id_mu);
  uint64_t t = (uint64_t)ms;
  for (int i = 0; i < 6; i++) b[i] = (unsigned char)(t >> (40 - 8 * i));
  b[6] = (unsigned char)(0x70 | ((seq >> 8) & 0x0f));
  b[7] = (unsigned char)(seq & 0xff);
  b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
  char hex[33];
  orch_str_hex(hex, b, 16);
  snprintf(out, ORCH_ID_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
  return 0;
}

int orch_id_uuid7_time(const char *id, int64_t *ms) {
  if (strlen(id) != ORCH_ID_UUID_LEN || id[8] != '-' || id[13] != '-' || id[14] != '7') return ORCH_EPARSE;
  char hex[13];
  memcpy(hex, id, 8);
  memcpy(hex + 8, id + 9, 4);
  unsigned char b[6];
  if (orch_str_unhex(b, sizeof b, hex, 12) != 6) return ORCH_EPARSE;
  uint64_t t = 0;
  for (int i = 0; i < 6; i++) t = (t << 8) | b[i];
  *ms = (int64_t)t;
  return 0;
}

int orch_id_hex(char *out, size_t outsz, const char *prefix, size_t nhex) {
  size_t plen = strlen(prefix);
  if (outsz < plen + nhex + 1 || nhex > 64) return ORCH_ETOOBIG;
  unsigned char b[32];
  int rc = orch_id_random(b, (nhex + 1) / 2);
  if (rc) return rc;
  char hex[65];
  orch_str_hex(hex, b, (nhex + 1) / 2);
  memcpy(out, prefix, plen);
  memcpy(out + plen, hex, nhex);
  out[plen + nhex] = '\0';
  return 0;
}
