/* sandbox_runner: runs one attack file from tests/lua/sandbox in the sandbox and checks what its header
 * comment expects:
 *   -- expect: limit | runtime | ok | CODE  the problem code (load) or outcome class (hook)
 *   -- match: TEXT                        a substring of the error message
 *   -- line: N                            the plan line the error must name
 *   -- phase: load | hook                 run while the file loads (default), or as hook "w/after"
 *   -- limits: instructions=N memory=N wall_ms=N json_bytes=N json_depth=N pattern_steps=N calls=N
 *              call_bytes=N result_bytes=N
 *   -- ceiling: LIST                      the operator's aws_allow ceiling (default: the engine's)
 *   -- reached: N                         host calls that must have reached the host (hook phase)
 *   -- forbid: TEXT                       no print or log line, up to the state's end, may contain TEXT
 * A hook runs with the context {name = "w", mode = "drill", servers = {{id = "s-own", instance_id =
 * "i-own"}}, waves = {db = {status = "COMPLETED", servers = {{id = "s-dep", instance_id = "i-dep"}}}}}.
 * The host answers every call at once with {echo = op, args = args}, except w:sleep, which it completes
 * later. Then the runner checks the process is alive, every byte of the state came back, and a sibling
 * state made before the attack is untouched and still works. Exit 0 on success. Uses orch_plan_hook. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"
#include "plan/orch_plan_hook.h"

struct expect {
  char outcome[32], match[256], phase[16], forbid[128], ceiling[512];
  long line, reached;
  struct orch_plan_limits limits;
};

/* Every line printed or logged, for `-- forbid:` (finalizers would print while the state closes). */
static char printed[65536];
static size_t printed_len;
static long host_calls;

static void sink(void *ctx, const char *where, const char *msg) {
  (void)ctx;
  int n = snprintf(printed + printed_len, sizeof printed - printed_len, "%s: %s\n", where, msg);
  if (n > 0) printed_len += (size_t)n < sizeof printed - printed_len ? (size_t)n : sizeof printed - printed_len - 1;
}

static void parse_limits(const char *s, struct orch_plan_limits *l) {
  struct orch_strview parts[16];
  size_t n = orch_str_split((struct orch_strview){s, strlen(s)}, ' ', parts, 16);
  for (size_t i = 0; i < n; i++) {
    char tok[64];
    snprintf(tok, sizeof tok, "%.*s", (int)parts[i].n, parts[i].p);
    char *eq = strchr(tok, '=');
    long long v;
    if (!eq) continue;
    *eq = '\0';
    if (orch_str_to_ll(eq + 1, 0, 1LL << 50, &v)) continue;
    if (strcmp(tok, "instructions") == 0) l->instructions = (uint64_t)v;
    else if (strcmp(tok, "memory") == 0) l->memory = (size_t)v;
    else if (strcmp(tok, "wall_ms") == 0) l->wall_ms = v;
    else if (strcmp(tok, "json_bytes") == 0) l->json_bytes = (size_t)v;
    else if (strcmp(tok, "json_depth") == 0) l->json_depth = (int)v;
    else if (strcmp(tok, "pattern_steps") == 0) l->pattern_steps = (uint64_t)v;
    else if (strcmp(tok, "calls") == 0) l->calls = (size_t)v;
    else if (strcmp(tok, "call_bytes") == 0) l->call_bytes = (size_t)v;
    else if (strcmp(tok, "result_bytes") == 0) l->result_bytes = (size_t)v;
  }
}

