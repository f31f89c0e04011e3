/* orch_api_static: the built console served beside the API (see orch_api_static.h): path checks, the SPA
 * fallback, content types, caching headers, precompressed gzip, the console's CSP, the "not built" page.
 * Uses orch_api (responses), orch_str (percent-decoding), orch_buf, orch_alloc. */
#include "api/orch_api_static.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"

#ifndef ORCH_WEB_SOURCE_DIST
#define ORCH_WEB_SOURCE_DIST ""
#endif
#ifndef ORCH_WEB_INSTALL_DIR
#define ORCH_WEB_INSTALL_DIR "/usr/local/share/drsorch/web"
#endif

#define ROOT_MAX 1024
#define PATH_MAX_LEN 1024

struct orch_api_static {
  pthread_mutex_t mu;
  char root[ROOT_MAX];   /* "" while no built console is found */
  bool explicit_dir;     /* server.web_dir was set: never looked for elsewhere */
  const char *const *search;
  char csp[1024];
  bool hsts;
};

const char *const *orch_api_static_defaults(void) {
  static const char *const dirs[] = {ORCH_WEB_SOURCE_DIST, ORCH_WEB_INSTALL_DIR, NULL};
  return dirs;
}

static bool has_index(const char *dir) {
  char p[ROOT_MAX + 16];
  if (!*dir || (size_t)snprintf(p, sizeof p, "%s/index.html", dir) >= sizeof p) return false;
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Look in the default places; caller holds s->mu. */
static void find_root(struct orch_api_static *s) {
  if (s->root[0] || s->explicit_dir) return;
  for (const char *const *d = s->search; *d; d++) {
    if (has_index(*d) && strlen(*d) < sizeof s->root) {
      snprintf(s->root, sizeof s->root, "%s", *d);
      orch_log_debug("console: serving %s", s->root);
      return;
    }
  }
}

int orch_api_static_new(const struct orch_api_static_config *cfg, struct orch_api_static **out,
                        struct orch_error *err) {
  const char *dir = cfg->web_dir ? cfg->web_dir : "";
  if (strlen(dir) >= ROOT_MAX) return orch_error_setc(err, ORCH_ECONFIG, "server.web_dir", "the path is too long");
  if (*dir && !has_index(dir))
    return orch_error_setc(err, ORCH_ECONFIG, "server.web_dir",
                           "'%s' has no index.html: build the console (make run, or npm ci && npm run build in web/) "
                           "and point server.web_dir at web/dist, or leave it empty",
                           dir);
  const char *cognito = cfg->cognito_domain ? cfg->cognito_domain : "";
  if (strpbrk(cognito, " ;'\"\r\n"))
    return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_domain", "'%.200s' is not an address", cognito);
  struct orch_api_static *s = orch_calloc(1, sizeof *s);
  if (!s) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  pthread_mutex_init(&s->mu, NULL);
  s->explicit_dir = *dir != '\0';
  s->search = cfg->search ? cfg->search : orch_api_static_defaults();
  snprintf(s->root, sizeof s->root, "%s", dir);
  s->hsts = cfg->hsts;
  /* Scripts, styles, images and fonts from this origin only; the API on this origin (and Cognito's token
   * endpoint for the PKCE exchange); no frames, no plugins, no <base>, forms only to this origin. CloudScape
   * and CodeMirror set styles from script, hence 'unsafe-inline' for styles (never for scripts). */
  int w = snprintf(s->csp, sizeof s->csp,
                   "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                   "font-src 'self' data:; connect-src 'self'%s%s; manifest-src 'self'; base-uri 'none'; "
                   "form-action 'self'; frame-ancestors 'none'",
                   *cognito ? " " : "", cognito);
  if (w < 0 || (size_t)w >= sizeof s->csp) {
    orch_api_static_free(s);
    return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_domain", "the address is too long");
  }
  pthread_mutex_lock(&s->mu);
  find_root(s);
  pthread_mutex_unlock(&s->mu);
  *out = s;
  return 0;
}

void orch_api_static_free(struct orch_api_static *s) {
  if (!s) return;
  pthread_mutex_destroy(&s->mu);
  orch_free(s);
}

void orch_api_static_root(struct orch_api_static *s, char *out, size_t n) {
  pthread_mutex_lock(&s->mu);
  find_root(s);
  snprintf(out, n, "%s", s->root);
  pthread_mutex_unlock(&s->mu);
}

/* ---- Answers --------------------------------------------------------------------------------- */

static const struct {
  const char *ext, *type;
  bool compressible;
} types[] = {
  {".html", "text/html; charset=utf-8", true},        {".js", "text/javascript; charset=utf-8", true},
  {".mjs", "text/javascript; charset=utf-8", true},   {".css", "text/css; charset=utf-8", true},
  {".json", "application/json", true},                {".map", "application/json", true},
  {".svg", "image/svg+xml", true},                    {".png", "image/png", false},
  {".jpg", "image/jpeg", false},                      {".ico", "image/x-icon", false},
  {".woff2", "font/woff2", false},                    {".woff", "font/woff", false},
  {".ttf", "font/ttf", false},                        {".txt", "text/plain; charset=utf-8", true},
  {".webmanifest", "application/manifest+json", true}, {".wasm", "application/wasm", false},
};

static int type_of(const char *path) {
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  if (!dot || (slash && dot < slash)) return -1;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(dot, types[i].ext) == 0) return (int)i;
  return -2; /* an extension we do not serve */
}

