/* cli_progress: the execution views the listener keeps, the event lines it queues, the bars the main
 * thread draws, and the queue of approvals. Uses orch_exec_state, orch_time, orch_buf, orch_alloc. */
#include "cli/cli_progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_log.h"
#include "core/orch_time.h"

#define LINES_MAX ((size_t)4 << 20) /* queued, not yet printed; past it lines are dropped (and said so) */
#define APPROVALS_MAX 64
#define BAR_WIDTH 20
#define NAME_WIDTH 20

struct pwave {
  char name[ORCH_EXEC_NAME_MAX];
  enum orch_wave_status status;
  size_t total, launched, failed;
  size_t current;   /* servers of the current attempt (a retry relaunches only the failed ones) */
  int attempt;
  char reason[256]; /* why it failed or was skipped */
  bool told_ready;  /* "ready" is said once, not again after a gate opens */
  bool told_final;  /* its verdict (or its cancellation) was said */
  int64_t approve_seq; /* a hook of this wave waits in w:approve: that call's seq (0: none) */
  int64_t ready_ms, completed_ms;
};

struct pexec {
  char id[ORCH_ID_UUID_LEN + 1];
  char plan[ORCH_EXEC_NAME_MAX];
  int64_t version;
  enum orch_exec_mode mode;
  enum orch_exec_status status;
  bool cancel_requested;
  bool resolved; /* the servers are known (preflight resolved them): counts mean something */
  int64_t approve_seq; /* the plan's cleanup hook waits in x:approve: that call's seq (0: none) */
  char label[ORCH_ID_UUID_LEN + 1]; /* the short id shown (cli_progress_label; else 8 of the random tail) */
  int64_t created_ms, started_ms, ended_ms, rto_target_ms;
  struct pwave *waves;
  size_t nwaves;
  char (*servers)[16]; /* the launch status last told, per server */
  size_t nservers;
};

struct cli_progress {
  struct cli_progress_options o;
  pthread_mutex_t mu;
  struct pexec *execs;
  size_t nexecs;
  struct orch_buf lines;
  bool dropped;
  struct cli_approval approvals[APPROVALS_MAX];
  size_t napprovals;
  bool sink;               /* log records come here (cli_progress_new on a terminal) */
  int drawn;               /* lines of the block on screen; main thread only */
  struct orch_buf last;    /* the block as last drawn (main thread only): unchanged, not redrawn */
};

/* A log record while the bars are drawn: printed above them with the events, never through them. Called
 * under the log's lock (which is always taken before mu). */
static void log_sink(void *ctx, enum orch_log_level level, const char *record) {
  struct cli_progress *p = ctx;
  (void)level;
  pthread_mutex_lock(&p->mu);
  size_t mark = p->lines.len;
  if (orch_buf_printf(&p->lines, "%s\n", record)) {
    orch_buf_truncate(&p->lines, mark);
    p->dropped = true;
  }
  pthread_mutex_unlock(&p->mu);
}

static void sink_off(struct cli_progress *p) {
  if (!p->sink) return;
  orch_log_set_sink(NULL, NULL);
  p->sink = false;
}

int cli_progress_new(const struct cli_progress_options *o, struct cli_progress **out) {
  struct cli_progress *p = orch_calloc(1, sizeof *p);
  if (!p) return ORCH_ENOMEM;
  p->o = *o;
  if (!p->o.clock) p->o.clock = orch_clock_real();
  pthread_mutex_init(&p->mu, NULL);
  orch_buf_init(&p->lines, LINES_MAX);
  orch_buf_init(&p->last, 0);
  /* Bars redrawn in place on the terminal that stderr also writes to: the engine's log records would
   * land in the middle of them and the next redraw would erase the wrong lines. */
  if (p->o.tty && isatty(STDERR_FILENO)) {
    orch_log_set_sink(log_sink, p);
    p->sink = true;
  }
  *out = p;
  return 0;
}

void cli_progress_free(struct cli_progress *p) {
  if (!p) return;
  sink_off(p);
  for (size_t i = 0; i < p->napprovals; i++) cli_progress_approval_done(p, &p->approvals[i]);
  for (size_t i = 0; i < p->nexecs; i++) {
    orch_free(p->execs[i].waves);
    orch_free(p->execs[i].servers);
  }
  orch_free(p->execs);
  orch_buf_free(&p->lines);
  orch_buf_free(&p->last);
  pthread_mutex_destroy(&p->mu);
  orch_free(p);
}

/* ---- lines --------------------------------------------------------------------------------------- */

static void short_dur(char *out, size_t n, int64_t ms) {
  orch_duration_format(out, n, ms < 0 ? 0 : ms / 1000 * 1000);
}

/* "s" when n is not 1. */
static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

/* "12:04:31 +3m5s [2e7e] text\n": the time of the event (the engine clock's, UTC; 0: now) and the time
 * since the execution was started (the RTO counts from there). Important lines are printed on a terminal
 * too, above the bars. Caller holds mu. */
static void line(struct cli_progress *p, const struct pexec *x, int64_t at, bool important, const char *fmt, ...)
    ORCH_PRINTF(5, 6);