static void parse_header(const char *text, struct expect *e) {
  snprintf(e->phase, sizeof e->phase, "load");
  e->reached = -1;
  const char *p = text;
  while (strncmp(p, "--", 2) == 0) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)n, p);
    char *v;
    long long ll;
    if ((v = strstr(line, "expect: "))) snprintf(e->outcome, sizeof e->outcome, "%s", v + 8);
    else if ((v = strstr(line, "match: "))) snprintf(e->match, sizeof e->match, "%s", v + 7);
    else if ((v = strstr(line, "phase: "))) snprintf(e->phase, sizeof e->phase, "%s", v + 7);
    else if ((v = strstr(line, "line: ")) && orch_str_to_ll(v + 6, 0, 1000000, &ll) == 0) e->line = (long)ll;
    else if ((v = strstr(line, "limits: "))) parse_limits(v + 8, &e->limits);
    else if ((v = strstr(line, "ceiling: "))) snprintf(e->ceiling, sizeof e->ceiling, "%s", v + 9);
    else if ((v = strstr(line, "forbid: "))) snprintf(e->forbid, sizeof e->forbid, "%s", v + 8);
    else if ((v = strstr(line, "reached: ")) && orch_str_to_ll(v + 9, 0, 1000000, &ll) == 0) e->reached = (long)ll;
    if (!nl) break;
    p = nl + 1;
  }
}

static int host_call(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
                     struct orch_error *err) {
  (void)ctx;
  (void)hook;
  host_calls++;
  if (strcmp(call->op, "sleep") == 0) return ORCH_PLAN_PENDING;
  *result = json_pack("{s:s, s:O}", "echo", call->op, "args", call->args);
  return *result ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
}
static void host_log(void *ctx, struct orch_plan_hook *hook, const char *level, const char *where, const char *msg) {
  (void)hook;
  (void)level;
  sink(ctx, where, msg);
}
static const struct orch_plan_host_ops ops = {.call = host_call, .log = host_log};