static void header(struct orch_api_response *r, const char *name, const char *value) {
  if (orch_buf_printf(&r->headers, "%s: %s\r\n", name, value))
    orch_log_warn("console: the %s header was cut short (out of memory)", name);
}

static void security_headers(const struct orch_api_static *s, struct orch_api_response *r, bool page) {
  header(r, "X-Content-Type-Options", "nosniff");
  header(r, "X-Frame-Options", "DENY");
  header(r, "Referrer-Policy", "no-referrer");
  header(r, "Cross-Origin-Opener-Policy", "same-origin");
  header(r, "Content-Security-Policy", page ? s->csp : "default-src 'none'; frame-ancestors 'none'");
  if (s->hsts) header(r, "Strict-Transport-Security", "max-age=31536000");
}

/* An answer in the API's error envelope. */
ORCH_PRINTF(5, 6)
static void envelope(const struct orch_api_static *s, struct orch_api_response *r, int status, const char *code,
                     const char *fmt, ...) {
  char msg[PATH_MAX_LEN + 128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap); /* cut short on purpose: a message, not an identifier */
  va_end(ap);
  orch_buf_reset(&r->body);
  orch_buf_reset(&r->headers);
  r->status = status;
  r->content_type = "application/json";
  json_t *e = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg, "request_id", r->request_id);
  if (!e || orch_json_dump(&r->body, e, JSON_COMPACT) || orch_buf_putc(&r->body, '\n')) {
    orch_buf_reset(&r->body);
    r->status = 503;
  }
  json_decref(e);
  header(r, "Cache-Control", "no-store");
  security_headers(s, r, false);
}

static void not_built(const struct orch_api_static *s, struct orch_api_response *r) {
  static const char page[] =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>DRS Orchestrator: console not built</title>"
      "</head>\n<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\n"
      "<h1>The console is not built</h1>\n"
      "<p>This server runs, and its REST API answers at <a href=\"/api/v1/health\">/api/v1</a>, but it found no built "
      "web console to serve.</p>\n"
      "<p>Build it with <code>make run</code> (or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>), "
      "then reload this page. A console built elsewhere is served from the directory named by the "
      "<code>server.web_dir</code> setting.</p>\n</body></html>\n";
  orch_buf_reset(&r->body);
  r->status = 503;
  r->content_type = "text/html; charset=utf-8";
  if (orch_buf_append(&r->body, page, sizeof page - 1)) r->body.len = 0;
  header(r, "Cache-Control", "no-store");
  header(r, "Retry-After", "5");
  security_headers(s, r, false);
}

/* Percent-decode the path and refuse what could leave the directory or name a hidden file. */
static bool clean_path(const char *raw, char *out, size_t n) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  bool ok = raw[0] == '/' && !orch_str_uri_decode(&b, raw, strlen(raw), false) && b.len < n;
  if (ok) {
    memcpy(out, b.data ? b.data : "", b.len);
    out[b.len] = '\0';
    for (size_t i = 0; i < b.len && ok; i++) {
      unsigned char ch = (unsigned char)out[i];
      if (ch < 0x20 || ch == 0x7f || ch == '\\') ok = false;
      if (ch == '/' && out[i + 1] == '.') ok = false; /* ".", "..", ".git", ".env" */
      if (ch == '/' && out[i + 1] == '/') ok = false;
    }
  }
  orch_buf_free(&b);
  return ok;
}

