/* orch_api_static: the operator console's built files (web/dist) served next to the API: GET and HEAD of any
 * path outside /api/. Hashed assets (/assets/...) are cached for a year as immutable, everything else is
 * revalidated (index.html: no-cache); a path without a file extension that names no file is the console's own
 * route and gets index.html (the SPA fallback); a file ending in an extension that is missing is 404 in the
 * API's error envelope. Paths are percent-decoded once and a "." or ".." segment, a dot-file, a backslash or
 * a control character is refused, so nothing outside the directory is reachable. A gzip file beside the
 * original (built by the console's build) is sent to clients that accept gzip. Headers: the API's security
 * headers with a Content-Security-Policy that lets the console run (scripts and connections to this origin
 * only; Cognito's token endpoint when configured). When no built console is found, "/" says so in plain words.
 * Transport-neutral (an orch_api_response out), so tests need no socket. Uses orch_api, orch_config,
 * orch_buf. */
#ifndef ORCH_API_STATIC_H
#define ORCH_API_STATIC_H

#include <stdbool.h>

#include "api/orch_api.h"

#define ORCH_API_STATIC_FILE_MAX (64 * 1024 * 1024) /* a larger file is not served (503 saying so) */

struct orch_api_static;

struct orch_api_static_config {
  /* server.web_dir: the built console; "" looks in the default places (orch_api_static_defaults). */
  const char *web_dir;
  /* auth.cognito_domain ("" when none): the console exchanges Cognito codes there (CSP connect-src). */
  const char *cognito_domain;
  bool hsts; /* served over TLS: Strict-Transport-Security */
  /* Where to look when web_dir is "" (NULL-terminated); NULL: orch_api_static_defaults(). */
  const char *const *search;
};

/* The places looked in when server.web_dir is "", in order, NULL-terminated: the source tree's web/dist
 * (the build that compiled this binary) and the installed share/drsorch/web. */
const char *const *orch_api_static_defaults(void);

/* An explicit server.web_dir without an index.html is ORCH_ECONFIG naming the setting. Caller frees *out. */
int orch_api_static_new(const struct orch_api_static_config *cfg, struct orch_api_static **out,
                        struct orch_error *err) ORCH_MUST_CHECK;
void orch_api_static_free(struct orch_api_static *s);

/* The directory served, or "" while no built console is found (looked for again on each request to "/"
 * so a console built after the server started is served). Copies into out. */
void orch_api_static_root(struct orch_api_static *s, char *out, size_t n);

/* Answer one request for `path` (the raw path, percent-encoded, no query). `accept_encoding` may be NULL. */
void orch_api_static_handle(struct orch_api_static *s, const char *method, const char *path,
                            const char *accept_encoding, struct orch_api_response *resp);

#endif