static void line(struct cli_progress *p, const struct pexec *x, int64_t at, bool important, const char *fmt, ...) {
  if (p->o.tty && !important) return;
  int64_t now = at ? at : orch_clock_now_ms(p->o.clock);
  char iso[ORCH_TIME_ISO_MAX], since[32] = "";
  orch_time_iso8601(iso, now);
  int64_t base = x ? x->created_ms : 0;
  if (base) short_dur(since, sizeof since, now - base);
  size_t mark = p->lines.len;
  int rc = orch_buf_printf(&p->lines, "%.8s %s%s%s", iso + 11, base ? "+" : "", since, base ? " " : "");
  if (!rc && x && p->o.show_ids) rc = orch_buf_printf(&p->lines, "[%s] ", x->label);
  va_list ap;
  va_start(ap, fmt);
  if (!rc) rc = orch_buf_vprintf(&p->lines, fmt, ap);
  va_end(ap);
  if (!rc) rc = orch_buf_putc(&p->lines, '\n');
  if (rc) {
    /* Full (the main thread has not printed for a long while) or out of memory: drop this line. */
    orch_buf_truncate(&p->lines, mark);
    p->dropped = true;
  }
}

void cli_progress_note(struct cli_progress *p, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&p->mu);
  line(p, p->nexecs == 1 ? &p->execs[0] : NULL, 0, true, "%s", text);
  pthread_mutex_unlock(&p->mu);
}

static struct pexec *exec_find(struct cli_progress *p, const char *id);

/* ---- approvals ----------------------------------------------------------------------------------- */

static void approval_push(struct cli_progress *p, const char *exec_id, const char *wave, const char *prompt, bool hook) {
  if (p->napprovals == APPROVALS_MAX) return; /* the prompt is far behind; the engine keeps waiting */
  struct cli_approval *a = &p->approvals[p->napprovals++];
  snprintf(a->exec_id, sizeof a->exec_id, "%s", exec_id);
  snprintf(a->wave, sizeof a->wave, "%s", wave ? wave : "");
  snprintf(a->prompt, sizeof a->prompt, "%s", prompt ? prompt : "");
  a->hook = hook;
  /* Held here, on the scheduler thread, before the engine goes idle: a discrete-event clock would
   * otherwise jump from poll to poll for as long as the operator takes to read the question. */
  a->held = p->o.hold_for_approvals;
  if (a->held) orch_clock_hold(p->o.clock);
}

void cli_progress_approval_done(struct cli_progress *p, const struct cli_approval *a) {
  if (a->held) orch_clock_release(p->o.clock);
}

/* A gate opened (by --approve-all, or elsewhere): no need to ask any more. */
static void approval_drop(struct cli_progress *p, const char *exec_id, const char *wave) {
  size_t k = 0;
  for (size_t i = 0; i < p->napprovals; i++) {
    const struct cli_approval *a = &p->approvals[i];
    if (!a->hook && strcmp(a->exec_id, exec_id) == 0 && strcmp(a->wave, wave) == 0) {
      cli_progress_approval_done(p, a);
      continue;
    }
    p->approvals[k++] = *a;
  }
  p->napprovals = k;
}

bool cli_progress_take_approval(struct cli_progress *p, struct cli_approval *out) {
  pthread_mutex_lock(&p->mu);
  bool any = p->napprovals > 0;
  if (any) {
    *out = p->approvals[0];
    memmove(&p->approvals[0], &p->approvals[1], (p->napprovals - 1) * sizeof p->approvals[0]);
    p->napprovals--;
  }
  pthread_mutex_unlock(&p->mu);
  return any;
}

bool cli_progress_approval_open(struct cli_progress *p, const struct cli_approval *a, char *why, size_t n) {
  bool open = false;
  pthread_mutex_lock(&p->mu);
  const struct pexec *x = exec_find(p, a->exec_id);
  const struct pwave *wv = NULL;
  for (size_t w = 0; x && a->wave[0] && w < x->nwaves && !wv; w++)
    if (strcmp(x->waves[w].name, a->wave) == 0) wv = &x->waves[w];
  if (!x) {
    snprintf(why, n, "the execution is not followed here");
  } else if (a->hook) {
    open = (wv ? wv->approve_seq : x->approve_seq) != 0 && !orch_exec_status_final(x->status);
    if (!open) snprintf(why, n, "the hook is no longer waiting (%s)", orch_exec_status_name(x->status));
  } else if (!wv) {
    snprintf(why, n, "the execution has no wave %s", a->wave);
  } else {
    open = wv->status == ORCH_WAVE_AWAITING_APPROVAL;
    if (!open && wv->status == ORCH_WAVE_FAILED) snprintf(why, n, "wave %s FAILED: %s", wv->name, wv->reason);
    else if (!open) snprintf(why, n, "wave %s is %s", wv->name, orch_wave_status_name(wv->status));
  }
  pthread_mutex_unlock(&p->mu);
  return open;
}

/* A hook waiting in w:approve: the last call of its journal is an approve without a result. */
static bool hook_waits_for_approval(const json_t *calls, const char **message, int64_t *seq) {
  const json_t *last = json_array_get(calls, json_array_size(calls) ? json_array_size(calls) - 1 : 0);
  const char *op = json_string_value(json_object_get(last, "op"));
  if (!op || strcmp(op, "approve") != 0 || json_object_get(last, "result") || json_object_get(last, "error"))
    return false;
  *message = json_string_value(json_object_get(json_object_get(last, "args"), "message"));
  *seq = json_integer_value(json_object_get(last, "seq"));
  return true;
}

