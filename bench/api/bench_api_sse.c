/* bench_api_sse: SUBSCRIBERS clients (default 500) follow a running drill's event stream
 * (GET /executions/{id}/events, Accept: text/event-stream, from the first event) while the simulated
 * region runs it at SPEED (default 60x). Prints: whether each subscriber received every event exactly once
 * and in order and then `end`; the delivery delay of live events (the client reading the event minus the
 * engine's listener seeing it appended to the journal: p50, p99, max); the server's memory per
 * subscriber (its RSS with them connected less before, over their number); its threads; and the API's
 * latency under wrk (GET /executions/{id}) without subscribers and with them connected, in the same run.
 * The subscribers run in a child process forked before any thread starts (so the server's RSS is its
 * own); both stamp CLOCK_MONOTONIC, shared by the processes. Targets (issue 9): every event to each,
 * p99 < 100 ms, the API's p99 unchanged. Prints figures; asserts nothing.
 * Usage: bench_api_sse [SUBSCRIBERS 1-1000] [SPEED 1-600]. Uses bench_api_env, wrk, epoll. */
#include "bench_api_env.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SUBS_MAX 1000
#define SEQ_MAX 4096
#define LINE_MAX_ 8192

/* Shared between the server (parent) and the subscribers (child): MAP_SHARED, made before fork. */
struct shared {
  int64_t published_ns[SEQ_MAX]; /* the listener saw event seq appended (parent) */
  int64_t arrived_ns[SUBS_MAX][SEQ_MAX]; /* subscriber i read event seq (child) */
  int64_t all_connected_ns; /* every subscriber had its 200 (child) */
  int last[SUBS_MAX];    /* the last seq read */
  int disorder[SUBS_MAX]; /* an id that was not last + 1 */
  int ended[SUBS_MAX];   /* `event: end` read */
  int status[SUBS_MAX];  /* the HTTP status */
};

static struct shared *sh;
static struct bench_api b = {.name = "bench_api_sse"};

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The engine's listener, wrapped: the moment each event reaches the API. */
static void listener(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms, const char *type,
                     const json_t *data) {
  if (seq > 0 && seq < SEQ_MAX) sh->published_ns[seq] = mono_ns();
  orch_api_exec_listener(ctx, st, seq, at_ms, type, data);
}

/* ---- The subscribers (child process) ---------------------------------------------------------- */

struct sub {
  int fd, i;
  bool headers; /* the status line and headers were read */
  size_t len;
  char buf[LINE_MAX_];
};

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof sa) && errno != EINPROGRESS)) return -1;
  return fd;
}

/* One line of the stream (chunk sizes and heartbeats are lines too, and ignored). */
static void line(struct sub *s, const char *l, int64_t now) {
  if (strncmp(l, "id: ", 4) == 0) {
    int seq = (int)strtol(l + 4, NULL, 10);
    if (seq != sh->last[s->i] + 1) sh->disorder[s->i] = seq;
    sh->last[s->i] = seq;
    if (seq > 0 && seq < SEQ_MAX) sh->arrived_ns[s->i][seq] = now;
  } else if (strcmp(l, "event: end") == 0) {
    sh->ended[s->i] = 1;
  }
}

/* Read what arrived; false once the stream is over. */
static bool drain(struct sub *s, int *connected) {
  for (;;) {
    ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - 1 - s->len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    int64_t now = mono_ns();
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    char *p = s->buf, *nl;
    if (!s->headers) {
      char *end = strstr(p, "\r\n\r\n");
      if (!end) continue;
      sh->status[s->i] = (int)strtol(p + 9, NULL, 10);
      s->headers = true;
      ++*connected;
      p = end + 4;
    }
    while ((nl = strchr(p, '\n'))) {
      *nl = '\0';
      if (nl > p && nl[-1] == '\r') nl[-1] = '\0';
      line(s, p, now);
      p = nl + 1;
    }
    s->len = strlen(p);
    memmove(s->buf, p, s->len);
    if (s->len >= sizeof s->buf - 1) return false; /* a line longer than any event */
  }
}

