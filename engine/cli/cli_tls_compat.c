/* cli_tls_compat: lets Debian's CivetWeb 1.15 serve HTTPS with OpenSSL 3. That CivetWeb loads OpenSSL at run
 * time (dlopen "libssl.so" / "libcrypto.so", then dlsym by name) and asks for SSL_get_peer_certificate, which
 * OpenSSL 3 no longer exports (it became a macro for SSL_get1_peer_certificate): the pointer is NULL and the
 * first HTTPS connection crashes (civetweb/civetweb#1334). drsorch links OpenSSL 3 itself, so this file, in
 * the executable (first in symbol lookup, exported with --export-dynamic-symbol), answers those two dlopen
 * calls with the process's own global scope, where OpenSSL's functions are, and provides the old name.
 * Every other dlopen goes to the real one. It can go once CivetWeb is built against OpenSSL (NO_SSL_DL) or is
 * 1.16+. Uses dlfcn. */
#include <dlfcn.h>
#include <string.h>

/* Declared here, not from <openssl/ssl.h>, where SSL_get_peer_certificate is a macro. */
void *SSL_get1_peer_certificate(const void *ssl);
void *SSL_get_peer_certificate(const void *ssl);
void *dlopen(const char *file, int mode);

void *SSL_get_peer_certificate(const void *ssl) { return SSL_get1_peer_certificate(ssl); }

void *dlopen(const char *file, int mode) {
  static void *(*real)(const char *, int);
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "dlopen");
  if (file && (strcmp(file, "libssl.so") == 0 || strcmp(file, "libcrypto.so") == 0)) return real(NULL, mode);
  return real(file, mode);
}