/* ---- the views ----------------------------------------------------------------------------------- */

static struct pexec *exec_find(struct cli_progress *p, const char *id) {
  for (size_t i = 0; i < p->nexecs; i++)
    if (strcmp(p->execs[i].id, id) == 0) return &p->execs[i];
  return NULL;
}

/* The default label: 8 characters of the id's random tail (the time prefix is the same for every
 * execution started in the same minute). */
static void default_label(char *out, size_t n, const char *id) {
  const char *dash = strrchr(id, '-');
  snprintf(out, n, "%.8s", dash ? dash + 1 : id);
}

static struct pexec *exec_add(struct cli_progress *p, const char *id) {
  struct pexec *n = orch_realloc(p->execs, (p->nexecs + 1) * sizeof *n);
  if (!n) return NULL;
  p->execs = n;
  struct pexec *x = &p->execs[p->nexecs++];
  memset(x, 0, sizeof *x);
  snprintf(x->id, sizeof x->id, "%s", id);
  default_label(x->label, sizeof x->label, id);
  return x;
}

void cli_progress_label(struct cli_progress *p, const char *exec_id, const char *label) {
  pthread_mutex_lock(&p->mu);
  struct pexec *x = exec_find(p, exec_id);
  if (!x) x = exec_add(p, exec_id); /* seen before its first event: the events fill it in */
  if (x) snprintf(x->label, sizeof x->label, "%s", label);
  pthread_mutex_unlock(&p->mu);
}

/* Grow the wave and server arrays to the state's; new entries start PENDING / not launched. */
static int exec_fit(struct pexec *x, const struct orch_exec_state *st) {
  if (st->nwaves > x->nwaves) {
    struct pwave *w = orch_realloc(x->waves, st->nwaves * sizeof *w);
    if (!w) return ORCH_ENOMEM;
    memset(w + x->nwaves, 0, (st->nwaves - x->nwaves) * sizeof *w);
    x->waves = w;
    x->nwaves = st->nwaves;
  }
  if (st->nservers > x->nservers) {
    char(*s)[16] = orch_realloc(x->servers, st->nservers * sizeof *s);
    if (!s) return ORCH_ENOMEM;
    memset(s + x->nservers, 0, (st->nservers - x->nservers) * sizeof *s);
    x->servers = s;
    x->nservers = st->nservers;
  }
  return 0;
}

static void copy_exec(struct pexec *x, const struct orch_exec_state *st) {
  snprintf(x->plan, sizeof x->plan, "%s", st->plan_name);
  x->version = st->plan_version;
  x->mode = st->mode;
  x->status = st->status;
  x->cancel_requested = st->cancel_requested;
  x->resolved = st->servers_resolved;
  x->created_ms = st->created_ms;
  x->started_ms = st->started_ms;
  x->ended_ms = st->ended_ms;
  x->rto_target_ms = st->rto_target_ms;
}

/* Every wave's status, times and server counts into `out` (st->nwaves entries): one pass over the
 * servers, as this runs on the scheduler thread after every event. */
static void count_waves(const struct orch_exec_state *st, struct pwave *out) {
  for (size_t w = 0; w < st->nwaves; w++) {
    snprintf(out[w].name, sizeof out[w].name, "%s", st->waves[w].name);
    out[w].status = st->waves[w].status;
    out[w].attempt = st->waves[w].attempt;
    snprintf(out[w].reason, sizeof out[w].reason, "%s", st->waves[w].reason);
    out[w].ready_ms = st->waves[w].ready_ms;
    out[w].completed_ms = st->waves[w].completed_ms;
    out[w].total = out[w].launched = out[w].failed = out[w].current = 0;
  }
  for (size_t i = 0; i < st->nservers; i++) {
    const struct orch_exec_server *s = &st->servers[i];
    if (s->wave >= st->nwaves) continue;
    out[s->wave].total++;
    if (s->attempt && s->attempt == st->waves[s->wave].attempt) out[s->wave].current++;
    /* launched_ms, not the status: a drill's clean-up later marks launched servers TERMINATED */
    if (s->launched_ms) out[s->wave].launched++;
    else if (s->launch == ORCH_LAUNCH_FAILED) out[s->wave].failed++;
  }
}

/* "launching 4 servers", or for a retry "relaunching 1 of 3 servers (attempt 2)". */
static void launch_line(struct cli_progress *p, struct pexec *x, int64_t at, const struct pwave *w, int attempt) {
  if (attempt > 1)
    line(p, x, at, false, "wave %s: relaunching %zu of %zu server%s (attempt %d)", w->name, w->current, w->total,
         plural(w->total), attempt);
  else
    line(p, x, at, false, "wave %s: launching %zu server%s", w->name, w->total, plural(w->total));
}

/* A wave's lines, from its events in the order they happened (the state is the whole batch's, so its
 * counts are the latest). Caller holds mu. */
