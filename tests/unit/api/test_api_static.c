/* test_api_static: the console's files served beside the API, without a socket: content types, caching
 * (hashed assets immutable, the rest revalidated), the SPA fallback for the console's own routes, 404 in the
 * API's envelope for a missing file, every way out of the directory refused (dot segments encoded or not,
 * dot-files, backslashes, control characters, a symlink), precompressed gzip when accepted, GET and HEAD only,
 * the CSP (with Cognito's token endpoint when configured), and the "not built" page until a build appears.
 * Uses orch_api_static, Criterion. */
#include <criterion/criterion.h>

#include "scratch_dir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/orch_api_static.h"
#include "core/orch_json.h"

static char dir[64];
static char outside[128];

static void put(const char *rel, const char *text) {
  char p[256];
  snprintf(p, sizeof p, "%s%s", dir, rel);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f, "%s", p);
  fputs(text, f);
  fclose(f);
}

static void setup(void) {
  orch_json_init();
  scratch_dir_make(dir, sizeof dir, "/tmp", "static");
  char p[256];
  snprintf(p, sizeof p, "%s/assets", dir);
  cr_assert_eq(mkdir(p, 0755), 0);
  put("/index.html", "<!doctype html><title>console</title>");
  put("/favicon.svg", "<svg/>");
  put("/assets/index-Ab12.js", "console.log('plain')");
  put("/assets/index-Ab12.js.gz", "GZIPPED-BYTES");
  put("/assets/index-Ab12.css", "body{}");
  put("/.env", "SECRET=1");
  snprintf(outside, sizeof outside, "%s-outside.txt", dir);
  FILE *f = fopen(outside, "w");
  cr_assert_not_null(f);
  fputs("outside the console", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/assets/link.js", dir);
  cr_assert_eq(symlink(outside, p), 0);
}

static void teardown(void) {
  scratch_dir_remove(dir);
  cr_assert_eq(remove(outside), 0, "%s", outside);
}

TestSuite(web, .init = setup, .fini = teardown);

struct got {
  struct orch_api_response r;
  char header[512];
};

static struct orch_api_static *open_dir(const char *web_dir, const char *cognito, const char *const *search) {
  struct orch_api_static *s = NULL;
  struct orch_error err = {0};
  struct orch_api_static_config c = {.web_dir = web_dir, .cognito_domain = cognito, .search = search};
  cr_assert_eq(orch_api_static_new(&c, &s, &err), 0, "%s", err.message);
  return s;
}

static void ask(struct orch_api_static *s, struct got *g, const char *method, const char *path, const char *ae) {
  orch_api_response_release(&g->r);
  orch_api_response_init(&g->r);
  orch_api_static_handle(s, method, path, ae, &g->r);
}

static const char *hdr(struct got *g, const char *name) {
  return orch_api_response_header(&g->r, name, g->header, sizeof g->header) ? g->header : "";
}

static const char *body(struct got *g) {
  static char b[4096];
  snprintf(b, sizeof b, "%.*s", (int)g->r.body.len, g->r.body.data ? g->r.body.data : "");
  return b;
}

static void not_found(struct orch_api_static *s, struct got *g, const char *path) {
  ask(s, g, "GET", path, NULL);
  cr_assert_eq(g->r.status, 404, "%s: %d %s", path, g->r.status, body(g));
  cr_assert_str_eq(g->r.content_type, "application/json", "%s", path);
  json_t *j = orch_json_parse(g->r.body.data, g->r.body.len, 0, NULL);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "NotFound", "%s", path);
  json_decref(j);
  cr_assert_null(strstr(body(g), "outside the console"));
  cr_assert_null(strstr(body(g), "SECRET"));
}

