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
#include "core/orch_time.h"

#define LINES_MAX ((size_t)4 << 20) /* queued, not yet printed; past it lines are dropped (and said so) */
#define APPROVALS_MAX 64
#define BAR_WIDTH 20
#define NAME_WIDTH 20

struct pwave {
  char name[ORCH_EXEC_NAME_MAX];
  enum orch_wave_status status, prev_status; /* prev_status: before the event being looked at */
  size_t total, launched, failed;
  int64_t ready_ms, completed_ms;
};

struct pexec {
  char id[ORCH_ID_UUID_LEN + 1];
  char plan[ORCH_EXEC_NAME_MAX];
  int64_t version;
  enum orch_exec_mode mode;
  enum orch_exec_status status;
  bool cancel_requested;
  int64_t created_ms, started_ms, ended_ms, rto_target_ms;
  struct pwave *waves;
  size_t nwaves;
  char (*servers)[16]; /* the launch status last seen, per server */
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
  int drawn;               /* lines of the block on screen; main thread only */
  struct orch_buf last;    /* the block as last drawn (main thread only): unchanged, not redrawn */
};

int cli_progress_new(const struct cli_progress_options *o, struct cli_progress **out) {
  struct cli_progress *p = orch_calloc(1, sizeof *p);
  if (!p) return ORCH_ENOMEM;
  p->o = *o;
  if (!p->o.clock) p->o.clock = orch_clock_real();
  pthread_mutex_init(&p->mu, NULL);
  orch_buf_init(&p->lines, LINES_MAX);
  orch_buf_init(&p->last, 0);
  *out = p;
  return 0;
}