static void wave_event_line(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st, int64_t at,
                            const char *type, const json_t *data) {
  long w = orch_exec_wave_index(st, json_string_value(json_object_get(data, "wave")));
  if (w < 0 || (size_t)w >= x->nwaves) return;
  struct pwave *now = &x->waves[w];
  const char *reason = json_string_value(json_object_get(data, "reason"));
  if (strcmp(type, "WaveReady") == 0) {
    if (!now->told_ready) line(p, x, at, false, "wave %s: ready", now->name);
    now->told_ready = true; /* said once, not again when a gate opens */
  } else if (strcmp(type, "ApprovalRequested") == 0) {
    const char *prompt = json_string_value(json_object_get(data, "prompt"));
    line(p, x, at, true, "wave %s: waits for approval: %s", now->name, prompt ? prompt : "");
  } else if (strcmp(type, "JobRequested") == 0 && json_integer_value(json_object_get(data, "chunk")) == 0) {
    launch_line(p, x, at, now, (int)json_integer_value(json_object_get(data, "attempt")));
  } else if (strcmp(type, "WaveCompleted") == 0) {
    const char *status = json_string_value(json_object_get(data, "status"));
    char d[32];
    short_dur(d, sizeof d, now->completed_ms - now->ready_ms);
    now->told_final = true;
    if (status && strcmp(status, "COMPLETED") == 0)
      line(p, x, at, true, "wave %s: completed, %zu/%zu launched in %s", now->name, now->launched, now->total, d);
    else if (status && strcmp(status, "SKIPPED") == 0)
      line(p, x, at, true, "wave %s: skipped%s%s", now->name, reason ? ": " : "", reason ? reason : "");
    else
      line(p, x, at, true, "wave %s: %s: %s", now->name, status ? status : "FAILED", reason ? reason : "no reason given");
  }
}

/* A server's launch status changed (ServerStatus): launched or failed. Caller holds mu. */
static void server_line(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st, int64_t at,
                        const json_t *data) {
  const char *ls = json_string_value(json_object_get(data, "launch_status"));
  long i = orch_exec_server_index(st, json_string_value(json_object_get(data, "server")));
  if (!ls || i < 0 || (size_t)i >= x->nservers || strcmp(x->servers[i], ls) == 0) return;
  snprintf(x->servers[i], sizeof x->servers[i], "%s", ls);
  const struct orch_exec_server *s = &st->servers[i];
  if (strcmp(ls, "LAUNCHED") == 0)
    line(p, x, at, false, "server %s (%s) in wave %s: launched%s%s%s%s", s->id, s->hostname, st->waves[s->wave].name,
         s->ec2_instance_id[0] ? " as " : "", s->ec2_instance_id, s->private_ip[0] ? " at " : "", s->private_ip);
  else if (strcmp(ls, "FAILED") == 0) {
    /* the event's reason: a retry in the same batch already cleared the state's */
    const char *why = json_string_value(json_object_get(data, "failure"));
    line(p, x, at, true, "server %s (%s) in wave %s: launch FAILED: %s", s->id, s->hostname, st->waves[s->wave].name,
         why ? why : s->failure[0] ? s->failure : "no reason given");
  }
}

/* Waves the end of the execution cancelled (they never ran to a verdict). Caller holds mu. */
static void cancelled_lines(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st, int64_t at) {
  if (st->mode == ORCH_MODE_DRY_RUN) return; /* a dry run launches nothing by design */
  for (size_t w = 0; w < x->nwaves; w++) {
    struct pwave *wv = &x->waves[w];
    if (wv->told_final || wv->status != ORCH_WAVE_CANCELLED) continue;
    wv->told_final = true;
    line(p, x, at, true, "wave %s: cancelled", wv->name);
  }
}

/* The failed checks of a PreflightResult (its first failures; the rest are in the journal's
 * PreflightChecks and the report). Caller holds mu. */
static void preflight_lines(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st, int64_t at,
                            const json_t *data) {
  size_t i;
  const json_t *c;
  const json_t *failures = json_object_get(data, "failures");
  json_array_foreach(failures, i, c) {
    if (json_is_true(json_object_get(c, "ok"))) continue;
    const char *name = json_string_value(json_object_get(c, "name")), *detail = json_string_value(json_object_get(c, "detail"));
    const char *server = json_string_value(json_object_get(c, "server")), *cw = json_string_value(json_object_get(c, "wave"));
    long si = server ? orch_exec_server_index(st, server) : -1;
    line(p, x, at, true, "preflight FAILED: %s%s%s%s%s%s%s%s: %s", name ? name : "check", server || cw ? " (" : "",
         server ? server : "", si >= 0 ? " " : "", si >= 0 ? st->servers[si].hostname : "",
         server && cw ? " in wave " : cw ? "wave " : "", cw ? cw : "", server || cw ? ")" : "", detail ? detail : "");
  }
  json_int_t failed = json_integer_value(json_object_get(data, "failed"));
  json_int_t more = failed - (json_int_t)json_array_size(failures);
  if (more > 0)
    line(p, x, at, true, "preflight FAILED: %lld more failed check%s: 'drsorch executions report %s' lists every check",
         (long long)more, plural((size_t)more), x->label);
}

/* Where the seq of a hook's pending w:approve is kept: its wave's, or the plan's (cleanup hook). */
static int64_t *approve_seq_of(struct pexec *x, const struct orch_exec_state *st, const char *wave) {
  if (!wave) return &x->approve_seq;
  long w = orch_exec_wave_index(st, wave);
  return w >= 0 && (size_t)w < x->nwaves ? &x->waves[w].approve_seq : NULL;
}