static void subscribers(int nsubs, int port, const char *id, const char *token, int tell) {
  int ep = epoll_create1(0);
  struct sub *subs = calloc((size_t)nsubs, sizeof *subs);
  char req[1024];
  int n = snprintf(req, sizeof req,
                   "GET /api/v1/executions/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                   "Accept: text/event-stream\r\nLast-Event-ID: 0\r\n\r\n", id, token);
  for (int i = 0; i < nsubs; i++) {
    subs[i].i = i;
    subs[i].fd = connect_to(port);
    struct pollfd pf = {.fd = subs[i].fd, .events = POLLOUT};
    if (subs[i].fd < 0 || poll(&pf, 1, 5000) != 1 || write(subs[i].fd, req, (size_t)n) != n) {
      fprintf(stderr, "bench_api_sse: subscriber %d could not connect\n", i);
      _exit(1);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &subs[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
  }
  int connected = 0, open = nsubs;
  bool told = false;
  int64_t deadline = mono_ns() + (int64_t)900 * 1000000000;
  while (open > 0 && mono_ns() < deadline) {
    struct epoll_event evs[64];
    int k = epoll_wait(ep, evs, 64, 1000);
    for (int j = 0; j < k; j++) {
      struct sub *s = evs[j].data.ptr;
      if (!drain(s, &connected)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        open--;
      }
    }
    if (!told && connected >= nsubs) {
      sh->all_connected_ns = mono_ns();
      told = write(tell, "C", 1) == 1;
    }
  }
  _exit(0);
}

/* ---- The server (parent) ---------------------------------------------------------------------- */

static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char l[256];
  long v = -1;
  size_t kl = strlen(key);
  while (f && fgets(l, sizeof l, f))
    if (strncmp(l, key, kl) == 0 && l[kl] == ':') v = strtol(l + kl + 1, NULL, 10);
  if (f) fclose(f);
  return v;
}

static void report(int nsubs, int last_seq, long rss0, long rss1, struct wrk_figures before, struct wrk_figures during) {
  int complete = 0, ended = 0, ok = 0;
  size_t nd = 0;
  double *delays = malloc(sizeof(double) * (size_t)nsubs * SEQ_MAX);
  for (int i = 0; i < nsubs; i++) {
    ok += sh->status[i] == 200;
    complete += sh->last[i] == last_seq && !sh->disorder[i];
    ended += sh->ended[i];
    for (int q = 1; delays && q <= last_seq && q < SEQ_MAX; q++)
      if (sh->published_ns[q] > sh->all_connected_ns && sh->arrived_ns[i][q])
        delays[nd++] = (double)(sh->arrived_ns[i][q] - sh->published_ns[q]) / 1e6;
  }
  printf("  subscribers answered 200: %d of %d; every event 1..%d exactly once and in order: %d; `end` read: %d\n", ok,
         nsubs, last_seq, complete, ended);
  printf("  live events delivered: %zu (events appended after every subscriber was connected, times subscribers)\n", nd);
  if (nd) {
    double p50 = ba_pct(delays, nd, 0.50), p99 = ba_pct(delays, nd, 0.99), max = ba_pct(delays, nd, 1.0);
    printf("  delivery after the journal append: p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 < 100 ms: %s)\n", p50,
           p99, max, p99 < 100 ? "met" : "NOT met");
  }
  printf("  server RSS %ld kB before, %ld kB with the subscribers: %.1f kB per subscriber; %ld threads\n", rss0, rss1,
         (double)(rss1 - rss0) / nsubs, status_kb("Threads"));
  printf("  GET /executions/{id} under wrk (16 connections): p50 %.2f ms, p99 %.2f ms, %.0f req/s without subscribers;\n"
         "                                              p50 %.2f ms, p99 %.2f ms, %.0f req/s with them connected\n",
         before.p50_ms, before.p99_ms, before.rps, during.p50_ms, during.p99_ms, during.rps);
  free(delays);
}

int main(int argc, char **argv) {
  int nsubs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 500;
  double speed = argc > 2 ? atof(argv[2]) : 60;
  if (nsubs < 1 || nsubs > SUBS_MAX || speed < 1 || speed > 600) {
    fprintf(stderr, "usage: bench_api_sse [SUBSCRIBERS 1-%d, default 500] [SPEED 1-600, default 60]\n", SUBS_MAX);
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl);
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int to_child[2], to_parent[2];
  if (sh == MAP_FAILED || pipe(to_child) || pipe(to_parent)) ba_fail(&b, "shared memory or pipes", NULL);
  pid_t child = fork();
  if (child == 0) { /* no thread runs yet: the child is a plain process */
    char msg[512], id[64], token[96];
    int port = 0;
    ssize_t n = read(to_child[0], msg, sizeof msg - 1);
    if (n <= 0 || (msg[n] = '\0', sscanf(msg, "%d %63s %95s", &port, id, token) != 3)) _exit(1);
    subscribers(nsubs, port, id, token, to_parent[1]);
  }
  bool wrk = ba_have_wrk();
  b.listener = listener;
  int threads = nsubs + 100;
  ba_start(&b, threads, speed);
  char id[64];
  ba_drill(&b, BENCH_PLAN, false, id, sizeof id);
  printf("%d event-stream subscribers on a running drill (sim speed %.0fx), server.threads %d\n", nsubs, speed, threads);
  char url[256];
  snprintf(url, sizeof url, "%s/api/v1/executions/%s", b.base, id);
  struct wrk_figures before = {0}, during = {0};
  if (wrk) before = ba_wrk(url, 1, 16, 3, b.token, NULL);
  long rss0 = status_kb("VmRSS");
  char msg[512];
  int n = snprintf(msg, sizeof msg, "%s %s %s\n", strrchr(b.base, ':') + 1, id, b.token);
  char c = 0;
  if (write(to_child[1], msg, (size_t)n) != n || read(to_parent[0], &c, 1) != 1 || c != 'C') ba_fail(&b, "the subscribers did not connect", NULL);
  usleep(500000); /* they have caught up from the journal */
  long rss1 = status_kb("VmRSS");
  if (wrk) during = ba_wrk(url, 1, 16, 3, b.token, NULL);
  int status = 0;
  waitpid(child, &status, 0);
  int st;
  json_t *j = ba_call(&b, "GET", strstr(url, "/api/"), NULL, &st);
  int last_seq = (int)json_integer_value(json_object_get(j, "seq"));
  json_decref(j);
  report(nsubs, last_seq, rss0, rss1, before, during);
  if (!wrk) printf("  (wrk is not installed: no API latency figures)\n");
  ba_stop(&b);
  return 0;
}