void cli_progress_free(struct cli_progress *p) {
  if (!p) return;
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

/* "12:04:31 +3m5s [0190abcd] text\n": the engine clock's time of day (UTC) and the time since the
 * execution started (none before it has). Important lines are printed on a terminal too, above the bars. Caller holds mu. */
static void line(struct cli_progress *p, const struct pexec *x, bool important, const char *fmt, ...)
    ORCH_PRINTF(4, 5);
static void line(struct cli_progress *p, const struct pexec *x, bool important, const char *fmt, ...) {
  if (p->o.tty && !important) return;
  int64_t now = orch_clock_now_ms(p->o.clock);
  char iso[ORCH_TIME_ISO_MAX], since[32] = "";
  orch_time_iso8601(iso, now);
  int64_t base = x ? x->started_ms : 0; /* elapsed counts from the start, as the RTO does */
  if (base) short_dur(since, sizeof since, now - base);
  size_t mark = p->lines.len;
  int rc = orch_buf_printf(&p->lines, "%.8s %s%s%s", iso + 11, base ? "+" : "", since, base ? " " : "");
  if (!rc && x && p->o.show_ids) rc = orch_buf_printf(&p->lines, "[%.8s] ", x->id);
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
  line(p, p->nexecs == 1 ? &p->execs[0] : NULL, true, "%s", text);
  pthread_mutex_unlock(&p->mu);
}

/* ---- approvals ----------------------------------------------------------------------------------- */

static void approval_push(struct cli_progress *p, const char *exec_id, const char *wave, const char *prompt, bool hook) {
  if (p->napprovals == APPROVALS_MAX) return; /* the prompt is far behind; the engine keeps waiting */
  struct cli_approval *a = &p->approvals[p->napprovals++];
  snprintf(a->exec_id, sizeof a->exec_id, "%s", exec_id);
  snprintf(a->wave, sizeof a->wave, "%s", wave ? wave : "");
  snprintf(a->prompt, sizeof a->prompt, "%s", prompt ? prompt : "");
  a->hook = hook;
}

/* A gate opened (by --approve-all, or elsewhere): no need to ask any more. */
static void approval_drop(struct cli_progress *p, const char *exec_id, const char *wave) {
  size_t k = 0;
  for (size_t i = 0; i < p->napprovals; i++) {
    const struct cli_approval *a = &p->approvals[i];
    if (!a->hook && strcmp(a->exec_id, exec_id) == 0 && strcmp(a->wave, wave) == 0) continue;
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

/* A hook waiting in w:approve: the last call of its journal is an approve without a result. */
static bool hook_waits_for_approval(const json_t *calls, const char **message) {
  const json_t *last = json_array_get(calls, json_array_size(calls) ? json_array_size(calls) - 1 : 0);
  const char *op = json_string_value(json_object_get(last, "op"));
  if (!op || strcmp(op, "approve") != 0 || json_object_get(last, "result") || json_object_get(last, "error"))
    return false;
  *message = json_string_value(json_object_get(json_object_get(last, "args"), "message"));
  return true;
}

/* ---- the views ----------------------------------------------------------------------------------- */

static struct pexec *exec_find(struct cli_progress *p, const char *id) {
  for (size_t i = 0; i < p->nexecs; i++)
    if (strcmp(p->execs[i].id, id) == 0) return &p->execs[i];
  return NULL;
}

static struct pexec *exec_add(struct cli_progress *p, const char *id) {
  struct pexec *n = orch_realloc(p->execs, (p->nexecs + 1) * sizeof *n);
  if (!n) return NULL;
  p->execs = n;
  struct pexec *x = &p->execs[p->nexecs++];
  memset(x, 0, sizeof *x);
  snprintf(x->id, sizeof x->id, "%s", id);
  return x;
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
    out[w].ready_ms = st->waves[w].ready_ms;
    out[w].completed_ms = st->waves[w].completed_ms;
    out[w].total = out[w].launched = out[w].failed = 0;
  }
  for (size_t i = 0; i < st->nservers; i++) {
    const struct orch_exec_server *s = &st->servers[i];
    if (s->wave >= st->nwaves) continue;
    out[s->wave].total++;
    /* launched_ms, not the status: a drill's clean-up later marks launched servers TERMINATED */
    if (s->launched_ms) out[s->wave].launched++;
    else if (s->launch == ORCH_LAUNCH_FAILED) out[s->wave].failed++;
  }
}

/* Lines for what changed in the waves and servers since the view was last updated. Caller holds mu. */
static void wave_lines(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st) {
  for (size_t w = 0; w < st->nwaves; w++) x->waves[w].prev_status = x->waves[w].status;
  count_waves(st, x->waves);
  for (size_t w = 0; w < st->nwaves; w++) {
    const struct pwave *now = &x->waves[w];
    const struct orch_exec_wave *wv = &st->waves[w];
    if (now->status == now->prev_status) continue;
    char d[32];
    short_dur(d, sizeof d, now->completed_ms - now->ready_ms);
    switch (now->status) {
      case ORCH_WAVE_WAITING: line(p, x, false, "wave %s: ready", now->name); break;
      case ORCH_WAVE_AWAITING_APPROVAL:
        line(p, x, true, "wave %s: waits for approval: %s", now->name, wv->approval ? wv->approval : "");
        break;
      case ORCH_WAVE_LAUNCHING: line(p, x, false, "wave %s: launching %zu servers", now->name, now->total); break;
      case ORCH_WAVE_COMPLETED:
        line(p, x, true, "wave %s: completed, %zu/%zu launched in %s", now->name, now->launched, now->total, d);
        break;
      case ORCH_WAVE_FAILED: line(p, x, true, "wave %s: FAILED: %s", now->name, wv->reason); break;
      case ORCH_WAVE_SKIPPED: line(p, x, true, "wave %s: skipped%s%s", now->name, wv->reason[0] ? ": " : "", wv->reason); break;
      case ORCH_WAVE_CANCELLED: /* a dry run ends with every wave cancelled: nothing to say */
        if (st->mode != ORCH_MODE_DRY_RUN) line(p, x, true, "wave %s: cancelled", now->name);
        break;
      default: break;
    }
  }
  for (size_t i = 0; i < st->nservers; i++) {
    const struct orch_exec_server *s = &st->servers[i];
    if (strcmp(x->servers[i], orch_launch_status_name(s->launch)) == 0) continue;
    snprintf(x->servers[i], sizeof x->servers[i], "%s", orch_launch_status_name(s->launch));
    if (s->launch == ORCH_LAUNCH_LAUNCHED)
      line(p, x, false, "server %s (%s) in wave %s: launched%s%s%s%s", s->id, s->hostname, st->waves[s->wave].name,
           s->ec2_instance_id[0] ? " as " : "", s->ec2_instance_id, s->private_ip[0] ? " at " : "", s->private_ip);
    else if (s->launch == ORCH_LAUNCH_FAILED)
      line(p, x, true, "server %s (%s) in wave %s: launch FAILED: %s", s->id, s->hostname, st->waves[s->wave].name,
           s->failure[0] ? s->failure : "no reason given");
  }
}

/* Lines for events that are not status changes. Caller holds mu. */
static void event_line(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st, const char *type,
                       const json_t *data) {
  const char *wave = json_string_value(json_object_get(data, "wave"));
  const char *by = json_string_value(json_object_get(data, "by"));
  if (strcmp(type, "ExecutionCreated") == 0) {
    line(p, x, false, "%s of %s version %lld created: %zu waves (execution %s)", orch_exec_mode_name(st->mode),
         st->plan_name, (long long)st->plan_version, st->nwaves, st->id);
  } else if (strcmp(type, "PreflightResult") == 0) {
    if (json_is_true(json_object_get(data, "ok"))) {
      line(p, x, false, "preflight passed: %zu servers in %zu waves", st->nservers, st->nwaves);
    } else {
      size_t i;
      const json_t *c;
      /* the first failures (the rest are in the journal's PreflightChecks and the report) */
      const json_t *failures = json_object_get(data, "failures") ? json_object_get(data, "failures") : json_object_get(data, "checks");
      json_array_foreach(failures, i, c) {
        if (json_is_true(json_object_get(c, "ok"))) continue;
        const char *name = json_string_value(json_object_get(c, "name")), *detail = json_string_value(json_object_get(c, "detail"));
        const char *server = json_string_value(json_object_get(c, "server")), *cw = json_string_value(json_object_get(c, "wave"));
        long si = server ? orch_exec_server_index(st, server) : -1;
        line(p, x, true, "preflight FAILED: %s%s%s%s%s%s%s%s: %s", name ? name : "check", server || cw ? " (" : "",
             server ? server : "", si >= 0 ? " " : "", si >= 0 ? st->servers[si].hostname : "",
             server && cw ? " in wave " : cw ? "wave " : "", cw ? cw : "", server || cw ? ")" : "", detail ? detail : "");
      }
      json_int_t failed = json_integer_value(json_object_get(data, "failed"));
      if (failed > (json_int_t)json_array_size(failures))
        line(p, x, true, "preflight FAILED: %lld more failed checks (the report lists every check)",
             (long long)(failed - (json_int_t)json_array_size(failures)));
    }
  } else if (strcmp(type, "ApprovalRequested") == 0 && wave) {
    approval_push(p, st->id, wave, json_string_value(json_object_get(data, "prompt")), false);
  } else if (strcmp(type, "ApprovalGranted") == 0 && wave) {
    approval_drop(p, st->id, wave);
    line(p, x, true, "wave %s: approved by %s", wave, by ? by : "an operator");
  } else if (strcmp(type, "HookCallRequested") == 0) {
    const char *op = json_string_value(json_object_get(data, "op"));
    if (op && strcmp(op, "approve") == 0) {
      const char *msg = json_string_value(json_object_get(json_object_get(data, "args"), "message"));
      approval_push(p, st->id, wave, msg, true);
      line(p, x, true, "%s%s hook asks for approval: %s", wave ? "wave " : "plan", wave ? wave : "", msg ? msg : "");
    }
  } else if (strcmp(type, "HookFinished") == 0) {
    const char *hook = json_string_value(json_object_get(data, "hook")), *error = json_string_value(json_object_get(data, "error"));
    json_int_t warnings = json_integer_value(json_object_get(data, "warnings"));
    bool ok = json_is_true(json_object_get(data, "ok"));
    line(p, x, !ok || warnings, "hook %s%s%s: %s%s%s", wave ? wave : "", wave ? "/" : "", hook ? hook : "",
         ok ? "passed" : "FAILED", ok ? "" : ": ", ok ? "" : (error ? error : "no reason given"));
    if (ok && warnings) line(p, x, true, "hook %s%s%s: %lld expectation(s) failed (warnings in a recovery)",
                             wave ? wave : "", wave ? "/" : "", hook ? hook : "", (long long)warnings);
  } else if (strcmp(type, "Paused") == 0 || strcmp(type, "Resumed") == 0) {
    line(p, x, true, "%s by %s", type[0] == 'P' ? "paused" : "resumed", by ? by : "an operator");
  } else if (strcmp(type, "CancelRequested") == 0) {
    line(p, x, true, "cancel requested by %s%s", by ? by : "an operator",
         st->mode == ORCH_MODE_DRILL ? "; the drill will clean up" : "");
  } else if (strcmp(type, "ExecutionEnded") == 0) {
    char d[32] = "";
    const char *status = json_string_value(json_object_get(data, "status"));
    const char *reason = json_string_value(json_object_get(data, "reason"));
    if (st->started_ms) short_dur(d, sizeof d, st->ended_ms - st->started_ms);
    line(p, x, true, "execution ended %s%s%s%s%s", status ? status : orch_exec_status_name(st->status), d[0] ? " after " : "",
         d, reason && *reason ? ": " : "", reason ? reason : "");
  } else if (strcmp(type, "CleanupStarted") == 0) {
    int64_t after = json_integer_value(json_object_get(data, "after_ms"));
    char iso[ORCH_TIME_ISO_MAX];
    orch_time_iso8601_s(iso, after);
    if (after > st->ended_ms) line(p, x, true, "clean-up: recovery instances are kept until %s", iso);
    else line(p, x, false, "clean-up started");
  } else if (strcmp(type, "TerminateStarted") == 0) {
    line(p, x, false, "clean-up: terminating the recovery instances (job %s)",
         json_string_value(json_object_get(data, "job_id")) ? json_string_value(json_object_get(data, "job_id")) : "-");
  } else if (strcmp(type, "CleanupDone") == 0) {
    line(p, x, true, "clean-up done: the drill's recovery instances are terminated");
  }
}

/* First sight of an execution (a resumed one): take its state as it is, without a line per past
 * change, and queue the approvals it already waits for. Caller holds mu. */
static void exec_seed(struct cli_progress *p, struct pexec *x, const struct orch_exec_state *st) {
  copy_exec(x, st);
  count_waves(st, x->waves);
  for (size_t w = 0; w < st->nwaves; w++) {
    const char *msg = NULL;
    if (st->waves[w].status == ORCH_WAVE_AWAITING_APPROVAL)
      approval_push(p, st->id, st->waves[w].name, st->waves[w].approval, false);
    else if (hook_waits_for_approval(st->waves[w].hook_calls, &msg))
      approval_push(p, st->id, st->waves[w].name, msg, true);
  }
  for (size_t i = 0; i < st->nservers; i++)
    snprintf(x->servers[i], sizeof x->servers[i], "%s", orch_launch_status_name(st->servers[i].launch));
  if (st->seq > 1)
    line(p, x, true, "%s of %s (execution %s) resumed at event %lld: %s", orch_exec_mode_name(st->mode), st->plan_name,
         st->id, (long long)st->seq, orch_exec_status_name(st->status));
}

static void observe(struct cli_progress *p, const struct orch_exec_state *st, const char *type, const json_t *data,
                    bool last) {
  struct pexec *x = exec_find(p, st->id);
  bool fresh = !x;
  if (!x && !(x = exec_add(p, st->id))) return;
  if (exec_fit(x, st)) return; /* out of memory: progress is best effort, the journal is the record */
  if (fresh && (!type || strcmp(type, "ExecutionCreated") != 0)) {
    exec_seed(p, x, st);
    if (!type) return;
  }
  copy_exec(x, st);
  event_line(p, x, st, type, data);
  /* The state is the batch's: what changed in waves and servers is told once, after its events. */
  if (last) wave_lines(p, x, st);
}

void cli_progress_listener(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms, const char *type,
                           const json_t *data) {
  struct cli_progress *p = ctx;
  (void)at_ms;
  pthread_mutex_lock(&p->mu);
  observe(p, st, type, data, seq >= st->seq);
  pthread_mutex_unlock(&p->mu);
}

void cli_progress_seed(struct cli_progress *p, const struct orch_exec_state *st) {
  pthread_mutex_lock(&p->mu);
  observe(p, st, NULL, NULL, true);
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

/* The bars of every execution. Caller holds mu. */
static int draw_block(struct cli_progress *p, struct orch_buf *b) {
  int width, height, rc = 0;
  term_size(p->o.out, &width, &height);
  int64_t now = orch_clock_now_ms(p->o.clock);
  char text[512];
  /* The block must fit on the screen, or moving the cursor up cannot reach its top. */
  size_t budget = p->nexecs ? ((size_t)height - 3) / p->nexecs : 0;
  budget = budget > 2 ? budget - 1 : 1; /* each execution's header line */
  for (size_t e = 0; !rc && e < p->nexecs; e++) {
    const struct pexec *x = &p->execs[e];
    char elapsed[32] = "-", target[32] = "";
    if (x->started_ms) short_dur(elapsed, sizeof elapsed, (x->ended_ms ? x->ended_ms : now) - x->started_ms);
    if (x->rto_target_ms) short_dur(target, sizeof target, x->rto_target_ms);
    bool over = x->rto_target_ms && x->started_ms && !x->ended_ms && now - x->started_ms > x->rto_target_ms;
    snprintf(text, sizeof text, "%s %.8s of %s v%lld: %s%s  %s %s%s%s%s", orch_exec_mode_name(x->mode), x->id, x->plan,
             (long long)x->version, orch_exec_status_name(x->status),
             x->cancel_requested && !x->ended_ms ? " (cancelling)" : "", x->ended_ms ? "took" : "elapsed", elapsed,
             target[0] ? " of an RTO target of " : "", target, over ? " (OVER TARGET)" : "");
    rc = block_line(b, width, text);
    size_t namew = 4;
    for (size_t w = 0; w < x->nwaves; w++) {
      size_t n = strlen(x->waves[w].name);
      if (n > namew) namew = n;
    }
    if (namew > NAME_WIDTH) namew = NAME_WIDTH;
    bool *shown = orch_calloc(x->nwaves ? x->nwaves : 1, sizeof *shown);
    if (!shown) return ORCH_ENOMEM;
    for (size_t w = 0, nshown = 0; w < x->nwaves; w++) {
      shown[w] = x->nwaves <= budget || (wave_shown(&x->waves[w]) && nshown < budget - 1);
      nshown += shown[w];
    }
    for (size_t w = 0; !rc && w < x->nwaves; w++) {
      const struct pwave *wv = &x->waves[w];
      if (!shown[w]) continue;
      char bar[BAR_WIDTH + 1], dur[32] = "", failed[32] = "";
      /* '#' launched, 'x' failed (at least one mark when any failed), '.' still to come */
      size_t good = wv->total ? wv->launched * BAR_WIDTH / wv->total : wv->status == ORCH_WAVE_COMPLETED ? BAR_WIDTH : 0;
      size_t bad = wv->total ? (wv->failed * BAR_WIDTH + wv->total - 1) / wv->total : 0;
      if (good + bad > BAR_WIDTH) good = BAR_WIDTH - bad;
      for (size_t i = 0; i < BAR_WIDTH; i++) bar[i] = i < good ? '#' : i < good + bad ? 'x' : '.';
      bar[BAR_WIDTH] = '\0';
      if (wv->ready_ms) short_dur(dur, sizeof dur, (wv->completed_ms ? wv->completed_ms : x->ended_ms ? x->ended_ms : now) - wv->ready_ms);
      if (wv->failed) snprintf(failed, sizeof failed, ", %zu failed", wv->failed);
      snprintf(text, sizeof text, "  %-*.*s [%s] %-17s %3zu/%-3zu launched%-11s %s", (int)namew, (int)namew, wv->name, bar,
               orch_wave_status_name(wv->status), wv->launched, wv->total, failed, dur);
      rc = block_line(b, width, text);
    }
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
}