/* Lines for events that are not status changes. Caller holds mu. */
static void event_line(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st, int64_t at,
                       const char *type, const json_t *data) {
  const char *wave = json_string_value(json_object_get(data, "wave"));
  const char *by = json_string_value(json_object_get(data, "by"));
  if (strcmp(type, "ExecutionCreated") == 0) {
    line(p, x, at, false, "%s of %s version %lld created: %zu wave%s (execution %s)", orch_exec_mode_name(st->mode),
         st->plan_name, (long long)st->plan_version, st->nwaves, plural(st->nwaves), st->id);
  } else if (strcmp(type, "PreflightResult") == 0) {
    if (json_is_true(json_object_get(data, "ok")))
      line(p, x, at, false, "preflight passed: %zu server%s in %zu wave%s", st->nservers, plural(st->nservers), st->nwaves,
           plural(st->nwaves));
    else
      preflight_lines(p, x, st, at, data);
  } else if (strcmp(type, "ApprovalRequested") == 0 && wave) {
    approval_push(p, st->id, wave, json_string_value(json_object_get(data, "prompt")), false);
    wave_event_line(p, x, st, at, type, data);
  } else if (strcmp(type, "WaveReady") == 0 || strcmp(type, "JobRequested") == 0 || strcmp(type, "WaveCompleted") == 0) {
    wave_event_line(p, x, st, at, type, data);
  } else if (strcmp(type, "ServerStatus") == 0) {
    server_line(p, x, st, at, data);
  } else if (strcmp(type, "JobLog") == 0) {
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(data, "failures"), i, f) {
      const char *server = json_string_value(json_object_get(f, "server")), *error = json_string_value(json_object_get(f, "error"));
      long si = server ? orch_exec_server_index(st, server) : -1;
      line(p, x, at, true, "server %s%s%s%s: DRS says: %s", server ? server : "?", si >= 0 ? " (" : "",
           si >= 0 ? st->servers[si].hostname : "", si >= 0 ? ")" : "", error ? error : "no reason given");
    }
  } else if (strcmp(type, "ApprovalGranted") == 0 && wave) {
    approval_drop(p, st->id, wave);
    line(p, x, at, true, "wave %s: approved by %s", wave, by ? by : "an operator");
  } else if (strcmp(type, "HookCallRequested") == 0) {
    const char *op = json_string_value(json_object_get(data, "op"));
    if (op && strcmp(op, "approve") == 0) {
      const char *msg = json_string_value(json_object_get(json_object_get(data, "args"), "message"));
      int64_t *seq = approve_seq_of(x, st, wave);
      if (seq) *seq = json_integer_value(json_object_get(data, "seq"));
      approval_push(p, st->id, wave, msg, true);
      line(p, x, at, true, "%s%s hook asks for approval: %s", wave ? "wave " : "plan", wave ? wave : "", msg ? msg : "");
    }
  } else if (strcmp(type, "HookLog") == 0) {
    const char *hook = json_string_value(json_object_get(data, "hook")), *msg = json_string_value(json_object_get(data, "message"));
    const char *level = json_string_value(json_object_get(data, "level"));
    bool warn = level && strcmp(level, "info") != 0 && strcmp(level, "debug") != 0;
    line(p, x, at, warn, "hook %s%s%s: %s%s%s", wave ? wave : "", wave ? "/" : "", hook ? hook : "", warn ? level : "",
         warn ? ": " : "", msg ? msg : "");
  } else if (strcmp(type, "HookCallCompleted") == 0) {
    int64_t *seq = approve_seq_of(x, st, wave);
    if (seq && *seq == json_integer_value(json_object_get(data, "seq"))) *seq = 0;
  } else if (strcmp(type, "HookFinished") == 0) {
    int64_t *seq = approve_seq_of(x, st, wave);
    if (seq) *seq = 0;
    const char *hook = json_string_value(json_object_get(data, "hook")), *error = json_string_value(json_object_get(data, "error"));
    json_int_t warnings = json_integer_value(json_object_get(data, "warnings"));
    bool ok = json_is_true(json_object_get(data, "ok"));
    line(p, x, at, !ok || warnings, "hook %s%s%s: %s%s%s", wave ? wave : "", wave ? "/" : "", hook ? hook : "",
         ok ? "passed" : "FAILED", ok ? "" : ": ", ok ? "" : (error ? error : "no reason given"));
    if (ok && warnings)
      line(p, x, at, true, "hook %s%s%s: %lld expectation%s failed (warnings in a recovery)", wave ? wave : "",
           wave ? "/" : "", hook ? hook : "", (long long)warnings, plural((size_t)warnings));
  } else if (strcmp(type, "Paused") == 0 || strcmp(type, "Resumed") == 0) {
    line(p, x, at, true, "%s by %s", type[0] == 'P' ? "paused" : "resumed", by ? by : "an operator");
  } else if (strcmp(type, "CancelRequested") == 0) {
    const char *why = json_string_value(json_object_get(data, "reason"));
    line(p, x, at, true, "cancel requested by %s%s%s%s", by ? by : "an operator", why ? ": " : "", why ? why : "",
         st->mode == ORCH_MODE_DRILL ? "; the drill will clean up" : "");
  } else if (strcmp(type, "ExecutionEnded") == 0) {
    char d[32] = "";
    const char *status = json_string_value(json_object_get(data, "status"));
    const char *reason = json_string_value(json_object_get(data, "reason"));
    cancelled_lines(p, x, st, at); /* the waves' fate comes before the execution's */
    if (st->created_ms) short_dur(d, sizeof d, st->ended_ms - st->created_ms);
    line(p, x, at, true, "execution ended %s%s%s%s%s", status ? status : orch_exec_status_name(st->status), d[0] ? " after " : "",
         d, reason && *reason ? ": " : "", reason ? reason : "");
  } else if (strcmp(type, "CleanupStarted") == 0) {
    int64_t after = json_integer_value(json_object_get(data, "after_ms"));
    char iso[ORCH_TIME_ISO_MAX];
    orch_time_iso8601_s(iso, after);
    if (after > st->ended_ms) line(p, x, at, true, "clean-up: recovery instances are kept until %s (Ctrl-C cleans up now)", iso);
    else line(p, x, at, false, "clean-up started");
  } else if (strcmp(type, "CleanupExpedited") == 0 || strcmp(type, "CleanupRetried") == 0) {
    line(p, x, at, true, "clean-up %s by %s", type[7] == 'E' ? "now, asked" : "tried again, asked", by ? by : "an operator");
  } else if (strcmp(type, "TerminateStarted") == 0) {
    const char *job = json_string_value(json_object_get(data, "job_id"));
    line(p, x, at, false, "clean-up: terminating the recovery instances (job %s)", job ? job : "-");
  } else if (strcmp(type, "TerminateFailed") == 0) {
    const char *error = json_string_value(json_object_get(data, "error"));
    line(p, x, at, true, "clean-up: terminating failed (will try again): %s", error ? error : "no reason given");
  } else if (strcmp(type, "CleanupDone") == 0) {
    line(p, x, at, true, "clean-up done: the drill's recovery instances are terminated");
  } else if (strcmp(type, "CleanupFailed") == 0) {
    const char *reason = json_string_value(json_object_get(data, "reason"));
    line(p, x, at, true, "clean-up FAILED: %s (the report lists them)", reason ? reason : "it gave up");
  }
}

