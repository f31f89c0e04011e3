/* cli_ctl_http: libcurl requests for `drsorch ctl` and `watch`: the journal read page by page, then the
 * Server-Sent Events stream after the last event (reconnecting with Last-Event-ID when it drops), each event
 * folded into the state (orch_exec_apply) and handed to the progress display, whose clock follows the
 * events' times. Uses libcurl, cli_progress, orch_exec_state, orch_json, orch_time. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_ctl.h"
#include "cli/cli_progress.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_time.h"
#include "exec/orch_exec_state.h"

#define RECONNECTS_MAX 30

struct ctl_conn {
  CURL *curl;
  char url[512];
  char auth[600];
};

int cli_ctl_open(const char *url, const char *token, struct ctl_conn **out, struct orch_error *err) {
  struct ctl_conn *c = orch_calloc(1, sizeof *c);
  if (!c || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c->curl = curl_easy_init())) {
    orch_free(c);
    return orch_error_set(err, ORCH_ENOMEM, "cannot set up an HTTP client");
  }
  size_t n = strlen(url);
  snprintf(c->url, sizeof c->url, "%.*s", (int)(n && url[n - 1] == '/' ? n - 1 : n), url);
  if (token && *token) snprintf(c->auth, sizeof c->auth, "Authorization: Bearer %s", token);
  *out = c;
  return 0;
}

void cli_ctl_close(struct ctl_conn *c) {
  if (!c) return;
  curl_easy_cleanup(c->curl);
  orch_free(c);
}

static size_t to_buf(char *p, size_t size, size_t n, void *ctx) {
  return orch_buf_append(ctx, p, size * n) ? 0 : size * n;
}

/* Set up the common parts of a request; the header list is the caller's to free. */
static struct curl_slist *prepare(struct ctl_conn *c, const char *method, const char *path, const char *accept,
                                  const char *body) {
  char url[1200], acc[80];
  snprintf(url, sizeof url, "%s%s", c->url, path);
  snprintf(acc, sizeof acc, "Accept: %s", accept);
  curl_easy_reset(c->curl);
  struct curl_slist *h = curl_slist_append(NULL, acc);
  if (c->auth[0]) h = curl_slist_append(h, c->auth);
  if (body) h = curl_slist_append(h, "Content-Type: application/json");
  curl_easy_setopt(c->curl, CURLOPT_URL, url);
  curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  if (body) curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
  return h;
}

int cli_ctl_request(struct ctl_conn *c, const char *method, const char *path, const json_t *body, json_t **out,
                    struct orch_error *err) {
  struct orch_buf resp = ORCH_BUF_INIT(0), req = ORCH_BUF_INIT(0);
  *out = NULL;
  if (body && orch_json_dump(&req, body, JSON_COMPACT)) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  struct curl_slist *h = prepare(c, method, path, "application/json", body ? orch_buf_cstr(&req) : NULL);
  curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 120000L);
  curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, to_buf);
  curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp);
  CURLcode cc = curl_easy_perform(c->curl);
  long status = 0;
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  int rc = 0;
  json_t *j = resp.len ? orch_json_parse(resp.data, resp.len, 0, NULL) : NULL;
  if (cc != CURLE_OK) {
    rc = orch_error_set(err, ORCH_ECONN, "cannot reach %s: %s", c->url, curl_easy_strerror(cc));
  } else if (status < 200 || status > 299) {
    const json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code")), *msg = json_string_value(json_object_get(e, "message"));
    rc = orch_error_set(err, status == 401 || status == 403 ? ORCH_EPERM : status == 404 ? ORCH_ENOTFOUND : ORCH_ESTATE,
                        "HTTP %ld %s: %s", status, code ? code : "", msg ? msg : "the server gave no reason");
  } else if (resp.len && !j) {
    rc = orch_error_set(err, ORCH_EPARSE, "%s %s: the answer is not JSON", method, path);
  } else {
    *out = j;
    j = NULL;
  }
  json_decref(j);
  orch_buf_free(&resp);
  orch_buf_free(&req);
  return rc;
}

