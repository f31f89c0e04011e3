/* test_store_crash: crash durability of the journal. A child process appends events (single appends
 * and batches) and reports each committed seq through a pipe right after the append returned; the
 * parent kills it with SIGKILL at a random moment, reopens the store and checks that every reported
 * event is there and that the journal has no gaps. Repeated over many rounds on one journal.
 * Uses orch_store (SQLite), fork/pipe/kill, Criterion. */
#include "store_test_util.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "core/orch_json.h"
#include "core/orch_str.h"

#define ROUNDS 25

static char dir[4096];
static char spec[4300];

static void init(void) {
  orch_json_init();
  store_test_mkdtemp(dir, sizeof dir, "crash");
  snprintf(spec, sizeof spec, "sqlite:%s/orch.db", dir);
}

static void fini(void) { store_test_rmtree(dir); }

/* The child: append forever from the journal's end, reporting each committed last seq. */
static void child_main(const char *exec_id, int fd, unsigned seed) {
  struct orch_store *s = NULL;
  struct orch_error e = {0};
  if (orch_store_open(spec, NULL, &s, &e)) {
    fprintf(stderr, "child open: %s\n", e.message);
    _exit(2);
  }
  int64_t last = 0;
  if (orch_store_event_last_seq(s, exec_id, &last, &e)) _exit(3);
  for (;;) {
    size_t n = 1 + rand_r(&seed) % 8;
    if (rand_r(&seed) % 2) n = 1;
    struct orch_store_event_spec evs[8];
    json_t *data[8];
    for (size_t i = 0; i < n; i++) {
      int64_t seq = last + 1 + (int64_t)i;
      data[i] = json_pack("{sI ss}", "seq", (json_int_t)seq, "pad", "some payload to make pages fill");
      evs[i] = (struct orch_store_event_spec){.seq = seq, .at_ms = 1767225600000LL + seq, .type = "ServerStatus",
                                              .data = data[i]};
    }
    int rc = orch_store_event_append_batch(s, exec_id, evs, n, &e);
    for (size_t i = 0; i < n; i++) json_decref(data[i]);
    if (rc) {
      fprintf(stderr, "child append: %s\n", e.message);
      _exit(4);
    }
    last += (int64_t)n;
    /* committed: now (and only now) tell the parent */
    if (write(fd, &last, sizeof last) != (ssize_t)sizeof last) _exit(5);
  }
}

/* Read every report until EOF; the largest committed seq (0 if none). */
static int64_t drain(int fd) {
  int64_t v, max = 0;
  for (;;) {
    ssize_t r = read(fd, &v, sizeof v);
    if (r == (ssize_t)sizeof v) {
      if (v > max) max = v;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    cr_assert(r == 0, "short or failed read from the child: %zd", r);
    return max;
  }
}

Test(crash, sigkill_loses_no_committed_event, .init = init, .fini = fini, .timeout = 600) {
  char exec_id[ORCH_STORE_ID_MAX + 1];
  struct orch_store *s = NULL;
  OK(orch_store_open(spec, NULL, &s, err));
  json_t *compiled = json_pack("{}");
  struct orch_store_version_spec v = {.source = "return plan {}", .compiled = compiled, .author = "t"};
  struct orch_store_plan p;
  struct orch_store_exec x;
  OK(orch_store_plan_create(s, "crash", &v, &p, NULL, err));
  struct orch_store_exec_spec xs = {.plan_id = p.id, .mode = ORCH_STORE_MODE_DRILL};
  OK(orch_store_exec_create(s, &xs, &x, err));
  memcpy(exec_id, x.id, sizeof exec_id);
  orch_store_exec_release(&x);
  json_decref(compiled);
  orch_store_close(s);

  /* ORCH_TEST_SEED=<n> replays a failing run */
  const char *env_seed = getenv("ORCH_TEST_SEED");
  long long seed_ll = (long long)time(NULL);
  if (env_seed && *env_seed) cr_assert_eq(orch_str_to_ll(env_seed, 0, UINT32_MAX, &seed_ll), 0, "ORCH_TEST_SEED");
  unsigned seed = (unsigned)seed_ll;
  cr_log_info("seed %u (ORCH_TEST_SEED)", seed);
  int64_t last = 0;
  int progressed = 0;
  for (int round = 0; round < ROUNDS; round++) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
      close(fds[0]);
      child_main(exec_id, fds[1], seed + (unsigned)round);
    }
    close(fds[1]);
    /* kill at a random moment: early (maybe during open/recovery) to well into the appends */
    struct timespec nap = {.tv_sec = 0, .tv_nsec = (long)(1 + rand_r(&seed) % 150) * 1000000L};
    nanosleep(&nap, NULL);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int64_t reported = drain(fds[0]);
    close(fds[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "round %d: the child ended by itself (exit %d), seed %u", round, WEXITSTATUS(status), seed);

    OK(orch_store_open(spec, NULL, &s, err));
    int64_t before = last;
    OK(orch_store_event_last_seq(s, exec_id, &last, err));
    progressed += last > before;
    cr_assert_geq(last, reported, "round %d: committed seq %lld lost (journal ends at %lld), seed %u", round,
                  (long long)reported, (long long)last, seed);
    struct orch_store_event_list el;
    OK(orch_store_event_read(s, exec_id, 1, 0, &el, err));
    cr_assert_eq((int64_t)el.count, last, "round %d: %zu events but last seq %lld", round, el.count, (long long)last);
    for (size_t i = 0; i < el.count; i++) {
      cr_assert_eq(el.items[i].seq, (int64_t)i + 1, "round %d: gap at %zu", round, i);
      cr_assert_eq(json_integer_value(json_object_get(el.items[i].data, "seq")), el.items[i].seq);
    }
    orch_store_event_list_release(&el);
    orch_store_close(s);
  }
  cr_assert_gt(progressed, ROUNDS / 4, "only %d of %d children committed anything: the test tested too little",
               progressed, ROUNDS);
  cr_log_info("%lld events committed across %d kills (%d rounds made progress)", (long long)last, ROUNDS, progressed);
}