/* First sight of an execution (a resumed one): take its state as it is, without a line per past
 * change, and queue the approvals it already waits for. Caller holds mu. */
static void exec_seed(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st) {
  copy_exec(x, st);
  count_waves(st, x->waves);
  for (size_t w = 0; w < st->nwaves; w++) {
    const char *msg = NULL;
    x->waves[w].told_ready = x->waves[w].status != ORCH_WAVE_PENDING;
    x->waves[w].told_final = orch_wave_status_final(x->waves[w].status);
    if (st->waves[w].status == ORCH_WAVE_AWAITING_APPROVAL)
      approval_push(p, st->id, st->waves[w].name, st->waves[w].approval, false);
    else if (hook_waits_for_approval(st->waves[w].hook_calls, &msg, &x->waves[w].approve_seq))
      approval_push(p, st->id, st->waves[w].name, msg, true);
  }
  const char *msg = NULL;
  if (st->cleanup_hook_running && hook_waits_for_approval(st->cleanup_calls, &msg, &x->approve_seq))
    approval_push(p, st->id, NULL, msg, true);
  for (size_t i = 0; i < st->nservers; i++)
    snprintf(x->servers[i], sizeof x->servers[i], "%s", orch_launch_status_name(st->servers[i].launch));
  if (st->seq > 1)
    line(p, x, 0, true, "%s of %s (execution %s) resumed at event %lld: %s", orch_exec_mode_name(st->mode), st->plan_name,
         st->id, (long long)st->seq, orch_exec_status_name(st->status));
}

static void observe(struct cli_progress *p, const struct orch_exec_state *st, int64_t at, const char *type,
                    const json_t *data) {
  struct pexec *x = exec_find(p, st->id);
  bool fresh = !x || !x->plan[0]; /* a label set before the first event leaves an empty view */
  if (!x && !(x = exec_add(p, st->id))) return;
  if (exec_fit(x, st)) return; /* out of memory: progress is best effort, the journal is the record */
  if (fresh && (!type || strcmp(type, "ExecutionCreated") != 0)) {
    exec_seed(p, x, st);
    if (!type) return;
  }
  copy_exec(x, st);
  count_waves(st, x->waves); /* the batch's counts; the lines follow the events' order */
  event_line(p, x, st, at, type, data);
}

void cli_progress_listener(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms, const char *type,
                           const json_t *data) {
  struct cli_progress *p = ctx;
  pthread_mutex_lock(&p->mu);
  (void)seq;
  observe(p, st, at_ms, type, data);
  pthread_mutex_unlock(&p->mu);
}

void cli_progress_seed(struct cli_progress *p, const struct orch_exec_state *st) {
  pthread_mutex_lock(&p->mu);
  observe(p, st, 0, NULL, NULL);
  pthread_mutex_unlock(&p->mu);
}

/* ---- drawing ------------------------------------------------------------------------------------- */

/* Append one line cut to the terminal's width (a wrapped line would break the redraw). */
static int block_line(struct orch_buf *b, int width, const char *text) {
  size_t n = strlen(text), max = (size_t)width - 1;
  return orch_buf_append(b, text, n < max ? n : max) || orch_buf_putc(b, '\n');
}

/* The terminal's size; 100 x 40 when it cannot be asked. */
static void term_size(FILE *out, int *width, int *height) {
  struct winsize ws;
  bool known = ioctl(fileno(out), TIOCGWINSZ, &ws) == 0;
  *width = known && ws.ws_col >= 40 ? ws.ws_col : 100;
  *height = known && ws.ws_row >= 10 ? ws.ws_row : 40;
}