/* Read a regular file (no symlink at the last step) into r->body. 0, or an errno. */
static int read_file(const char *path, struct orch_api_response *r) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) rc = errno;
  else if (!S_ISREG(st.st_mode)) rc = ENOENT;
  else if (st.st_size > ORCH_API_STATIC_FILE_MAX) rc = EFBIG;
  else if (orch_buf_reserve(&r->body, (size_t)st.st_size + 1)) rc = ENOMEM;
  while (!rc && r->body.len < (size_t)st.st_size) {
    ssize_t got = read(fd, r->body.data + r->body.len, (size_t)st.st_size - r->body.len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) rc = got < 0 ? errno : EIO;
    else r->body.len += (size_t)got;
  }
  close(fd);
  if (rc) orch_buf_reset(&r->body);
  return rc;
}

/* Accept-Encoding names gzip without q=0. */
static bool accepts_gzip(const char *ae) {
  for (const char *p = ae; p && *p;) {
    while (*p == ' ' || *p == ',') p++;
    size_t n = strcspn(p, ",");
    size_t name = strcspn(p, ";, ");
    if (name == 4 && strncasecmp(p, "gzip", 4) == 0) {
      const char *q = memchr(p, ';', n);
      if (!q) return true;
      while (*++q == ' ') {}
      if (strncasecmp(q, "q=", 2) != 0) return true;
      q += 2;
      bool zero = *q == '0';
      for (q++; zero && q < p + n && *q != ' '; q++)
        if (*q != '.' && *q != '0') zero = false;
      return !zero;
    }
    p += n;
  }
  return false;
}

void orch_api_static_handle(struct orch_api_static *s, const char *method, const char *path,
                            const char *accept_encoding, struct orch_api_response *resp) {
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    envelope(s, resp, 405, "MethodNotAllowed", "%s is not allowed on the console's files (allowed: GET, HEAD)", method);
    header(resp, "Allow", "GET, HEAD");
    return;
  }
  char rel[PATH_MAX_LEN];
  if (!clean_path(path, rel, sizeof rel)) {
    envelope(s, resp, 404, "NotFound", "no such file: %s", "the path is not one the console serves");
    return;
  }
  char root[ROOT_MAX];
  orch_api_static_root(s, root, sizeof root);
  int type = type_of(rel);
  if (!root[0]) {
    if (type == -1) not_built(s, resp);
    else envelope(s, resp, 404, "NotFound", "no such file: %s (the console is not built)", rel);
    return;
  }
  bool asset = strncmp(rel, "/assets/", 8) == 0;
  char full[ROOT_MAX + PATH_MAX_LEN + 16];
  const char *file = rel;
  bool route = false;
  if (type == -1 || strcmp(rel, "/") == 0) { /* the console's own route: its index.html */
    file = "/index.html";
    type = type_of(file);
    route = true;
  }
  if (type < 0) {
    envelope(s, resp, 404, "NotFound", "no such file: %s", rel);
    return;
  }
  bool gz = types[type].compressible && accepts_gzip(accept_encoding);
  int rc = ENOENT;
  if (gz) {
    snprintf(full, sizeof full, "%s%s.gz", root, file);
    rc = read_file(full, resp);
  }
  if (rc) {
    gz = false;
    snprintf(full, sizeof full, "%s%s", root, file);
    rc = read_file(full, resp);
  }
  if (rc) {
    if (rc == EFBIG) envelope(s, resp, 503, "ServiceUnavailable", "%s is too large to serve", rel);
    else if (rc == ENOENT || rc == ENOTDIR || rc == ELOOP) envelope(s, resp, 404, "NotFound", "no such file: %s", rel);
    else envelope(s, resp, 503, "ServiceUnavailable", "%s cannot be read", rel);
    return;
  }
  resp->status = 200;
  resp->content_type = types[type].type;
  /* hashed file names change with their content: cache them for good; anything else is revalidated */
  header(resp, "Cache-Control", asset && !route ? "public, max-age=31536000, immutable" : "no-cache");
  if (types[type].compressible) header(resp, "Vary", "Accept-Encoding");
  if (gz) header(resp, "Content-Encoding", "gzip");
  security_headers(s, resp, true);
}
