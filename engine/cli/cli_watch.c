/* cli_watch: the loop that draws progress, answers approvals and handles signals while executions run.
 * Uses orch_exec_engine (wait, command), cli_progress, cli_session (reaching AWS), POSIX signals. */
#include "cli/cli_watch.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 100

static volatile sig_atomic_t interrupts;
static volatile sig_atomic_t last_signal;
static int handled; /* signals acted on (main thread): one caught before the watch began is acted on too */
/* Written before the signals are caught, read by the handler: "\ndrsorch: ...\n". */
static char again_msg[1400] = "\ndrsorch: interrupted again: exiting now; 'drsorch resume' carries on from the journal\n";
static char resume_cmd[1200] = "drsorch resume";

int cli_watch_prepare(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                      const char *plan_region, struct cli_progress_options *po, struct cli_progress **progress,
                      char *where, size_t n) {
  struct orch_error err = {0};
  cli_watch_signals_block();
  cli_watch_set_resume(t);
  if (cli_session_aws(s, cfg, t, plan_region, &err)) return cli_fail(&err);
  po->clock = cli_session_clock(s);
  if (cli_progress_new(po, progress)) {
    orch_error_set(&err, ORCH_ENOMEM, "out of memory");
    return cli_fail(&err);
  }
  cli_session_describe(s, where, n);
  return CLI_EXIT_OK;
}

/* A word without shell metacharacters is written as is; anything else in single quotes. */
static int shell_word(char *out, size_t n, const char *w) {
  if (!strpbrk(w, " \t\n'\"\\$`!*?[]{}()<>|&;#~")) return snprintf(out, n, " %s", w);
  size_t used = 0;
  int k = snprintf(out, n, " '");
  if (k < 0 || (size_t)k >= n) return -1;
  used = (size_t)k;
  for (const char *p = w; *p && used + 5 < n; p++) {
    if (*p == '\'') {
      memcpy(out + used, "'\\''", 4);
      used += 4;
    } else {
      out[used++] = *p;
    }
  }
  if (used + 2 > n) return -1;
  out[used++] = '\'';
  out[used] = '\0';
  return (int)used;
}

void cli_watch_set_resume(const struct cli_target *t) {
  const char *args[12];
  size_t na = 0;
  if (t->db) args[na++] = "--db", args[na++] = t->db;
  if (t->sim_scenario) args[na++] = "--sim", args[na++] = t->sim_scenario;
  if (t->endpoint_url) args[na++] = "--endpoint-url", args[na++] = t->endpoint_url;
  if (t->region) args[na++] = "--region", args[na++] = t->region;
  if (t->profile) args[na++] = "--profile", args[na++] = t->profile;
  if (t->account) args[na++] = "--account", args[na++] = t->account;
  char cmd[sizeof resume_cmd] = "drsorch resume";
  size_t used = strlen(cmd);
  for (size_t i = 0; i < na; i++) {
    int k = shell_word(cmd + used, sizeof cmd - used, args[i]);
    if (k < 0 || (size_t)k >= sizeof cmd - used) break;
    used += (size_t)k;
  }
  snprintf(resume_cmd, sizeof resume_cmd, "%s", cmd);
  snprintf(again_msg, sizeof again_msg, "\ndrsorch: signalled again: exiting now; the execution is left unfinished in "
           "the store: carry on with\n  %s\n", resume_cmd);
}

const char *cli_watch_resume_command(void) { return resume_cmd; }

static void on_signal(int sig) {
  interrupts++;
  last_signal = sig;
  if (interrupts >= 2) {
    if (write(STDERR_FILENO, again_msg, strlen(again_msg)) < 0) { /* nothing more to do */
    }
    _exit(128 + sig);
  }
}

static void signal_set(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
}