/* Whether wave `w` gets a bar when not all fit: the ones in flight or failed; the rest are summed up. */
static bool wave_shown(const struct pwave *wv) {
  return wv->status != ORCH_WAVE_PENDING && wv->status != ORCH_WAVE_COMPLETED && wv->status != ORCH_WAVE_SKIPPED &&
         wv->status != ORCH_WAVE_CANCELLED;
}

/* "  ... 31 more: 25 COMPLETED, 6 PENDING" for the waves without a bar. */
static int wave_summary(struct orch_buf *b, int width, const struct pexec *x, const bool *shown) {
  size_t counts[ORCH_WAVE_CANCELLED + 1] = {0}, hidden = 0;
  for (size_t w = 0; w < x->nwaves; w++) {
    if (shown[w] || (size_t)x->waves[w].status > ORCH_WAVE_CANCELLED) continue;
    counts[x->waves[w].status]++;
    hidden++;
  }
  if (!hidden) return 0;
  char text[512];
  int used = snprintf(text, sizeof text, "  ... %zu more:", hidden);
  for (size_t st = 0; st <= ORCH_WAVE_CANCELLED && used > 0 && (size_t)used < sizeof text; st++)
    if (counts[st])
      used += snprintf(text + used, sizeof text - (size_t)used, " %zu %s,", counts[st], orch_wave_status_name((enum orch_wave_status)st));
  if (used > 0 && (size_t)used < sizeof text && text[used - 1] == ',') text[used - 1] = '\0';
  return block_line(b, width, text);
}

/* The execution's line: mode, short id, plan, status and the elapsed time against the RTO target. On a
 * narrow terminal the times are kept and the plan name is cut instead. */
static int header_line(struct orch_buf *b, int width, const struct pexec *x, int64_t now) {
  char elapsed[32] = "-", target[32] = "", times[160], text[512];
  int64_t base = x->created_ms; /* the RTO counts from the start, preflight included */
  if (base) short_dur(elapsed, sizeof elapsed, (x->ended_ms ? x->ended_ms : now) - base);
  if (x->rto_target_ms) short_dur(target, sizeof target, x->rto_target_ms);
  bool over = x->rto_target_ms && base && !x->ended_ms && now - base > x->rto_target_ms;
  const char *status = orch_exec_status_name(x->status), *cancelling = x->cancel_requested && !x->ended_ms ? " (cancelling)" : "";
  size_t usable = (size_t)width - 1;
  snprintf(times, sizeof times, "%s %s%s%s%s", x->ended_ms ? "took" : "elapsed", elapsed, target[0] ? " of an RTO target of " : "",
           target, over ? " (OVER TARGET)" : "");
  int n = snprintf(text, sizeof text, "%s %s of %s v%lld: %s%s  %s", orch_exec_mode_name(x->mode), x->label, x->plan,
                   (long long)x->version, status, cancelling, times);
  if (n > 0 && (size_t)n > usable) { /* compact: "drill 2e7e orders v1: RUNNING  12m30s/45m OVER" */
    snprintf(times, sizeof times, "%s%s%s%s", elapsed, target[0] ? "/" : "", target, over ? " OVER" : "");
    int fixed = snprintf(text, sizeof text, "%s %s  v%lld: %s%s  %s", orch_exec_mode_name(x->mode), x->label,
                         (long long)x->version, status, cancelling, times);
    int room = fixed > 0 && (size_t)fixed < usable ? (int)(usable - (size_t)fixed) : 0;
    if (room < 4) room = 4;
    snprintf(text, sizeof text, "%s %s %.*s v%lld: %s%s  %s", orch_exec_mode_name(x->mode), x->label, room, x->plan,
             (long long)x->version, status, cancelling, times);
  }
  return block_line(b, width, text);
}

#define TAIL_FULL 54    /* " %-17s %16s%-11s %-8s": status, counts, failures, duration */
#define TAIL_COMPACT 34 /* the same without padding, as long as it usually gets */

/* A wave's bar line. `namew` and `barw` are the execution's layout; `compact` drops the padding. */
static int bar_line(struct orch_buf *b, int width, const struct pexec *x, const struct pwave *wv, int64_t now, int namew,
                    int barw, bool compact) {
  char bar[BAR_WIDTH + 1], dur[32] = "", failed[32] = "", counts[48], text[512];
  /* '#' launched, 'x' failed (at least one mark when any failed), '.' still to come */
  size_t width_bar = (size_t)barw;
  size_t good = wv->total ? wv->launched * width_bar / wv->total : wv->status == ORCH_WAVE_COMPLETED ? width_bar : 0;
  size_t bad = wv->total ? (wv->failed * width_bar + wv->total - 1) / wv->total : 0;
  if (good + bad > width_bar) good = width_bar - bad;
  for (size_t i = 0; i < width_bar; i++) bar[i] = i < good ? '#' : i < good + bad ? 'x' : '.';
  bar[width_bar] = '\0';
  if (wv->ready_ms) short_dur(dur, sizeof dur, (wv->completed_ms ? wv->completed_ms : x->ended_ms ? x->ended_ms : now) - wv->ready_ms);
  if (wv->failed) snprintf(failed, sizeof failed, ", %zu failed", wv->failed);
  /* Before the preflight has resolved the servers there is nothing to count yet. */
  if (compact) {
    if (x->resolved) snprintf(counts, sizeof counts, "%zu/%zu", wv->launched, wv->total);
    else snprintf(counts, sizeof counts, "-/-");
    snprintf(text, sizeof text, "  %-*.*s [%s] %s %s%s %s", namew, namew, wv->name, bar, orch_wave_status_name(wv->status),
             counts, failed, dur);
  } else {
    if (x->resolved) snprintf(counts, sizeof counts, "%3zu/%-3zu launched", wv->launched, wv->total);
    else snprintf(counts, sizeof counts, "  -/-           ");
    snprintf(text, sizeof text, "  %-*.*s [%s] %-17s %s%-11s %s", namew, namew, wv->name, bar,
             orch_wave_status_name(wv->status), counts, failed, dur);
  }
  return block_line(b, width, text);
}