Test(web, files_types_and_caching) {
  struct orch_api_static *s = open_dir(dir, "", NULL);
  struct got g = {0};
  orch_api_response_init(&g.r);
  ask(s, &g, "GET", "/", NULL);
  cr_assert_eq(g.r.status, 200);
  cr_assert_str_eq(g.r.content_type, "text/html; charset=utf-8");
  cr_assert_str_eq(body(&g), "<!doctype html><title>console</title>");
  cr_assert_str_eq(hdr(&g, "Cache-Control"), "no-cache");
  cr_assert_str_eq(hdr(&g, "X-Content-Type-Options"), "nosniff");
  cr_assert_str_eq(hdr(&g, "X-Frame-Options"), "DENY");
  cr_assert_str_eq(hdr(&g, "Referrer-Policy"), "no-referrer");
  cr_assert(strstr(hdr(&g, "Content-Security-Policy"), "script-src 'self'") &&
            strstr(hdr(&g, "Content-Security-Policy"), "connect-src 'self';") &&
            strstr(hdr(&g, "Content-Security-Policy"), "frame-ancestors 'none'"), "%s", g.header);
  cr_assert_null(strstr(hdr(&g, "Content-Security-Policy"), "unsafe-eval"));
  cr_assert_null(strstr(hdr(&g, "Content-Security-Policy"), "script-src 'self' 'unsafe-inline'"));

  ask(s, &g, "GET", "/assets/index-Ab12.js", NULL);
  cr_assert_eq(g.r.status, 200);
  cr_assert_str_eq(g.r.content_type, "text/javascript; charset=utf-8");
  cr_assert_str_eq(hdr(&g, "Cache-Control"), "public, max-age=31536000, immutable");
  cr_assert_str_eq(body(&g), "console.log('plain')");
  ask(s, &g, "GET", "/assets/index-Ab12.css", NULL);
  cr_assert_str_eq(g.r.content_type, "text/css; charset=utf-8");
  ask(s, &g, "GET", "/favicon.svg", NULL);
  cr_assert_str_eq(g.r.content_type, "image/svg+xml");
  cr_assert_str_eq(hdr(&g, "Cache-Control"), "no-cache", "not hashed: revalidated");

  /* gzip beside the file, when accepted (and not with q=0) */
  ask(s, &g, "GET", "/assets/index-Ab12.js", "br, gzip, deflate");
  cr_assert_str_eq(body(&g), "GZIPPED-BYTES");
  cr_assert_str_eq(hdr(&g, "Content-Encoding"), "gzip");
  cr_assert_str_eq(hdr(&g, "Vary"), "Accept-Encoding");
  ask(s, &g, "GET", "/assets/index-Ab12.js", "gzip;q=0, identity");
  cr_assert_str_eq(body(&g), "console.log('plain')");
  cr_assert_str_eq(hdr(&g, "Content-Encoding"), "");
  ask(s, &g, "GET", "/assets/index-Ab12.css", "gzip");
  cr_assert_str_eq(body(&g), "body{}", "no .gz beside it: the file itself");

  /* HEAD: the same answer (the transport leaves out the body); other methods: 405 with Allow */
  ask(s, &g, "HEAD", "/", NULL);
  cr_assert_eq(g.r.status, 200);
  ask(s, &g, "POST", "/", NULL);
  cr_assert_eq(g.r.status, 405);
  cr_assert_str_eq(hdr(&g, "Allow"), "GET, HEAD");
  orch_api_response_release(&g.r);
  orch_api_static_free(s);
}

Test(web, the_consoles_routes_get_index_html) {
  struct orch_api_static *s = open_dir(dir, "", NULL);
  struct got g = {0};
  orch_api_response_init(&g.r);
  const char *routes[] = {"/plans", "/plans/01a23b4c-eb09-7273-a074-6a5a09011f03", "/executions/x/report", "/settings/tokens",
                          "/sign-in", "/assets/"};
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    ask(s, &g, "GET", routes[i], NULL);
    cr_assert_eq(g.r.status, 200, "%s", routes[i]);
    cr_assert_str_eq(body(&g), "<!doctype html><title>console</title>", "%s", routes[i]);
    cr_assert_str_eq(hdr(&g, "Cache-Control"), "no-cache", "%s", routes[i]);
  }
  not_found(s, &g, "/assets/index-Gone.js");
  not_found(s, &g, "/robots.txt");
  not_found(s, &g, "/x.php"); /* an extension the console never serves */
  orch_api_response_release(&g.r);
  orch_api_static_free(s);
}

