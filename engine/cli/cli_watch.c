/* cli_watch: the loop that draws progress, answers approvals and handles Ctrl-C while executions run.
 * Uses orch_exec_engine (wait, command), cli_progress, cli_session (reaching AWS), POSIX signals. */
#include "cli/cli_watch.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 100

static volatile sig_atomic_t interrupts;

int cli_watch_prepare(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                      const char *plan_region, struct cli_progress_options *po, struct cli_progress **progress,
                      char *where, size_t n) {
  struct orch_error err = {0};
  cli_watch_signals_block();
  if (cli_session_aws(s, cfg, t, plan_region, &err)) return cli_fail(&err);
  po->clock = cli_session_clock(s);
  if (cli_progress_new(po, progress)) {
    orch_error_set(&err, ORCH_ENOMEM, "out of memory");
    return cli_fail(&err);
  }
  cli_session_describe(s, where, n);
  return CLI_EXIT_OK;
}

static void on_sigint(int sig) {
  (void)sig;
  interrupts++;
  if (interrupts >= 2) {
    static const char msg[] = "\ndrsorch: interrupted again: exiting now; 'drsorch resume' carries on from the journal\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) { /* nothing more to do */
    }
    _exit(CLI_EXIT_INTERRUPTED);
  }
}

void cli_watch_signals_block(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint; /* no SA_RESTART: a prompt's read returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void cli_watch_signals_ready(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
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

static void cancel(const struct cli_watch_options *o, const char *id) {
  struct orch_error err = {0};
  int rc = orch_exec_engine_command(o->eng, id, ORCH_CMD_CANCEL, NULL, cli_watch_actor(), &err);
  if (rc && rc != ORCH_ESTATE && rc != ORCH_ENOTFOUND) /* already over or being cancelled: fine */
    cli_progress_note(o->progress, "could not cancel %s: %s", id, err.message);
}

/* y/N on the terminal; false on anything but yes (EOF, Ctrl-C included). */
static bool ask(const struct cli_watch_options *o, const struct cli_approval *a) {
  cli_progress_render(o->progress);
  cli_progress_detach(o->progress);
  FILE *out = o->prompt_out;
  if (a->prompt[0]) fprintf(out, "%s%s asks: %s\n", a->hook ? "a hook of wave " : "wave ", a->wave, a->prompt);
  fprintf(out, "approve wave %s? [y/N] ", a->wave);
  fflush(out);
  char answer[64];
  errno = 0;
  if (!fgets(answer, sizeof answer, stdin)) {
    clearerr(stdin);
    fputc('\n', out);
    return false;
  }
  size_t n = strcspn(answer, "\r\n");
  answer[n] = '\0';
  return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0;
}

static void answer_approvals(const struct cli_watch_options *o) {
  struct cli_approval a;
  while (cli_progress_take_approval(o->progress, &a)) {
    if (o->approve_all) continue; /* the engine has opened it */
    if (!o->can_prompt) {
      cli_progress_note(o->progress, "wave %s waits for approval but there is no terminal to ask and no --approve-all: cancelling",
                        a.wave);
      cancel(o, a.exec_id);
      continue;
    }
    int seen = interrupts;
    bool yes = ask(o, &a);
    if (interrupts != seen) return; /* Ctrl-C at the prompt: the loop cancels */
    if (!yes) {
      cli_progress_note(o->progress, "wave %s not approved: cancelling", a.wave);
      cancel(o, a.exec_id);
      continue;
    }
    struct orch_error err = {0};
    if (orch_exec_engine_command(o->eng, a.exec_id, ORCH_CMD_APPROVE, a.wave, cli_watch_actor(), &err))
      cli_progress_note(o->progress, "approval of wave %s not taken: %s", a.wave, err.message);
  }
}

int cli_watch(const struct cli_watch_options *o, const char (*ids)[ORCH_ID_UUID_LEN + 1], size_t n,
              struct orch_error *err) {
  int handled = interrupts;
  size_t done = 0;
  while (done < n) {
    cli_progress_render(o->progress);
    if (interrupts != handled) {
      handled = interrupts;
      cli_progress_note(o->progress, "interrupted: cancelling%s; press Ctrl-C again to exit at once",
                        n == 1 ? " (a drill cleans up first)" : " every execution (drills clean up first)");
      for (size_t i = done; i < n; i++) cancel(o, ids[i]);
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