static int fail(const char *file, const char *fmt, ...) ORCH_PRINTF(2, 3);
static int fail(const char *file, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", file);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

/* Outcome of a load: the first problem's code, message and line. */
static int run_load(const char *file, const char *text, const struct expect *e, char *code, size_t codesz, char *msg,
                    size_t msgsz, long *line) {
  struct orch_plan_sandbox_config cfg = {.limits = e->limits, .print = sink, .aws_allow_ceiling = e->ceiling};
  char dir[512];
  snprintf(dir, sizeof dir, "%s", file);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  cfg.module_dir = dir;
  struct orch_plan_source src = {.file = file, .text = text, .len = strlen(text)};
  struct orch_plan_report *r = NULL;
  struct orch_error err = {0};
  if (orch_plan_validate(&cfg, &src, NULL, &r, &err)) return fail(file, "validate failed: %s", err.message);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  snprintf(code, codesz, "%s", p ? json_string_value(json_object_get(p, "code")) : "ok");
  snprintf(msg, msgsz, "%s", p ? json_string_value(json_object_get(p, "message")) : "");
  *line = p ? (long)json_integer_value(json_object_get(p, "line")) : 0;
  orch_plan_report_free(r);
  return 0;
}

static int run_hook(const char *file, const char *text, const struct expect *e, char *code, size_t codesz, char *msg,
                    size_t msgsz, long *line) {
  struct orch_plan_runtime_config cfg = {.host = &ops};
  cfg.sandbox.limits = e->limits;
  cfg.sandbox.print = sink;
  cfg.sandbox.aws_allow_ceiling = e->ceiling;
  struct orch_plan_source src = {.file = file, .text = text, .len = strlen(text)};
  struct orch_plan_runtime *rt = NULL;
  struct orch_error err = {0};
  if (orch_plan_runtime_new(&cfg, &src, &rt, NULL, &err)) return fail(file, "load failed: %s: %s", err.context, err.message);
  json_t *ctx = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:{s:{s:s, s:[{s:s, s:s}]}}}", "name", "w", "mode", "drill",
                          "servers", "id", "s-own", "instance_id", "i-own", "waves", "db", "status", "COMPLETED",
                          "servers", "id", "s-dep", "instance_id", "i-dep");
  struct orch_plan_hook *h = NULL;
  int rc = orch_plan_hook_new(rt, "w/after", ctx, NULL, &h, &err);
  json_decref(ctx);
  if (rc) {
    orch_plan_runtime_free(rt);
    return fail(file, "no hook w/after: %s", err.message);
  }
  enum orch_plan_status st;
  while ((st = orch_plan_hook_resume(h, &err)) == ORCH_PLAN_YIELDED)
    if (orch_plan_hook_complete(h, NULL, NULL)) break;
  snprintf(code, codesz, "%s", st == ORCH_PLAN_DONE ? "ok" : err.code == ORCH_ELIMIT ? "limit" : "runtime");
  snprintf(msg, msgsz, "%s", err.message);
  const char *colon = strrchr(err.context, ':');
  long long ll = 0;
  *line = colon && orch_str_to_ll(colon + 1, 0, 1000000, &ll) == 0 ? (long)ll : 0;
  orch_plan_runtime_free(rt);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sandbox_runner FILE.lua\n");
    return 2;
  }
  orch_json_init();
  const char *file = argv[1];
  struct orch_buf text = ORCH_BUF_INIT(0);
  struct orch_error err = {0};
  if (orch_plan_read_file(file, 1 << 20, &text, &err)) return fail(file, "%s", err.message);
  struct expect e = {0};
  parse_header(orch_buf_cstr(&text), &e);
  if (!e.outcome[0]) return fail(file, "no '-- expect:' header");

  /* A sibling execution, loaded before the attack, must come out untouched. */
  static const char sibling_src[] = "return plan { name = 'sib', waves = { wave 'a' { servers = group 'g' } } }";
  struct orch_plan_sandbox *sib = NULL;
  struct orch_plan_report *sr = NULL;
  struct orch_plan_source ss = {.file = "sibling.lua", .text = sibling_src, .len = sizeof sibling_src - 1};
  if (orch_plan_sandbox_new(NULL, &sib, &err) || orch_plan_compile(sib, &ss, NULL, &sr, &err))
    return fail(file, "sibling: %s", err.message);
  orch_plan_report_free(sr);
  size_t sib_mem = orch_plan_sandbox_memory(sib);

  char code[32], msg[ORCH_ERROR_MESSAGE_MAX];
  long line = 0;
  int rc = strcmp(e.phase, "hook") == 0 ? run_hook(file, orch_buf_cstr(&text), &e, code, sizeof code, msg, sizeof msg, &line)
                                        : run_load(file, orch_buf_cstr(&text), &e, code, sizeof code, msg, sizeof msg, &line);
  orch_buf_free(&text);
  if (rc) return rc;
  printf("%s: %s: %s (line %ld)\n", file, code, msg, line);
  if (strcmp(code, e.outcome) != 0) rc = fail(file, "expected outcome %s, got %s", e.outcome, code);
  if (e.match[0] && !strstr(msg, e.match)) rc = fail(file, "message lacks '%s': %s", e.match, msg);
  if (e.line && line != e.line) {
    char a[32], b[32];
    snprintf(a, sizeof a, "%ld", e.line);
    snprintf(b, sizeof b, "%ld", line);
    rc = fail(file, "expected line %s, got %s", a, b);
  }
  if (e.reached >= 0 && host_calls != e.reached) {
    char a[32], b[32];
    snprintf(a, sizeof a, "%ld", e.reached);
    snprintf(b, sizeof b, "%ld", host_calls);
    rc = fail(file, "expected %s host call(s) to reach the host, got %s", a, b);
  }
  if (e.forbid[0] && strstr(printed, e.forbid)) rc = fail(file, "'%s' was printed:\n%s", e.forbid, printed);
  if (orch_plan_sandbox_memory(sib) != sib_mem) rc = fail(file, "the sibling state changed");
  ss.text = "return plan { name = 'again', waves = { wave 'b' { servers = group 'g' } } }";
  ss.len = strlen(ss.text);
  if (orch_plan_compile(sib, &ss, NULL, &sr, &err) || orch_plan_report_count(sr) != 0)
    rc = fail(file, "the sibling state no longer works");
  orch_plan_report_free(sr);
  orch_plan_sandbox_free(sib);
  if (orch_plan_sandbox_live_bytes() != 0) rc = fail(file, "sandbox memory was not returned");
  if (!rc) printf("1 passed, 0 failed\n");
  return rc;
}