/* ---- watch ----------------------------------------------------------------------------------- */

struct watch {
  struct ctl_conn *c;
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_exec_state st;
  struct cli_progress *progress;
  int64_t last_at_ms;
  bool finished, dropped, broken, live;
  char outcome[32];
  struct orch_buf line; /* the SSE text not yet parsed */
};

static int64_t follow_now(void *ctx) { return ((struct watch *)ctx)->last_at_ms; }
static int64_t follow_mono(void *ctx) {
  (void)ctx;
  return orch_clock_mono_ns(orch_clock_real());
}
static const struct orch_clock_ops follow_ops = {.now_ms = follow_now, .mono_ns = follow_mono};

/* Fold one event ({seq, at, type, data}) into the state, then tell the progress when live. */
static void apply(struct watch *w, const json_t *ev) {
  int64_t seq = json_integer_value(json_object_get(ev, "seq")), at = 0;
  const char *type = json_string_value(json_object_get(ev, "type"));
  const json_t *data = json_object_get(ev, "data");
  if (!type || seq != w->st.seq + 1 || orch_time_parse_iso8601(json_string_value(json_object_get(ev, "at")), &at)) return;
  struct orch_exec_event e = {.seq = seq, .at_ms = at, .type = type, .data = json_is_null(data) ? NULL : data};
  struct orch_error err = {0};
  if (orch_exec_apply(&w->st, &e, &err)) {
    fprintf(stderr, "drsorch ctl: event %lld (%s) does not fold: %s\n", (long long)seq, type, err.message);
    w->broken = true;
    return;
  }
  if (at > w->last_at_ms) w->last_at_ms = at;
  if (strcmp(type, "ExecutionEnded") == 0) snprintf(w->outcome, sizeof w->outcome, "%s", json_string_value(json_object_get(data, "status")) ? json_string_value(json_object_get(data, "status")) : "");
  if (w->live) cli_progress_listener(w->progress, &w->st, seq, at, type, e.data);
}

/* The journal so far, page by page, folded without drawing. */
static int fold_pages(struct watch *w, struct orch_error *err) {
  char cursor[32] = "1";
  while (cursor[0] && !w->broken) {
    char path[200];
    snprintf(path, sizeof path, "/api/v1/executions/%s/events?limit=1000&cursor=%s", w->id, cursor);
    json_t *page = NULL;
    int rc = cli_ctl_request(w->c, "GET", path, NULL, &page, err);
    if (rc) return rc;
    size_t i;
    const json_t *ev;
    json_array_foreach(json_object_get(page, "items"), i, ev) apply(w, ev);
    const char *next = json_string_value(json_object_get(page, "next_cursor"));
    snprintf(cursor, sizeof cursor, "%s", next ? next : "");
    if (!next) w->finished = json_is_true(json_object_get(page, "finished"));
    json_decref(page);
  }
  return w->broken ? orch_error_set(err, ORCH_EVALIDATION, "the journal of %s could not be folded", w->id) : 0;
}

/* One SSE event block (lines up to a blank line). */
static void sse_block(struct watch *w, char *block) {
  const char *event = "message";
  char *data = NULL;
  for (char *p = block; p && *p;) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    if (strncmp(p, "event: ", 7) == 0) event = p + 7;
    else if (strncmp(p, "data: ", 6) == 0) data = p + 6;
    p = nl ? nl + 1 : NULL;
  }
  if (strcmp(event, "end") == 0) w->finished = true;
  else if (strcmp(event, "dropped") == 0) w->dropped = true;
  else if (data) {
    json_t *ev = orch_json_parse(data, strlen(data), 0, NULL);
    if (ev) apply(w, ev);
    json_decref(ev);
  }
}