void cli_watch_signals_block(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a prompt's read returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigset_t set;
  signal_set(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void cli_watch_signals_ready(void) {
  sigset_t set;
  signal_set(&set);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

const char *cli_watch_actor(void) {
  static char actor[160];
  if (!actor[0]) {
    const char *user = getenv("USER");
    struct passwd pw, *found = NULL;
    char buf[1024];
    if ((!user || !*user) && getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found) user = found->pw_name;
    snprintf(actor, sizeof actor, "cli:%s", user && *user ? user : "unknown");
  }
  return actor;
}

static int command(const struct cli_watch_options *o, const char *id, enum orch_exec_command cmd, const char *reason,
                   struct orch_error *err) {
  struct orch_exec_command_spec spec = {.exec_id = id, .cmd = cmd, .by = cli_watch_actor(), .reason = reason};
  return orch_exec_engine_command_ex(o->eng, &spec, err);
}

static void cancel(const struct cli_watch_options *o, const char *id, const char *reason) {
  struct orch_error err = {0};
  int rc = command(o, id, ORCH_CMD_CANCEL, reason, &err);
  if (rc && rc != ORCH_ESTATE && rc != ORCH_ENOTFOUND) /* already over or being cancelled: fine */
    cli_progress_note(o->progress, "could not cancel %s: %s", id, err.message);
}

static const char *signal_name(int sig) {
  return sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP (the terminal went away)" : "Ctrl-C";
}

/* The first signal: cancel what runs (a drill then cleans up), and a drill that has ended but keeps its
 * instances (--keep-for) cleans up now. */
static void interrupted(const struct cli_watch_options *o, const char (*ids)[ORCH_ID_UUID_LEN + 1], size_t from, size_t n) {
  const char *what = signal_name(last_signal);
  for (size_t i = from; i < n; i++) {
    struct orch_error err = {0};
    int rc = command(o, ids[i], ORCH_CMD_CANCEL, NULL, &err);
    if (!rc) {
      if (n - from == 1) cli_progress_note(o->progress, "%s: cancelling (a drill cleans up first)", what);
      else cli_progress_note(o->progress, "%s: cancelling execution %s (a drill cleans up first)", what, ids[i]);
      continue;
    }
    if (rc != ORCH_ESTATE) {
      if (rc != ORCH_ENOTFOUND) cli_progress_note(o->progress, "could not cancel %s: %s", ids[i], err.message);
      continue;
    }
    /* It has ended: a drill keeping its instances is cleaned up now instead of waiting out --keep-for. */
    struct orch_error cerr = {0};
    rc = command(o, ids[i], ORCH_CMD_CLEANUP, NULL, &cerr);
    if (!rc) cli_progress_note(o->progress, "%s: cleaning up now instead of keeping the instances", what);
    else cli_progress_note(o->progress, "%s: %s", what, cerr.message[0] ? cerr.message : err.message);
  }
  cli_progress_note(o->progress, "a second signal exits at once and leaves the rest for: %s", resume_cmd);
}

enum answer { ANSWER_NO, ANSWER_YES, ANSWER_GONE, ANSWER_INTERRUPTED };

/* One line from the terminal, waiting in slices so that an approval nobody needs any more (its gate
 * timed out, was opened elsewhere, the execution ended) stops the question instead of blocking. */
static enum answer read_answer(const struct cli_watch_options *o, const struct cli_approval *a, char *buf, size_t n) {
  size_t used = 0;
  int seen = interrupts;
  for (;;) {
    if (interrupts != seen) return ANSWER_INTERRUPTED;
    char why[400];
    if (!cli_progress_approval_open(o->progress, a, why, sizeof why)) {
      fprintf(o->prompt_out, "\n(no longer waiting for this approval: %s)\n", why);
      fflush(o->prompt_out);
      return ANSWER_GONE;
    }
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    int r = poll(&pfd, 1, TICK_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t k = read(STDIN_FILENO, buf + used, n - 1 - used);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) { /* end of input, or the terminal is gone */
      buf[used] = '\0';
      return ANSWER_NO;
    }
    used += (size_t)k;
    buf[used] = '\0';
    if (memchr(buf, '\n', used) || used == n - 1) return ANSWER_NO; /* the caller reads the words */
  }
}

/* y/N on the terminal. */
static enum answer ask(const struct cli_watch_options *o, const struct cli_approval *a) {
  char why[400];
  if (!cli_progress_approval_open(o->progress, a, why, sizeof why)) return ANSWER_GONE;
  cli_progress_render(o->progress);
  cli_progress_detach(o->progress);
  FILE *out = o->prompt_out;
  if (a->prompt[0]) fprintf(out, "%s%s asks: %s\n", a->hook ? "a hook of wave " : "wave ", a->wave, a->prompt);
  fprintf(out, "approve wave %s? [y/N] ", a->wave);
  fflush(out);
  char answer[64];
  enum answer r = read_answer(o, a, answer, sizeof answer);
  if (r != ANSWER_NO) return r;
  if (!strchr(answer, '\n')) fputc('\n', out); /* end of input: the prompt's line ends here */
  answer[strcspn(answer, "\r\n")] = '\0';
  bool yes = strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0;
  return yes ? ANSWER_YES : ANSWER_NO;
}

/* One approval taken from the queue: false when a signal came at the prompt (the loop then cancels). */
static bool answer_one(const struct cli_watch_options *o, const struct cli_approval *a) {
  char why[400];
  if (o->approve_all) return true; /* the engine has opened it */
  if (!cli_progress_approval_open(o->progress, a, why, sizeof why)) return true;
  if (!o->can_prompt) {
    char reason[400];
    snprintf(reason, sizeof reason, "%s%s asked for approval%s and there is no terminal to ask: run on a terminal, or pass --approve-all",
             a->hook ? "a hook of wave " : "wave ", a->wave[0] ? a->wave : "(plan)", a->hook ? " (w:approve)" : "");
    cli_progress_note(o->progress, "%s: cancelling", reason);
    cancel(o, a->exec_id, reason);
    return true;
  }
  enum answer r = ask(o, a);
  if (r == ANSWER_INTERRUPTED) return false;
  if (r == ANSWER_GONE) return true;
  if (r == ANSWER_NO) {
    char reason[200];
    snprintf(reason, sizeof reason, "wave %s was not approved", a->wave);
    cli_progress_note(o->progress, "wave %s not approved: cancelling", a->wave);
    cancel(o, a->exec_id, reason);
    return true;
  }
  struct orch_error err = {0};
  if (orch_exec_engine_command(o->eng, a->exec_id, ORCH_CMD_APPROVE, a->wave, cli_watch_actor(), &err))
    cli_progress_note(o->progress, "approval of wave %s not taken: %s", a->wave, err.message);
  return true;
}

static void answer_approvals(const struct cli_watch_options *o) {
  struct cli_approval a;
  while (cli_progress_take_approval(o->progress, &a)) {
    bool go_on = answer_one(o, &a);
    cli_progress_approval_done(o->progress, &a);
    if (!go_on) return;
  }
}

int cli_watch(const struct cli_watch_options *o, const char (*ids)[ORCH_ID_UUID_LEN + 1], size_t n,
              struct orch_error *err) {
  size_t done = 0;
  while (done < n) {
    cli_progress_render(o->progress);
    if (interrupts != handled) {
      handled = interrupts;
      interrupted(o, ids, done, n);
      continue;
    }
    answer_approvals(o);
    int rc = orch_exec_engine_wait(o->eng, ids[done], TICK_MS, NULL, err);
    if (!rc) {
      done++;
    } else if (rc != ORCH_ETIMEDOUT) {
      cli_progress_end(o->progress);
      return rc;
    }
  }
  cli_progress_end(o->progress);
  return 0;
}