/* The bars of every execution. Caller holds mu. */
static int draw_block(struct cli_progress *p, struct orch_buf *b) {
  int width, height, rc = 0;
  term_size(p->o.out, &width, &height);
  int64_t now = orch_clock_now_ms(p->o.clock);
  /* The block must fit on the screen, or moving the cursor up cannot reach its top. */
  size_t budget = p->nexecs ? ((size_t)height - 3) / p->nexecs : 0;
  budget = budget > 2 ? budget - 1 : 1; /* each execution's header line */
  for (size_t e = 0; !rc && e < p->nexecs; e++) {
    const struct pexec *x = &p->execs[e];
    if (!x->plan[0]) continue; /* labelled, no event yet */
    rc = header_line(b, width, x, now);
    int namew = 4;
    for (size_t w = 0; w < x->nwaves; w++) {
      int n = (int)strlen(x->waves[w].name);
      if (n > namew) namew = n;
    }
    if (namew > NAME_WIDTH) namew = NAME_WIDTH;
    /* Fit the terminal, keeping the times: a narrower bar, then no padding, then a shorter name. */
    int usable = width - 1, barw = BAR_WIDTH;
    bool compact = false;
    if (namew + barw + 6 + TAIL_FULL > usable) barw = usable - namew - 6 - TAIL_FULL;
    if (barw < 8) {
      compact = true;
      barw = usable - namew - 6 - TAIL_COMPACT;
      if (barw > BAR_WIDTH) barw = BAR_WIDTH;
      if (barw < 5) barw = 5;
      if (namew + barw + 6 + TAIL_COMPACT > usable) namew = usable - barw - 6 - TAIL_COMPACT;
      if (namew < 4) namew = 4;
    }
    bool *shown = orch_calloc(x->nwaves ? x->nwaves : 1, sizeof *shown);
    if (!shown) return ORCH_ENOMEM;
    for (size_t w = 0, nshown = 0; w < x->nwaves; w++) {
      shown[w] = x->nwaves <= budget || (wave_shown(&x->waves[w]) && nshown < budget - 1);
      nshown += shown[w];
    }
    for (size_t w = 0; !rc && w < x->nwaves; w++)
      if (shown[w]) rc = bar_line(b, width, x, &x->waves[w], now, namew, barw, compact);
    if (!rc) rc = wave_summary(b, width, x, shown);
    orch_free(shown);
  }
  if (!rc && p->o.footer && p->nexecs) rc = block_line(b, width, p->o.footer);
  return rc;
}

void cli_progress_render(struct cli_progress *p) {
  struct orch_buf block = ORCH_BUF_INIT(0);
  pthread_mutex_lock(&p->mu);
  struct orch_buf lines = p->lines;
  orch_buf_init(&p->lines, LINES_MAX);
  bool dropped = p->dropped;
  p->dropped = false;
  bool drawn = p->o.tty && !draw_block(p, &block);
  pthread_mutex_unlock(&p->mu);
  bool same = drawn && p->drawn && block.len == p->last.len && memcmp(block.data, p->last.data, block.len) == 0;
  if (same && !lines.len && !dropped) goto out; /* nothing new to show: no flicker */
  if (p->o.tty && p->drawn) fprintf(p->o.out, "\r\x1b[%dA\x1b[J", p->drawn);
  if (dropped) fputs("(some progress lines were dropped: see the report or 'drsorch executions report')\n", p->o.out);
  if (lines.len) fwrite(lines.data, 1, lines.len, p->o.out);
  p->drawn = 0;
  orch_buf_reset(&p->last);
  if (drawn && block.len) {
    fwrite(block.data, 1, block.len, p->o.out);
    for (size_t i = 0; i < block.len; i++) p->drawn += block.data[i] == '\n';
    if (orch_buf_append(&p->last, block.data, block.len)) orch_buf_reset(&p->last);
  }
  fflush(p->o.out);
out:
  orch_buf_free(&lines);
  orch_buf_free(&block);
}

void cli_progress_detach(struct cli_progress *p) {
  p->drawn = 0;
  orch_buf_reset(&p->last);
}

void cli_progress_end(struct cli_progress *p) {
  pthread_mutex_lock(&p->mu);
  p->o.footer = NULL;
  pthread_mutex_unlock(&p->mu);
  cli_progress_render(p);
  cli_progress_detach(p);
  sink_off(p); /* no more bars to keep whole: log records go straight to stderr again */
}