Test(web, nothing_outside_the_directory) {
  struct orch_api_static *s = open_dir(dir, "", NULL);
  struct got g = {0};
  orch_api_response_init(&g.r);
  char up[256];
  snprintf(up, sizeof up, "/../%s", strrchr(outside, '/') + 1);
  const char *paths[] = {up, "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fetc%2fpasswd", "/assets/%2e%2e/index.html",
                         "/./index.html", "/.env", "/%2eenv", "/assets\\..\\index.html", "/assets/%5c..%5cindex.html",
                         "/index.html%00.js", "/a%0d%0aSet-Cookie:x", "//etc/passwd", "/assets/link.js", "/%zz", "relative"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) not_found(s, &g, paths[i]);
  orch_api_response_release(&g.r);
  orch_api_static_free(s);
}

Test(web, cognito_in_the_csp_and_hsts) {
  struct orch_api_static *s = NULL;
  struct orch_error err = {0};
  struct orch_api_static_config c = {.web_dir = dir, .cognito_domain = "https://drs.auth.eu-west-1.amazoncognito.com", .hsts = true};
  cr_assert_eq(orch_api_static_new(&c, &s, &err), 0, "%s", err.message);
  struct got g = {0};
  orch_api_response_init(&g.r);
  ask(s, &g, "GET", "/", NULL);
  cr_assert(strstr(hdr(&g, "Content-Security-Policy"), "connect-src 'self' https://drs.auth.eu-west-1.amazoncognito.com;"), "%s", g.header);
  cr_assert_str_eq(hdr(&g, "Strict-Transport-Security"), "max-age=31536000");
  orch_api_response_release(&g.r);
  orch_api_static_free(s);
  c.cognito_domain = "https://x'; script-src *";
  cr_assert_eq(orch_api_static_new(&c, &s, &err), ORCH_ECONFIG);
  cr_assert_str_eq(err.context, "auth.cognito_domain");
}

Test(web, an_explicit_directory_must_hold_a_build) {
  struct orch_api_static *s = NULL;
  struct orch_error err = {0};
  char p[128];
  snprintf(p, sizeof p, "%s/assets", dir);
  struct orch_api_static_config c = {.web_dir = p};
  cr_assert_eq(orch_api_static_new(&c, &s, &err), ORCH_ECONFIG);
  cr_assert_str_eq(err.context, "server.web_dir");
  cr_assert(strstr(err.message, "no index.html"), "%s", err.message);
}

Test(web, not_built_says_so_until_a_build_appears) {
  char later[128];
  snprintf(later, sizeof later, "%s/later", dir);
  const char *const search[] = {"/nonexistent/web/dist", later, NULL};
  struct orch_api_static *s = open_dir("", "", search);
  struct got g = {0};
  orch_api_response_init(&g.r);
  char root[256];
  orch_api_static_root(s, root, sizeof root);
  cr_assert_str_eq(root, "");
  ask(s, &g, "GET", "/plans", NULL);
  cr_assert_eq(g.r.status, 503);
  cr_assert_str_eq(g.r.content_type, "text/html; charset=utf-8");
  cr_assert(strstr(body(&g), "The console is not built") && strstr(body(&g), "make run"), "%s", body(&g));
  not_found(s, &g, "/assets/index-Ab12.js");
  cr_assert_eq(mkdir(later, 0755), 0);
  put("/later/index.html", "<!doctype html><title>built later</title>");
  ask(s, &g, "GET", "/", NULL);
  cr_assert_eq(g.r.status, 200);
  cr_assert_str_eq(body(&g), "<!doctype html><title>built later</title>");
  orch_api_static_root(s, root, sizeof root);
  cr_assert_str_eq(root, later);
  orch_api_response_release(&g.r);
  orch_api_static_free(s);
}