static size_t sse_write(char *p, size_t size, size_t n, void *ctx) {
  struct watch *w = ctx;
  if (orch_buf_append(&w->line, p, size * n)) return 0;
  for (;;) {
    char *text = w->line.data, *end = w->line.len ? strstr(text, "\n\n") : NULL;
    if (!end) break;
    *end = '\0';
    sse_block(w, text);
    size_t used = (size_t)(end - text) + 2;
    memmove(text, text + used, w->line.len - used);
    orch_buf_truncate(&w->line, w->line.len - used);
  }
  cli_progress_render(w->progress);
  return size * n;
}

/* Called by curl while the stream is idle: the progress keeps being drawn. */
static int sse_idle(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)a, (void)b, (void)c, (void)d;
  struct watch *w = ctx;
  cli_progress_render(w->progress);
  return 0;
}

/* The stream after the last event folded; false when it ended without the execution finishing. */
static void stream(struct watch *w) {
  char path[160], last[48];
  snprintf(path, sizeof path, "/api/v1/executions/%s/events", w->id);
  snprintf(last, sizeof last, "Last-Event-ID: %lld", (long long)w->st.seq);
  struct curl_slist *h = prepare(w->c, "GET", path, "text/event-stream", NULL);
  h = curl_slist_append(h, last);
  curl_easy_setopt(w->c->curl, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(w->c->curl, CURLOPT_WRITEFUNCTION, sse_write);
  curl_easy_setopt(w->c->curl, CURLOPT_WRITEDATA, w);
  curl_easy_setopt(w->c->curl, CURLOPT_XFERINFOFUNCTION, sse_idle);
  curl_easy_setopt(w->c->curl, CURLOPT_XFERINFODATA, w);
  curl_easy_setopt(w->c->curl, CURLOPT_NOPROGRESS, 0L);
  orch_buf_reset(&w->line);
  CURLcode cc = curl_easy_perform(w->c->curl);
  long status = 0;
  curl_easy_getinfo(w->c->curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  if (cc != CURLE_OK || status != 200) cli_progress_note(w->progress, "event stream interrupted (%s); reconnecting",
                                                          cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP error");
}

int cli_ctl_watch(struct ctl_conn *c, const char *id) {
  struct watch w = {.c = c, .line = ORCH_BUF_INIT(0)};
  snprintf(w.id, sizeof w.id, "%s", id);
  orch_exec_state_init(&w.st);
  struct orch_clock follow = {.ops = &follow_ops, .ctx = &w};
  struct cli_progress_options po = {.out = stdout, .tty = isatty(STDOUT_FILENO) != 0, .clock = &follow,
                                    .footer = "  (Ctrl-C stops watching; the execution carries on)"};
  struct orch_error err = {0};
  int status = CLI_EXIT_FAIL;
  if (cli_progress_new(&po, &w.progress)) {
    orch_error_set(&err, ORCH_ENOMEM, "out of memory");
    cli_fail(&err);
    goto out;
  }
  if (fold_pages(&w, &err)) {
    cli_fail(&err);
    goto out;
  }
  cli_progress_seed(w.progress, &w.st);
  w.live = true;
  for (int tries = 0; !w.finished && !w.broken && tries < RECONNECTS_MAX; tries++) {
    int64_t before = w.st.seq;
    w.dropped = false;
    stream(&w);
    if (w.st.seq > before) tries = 0;
    if (!w.finished && !w.dropped) sleep(1);
  }
  cli_progress_end(w.progress);
  if (!w.finished) {
    fprintf(stderr, "drsorch ctl: lost the event stream of %s; 'drsorch ctl executions watch %s' resumes\n", id, id);
    goto out;
  }
  printf("execution %s: %s%s\n", id, w.outcome[0] ? w.outcome : orch_exec_status_name(w.st.status),
         w.st.mode == ORCH_MODE_DRILL && w.st.status == ORCH_EXEC_CLEANED ? ", recovery instances cleaned up" : "");
  bool ok = strcmp(w.outcome, "COMPLETED") == 0 && (w.st.mode != ORCH_MODE_DRILL || w.st.status == ORCH_EXEC_CLEANED);
  status = ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
  cli_progress_free(w.progress);
  orch_exec_state_release(&w.st);
  orch_buf_free(&w.line);
  return status;
}
