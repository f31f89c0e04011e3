/* dynamo_proxy: a loopback HTTP proxy in front of dynalite for the DynamoDB store's tests, to force what
 * only a network or a race does: it can lose the answer to a request that was acted on, and it can hold
 * one request unsent until the test releases it (to force an interleaving of two writers), such as the
 * retry of a request whose answer it lost (another writer then acts between the two). Markers are
 * matched against the whole request, headers included (X-Amz-Target names the operation). Header-only;
 * one thread per connection.
 * Uses POSIX sockets, pthreads, Criterion (cr_assert). */
#ifndef DYNAMO_PROXY_H
#define DYNAMO_PROXY_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

/* Losing an answer: the request is forwarded and acted on, and then the connection is closed instead of
 * answering, as a network failure after DynamoDB committed would. */
struct proxy {
  int lfd, port;
  int upstream; /* dynalite's port */
  const char *marker; /* lose the answer to requests whose body contains it ... */
  atomic_int lose;    /* ... this many more times */
  atomic_int lost;
  bool hold_retry; /* after losing an answer, hold the next request with the marker (the retry) */
  pthread_t thread;
  /* hold (proxy_hold): the first request holding every string of hold[] waits, unsent, for proxy_release */
  const char *hold[2];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int held, released;
};

/* Whether request req[0..n) holds every string of px->hold and is the first to: then it waits, unsent,
 * until proxy_release. */
static void proxy_maybe_hold(struct proxy *px, const char *req, size_t n) {
  pthread_mutex_lock(&px->mu);
  bool match = !px->held;
  for (int i = 0; match && i < 2; i++) match = px->hold[i] && memmem(req, n, px->hold[i], strlen(px->hold[i]));
  if (match) {
    px->held = 1;
    pthread_cond_broadcast(&px->cv);
    while (!px->released) pthread_cond_wait(&px->cv, &px->mu);
  }
  pthread_mutex_unlock(&px->mu);
}

/* Hold the first request of DynamoDB operation `op` whose body contains `marker`. */
static void proxy_hold(struct proxy *px, const char *op, const char *marker) {
  pthread_mutex_lock(&px->mu);
  px->hold[0] = op;
  px->hold[1] = marker;
  pthread_mutex_unlock(&px->mu);
}

static void proxy_wait_held(struct proxy *px) {
  pthread_mutex_lock(&px->mu);
  while (!px->held) pthread_cond_wait(&px->cv, &px->mu);
  pthread_mutex_unlock(&px->mu);
}

static void proxy_release(struct proxy *px) {
  pthread_mutex_lock(&px->mu);
  px->released = 1;
  pthread_cond_broadcast(&px->cv);
  pthread_mutex_unlock(&px->mu);
}

/* Read one HTTP message (headers and a Content-Length body) into buf; its length, or 0 at EOF. */
static size_t read_message(int fd, char *buf, size_t cap) {
  size_t got = 0, need = 0;
  for (;;) {
    if (need && got >= need) return need;
    if (got == cap) return 0;
    ssize_t r = read(fd, buf + got, cap - got);
    if (r <= 0) return 0;
    got += (size_t)r;
    buf[got < cap ? got : cap - 1] = '\0';
    char *end = need ? NULL : strstr(buf, "\r\n\r\n");
    if (end) {
      char *cl = strcasestr(buf, "\ncontent-length:");
      need = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
    }
  }
}

static bool write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

struct conn {
  struct proxy *px;
  int fd;
};

static void *proxy_conn(void *arg) {
  struct conn c = *(struct conn *)arg;
  free(arg);
  enum { CAP = 4 * 1024 * 1024 };
  char *req = malloc(CAP), *resp = malloc(CAP);
  int up = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c.px->upstream)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (req && resp && up >= 0 && connect(up, (struct sockaddr *)&a, sizeof a) == 0) {
    for (;;) {
      size_t n = read_message(c.fd, req, CAP);
      if (!n) break;
      proxy_maybe_hold(c.px, req, n);
      if (!write_all(up, req, n)) break;
      size_t m = read_message(up, resp, CAP);
      if (!m) break;
      if (c.px->marker && memmem(req, n, c.px->marker, strlen(c.px->marker)) && atomic_fetch_sub(&c.px->lose, 1) > 0) {
        atomic_fetch_add(&c.px->lost, 1);
        if (c.px->hold_retry) proxy_hold(c.px, c.px->marker, c.px->marker);
        break; /* acted on, never answered */
      }
      if (!write_all(c.fd, resp, m)) break;
    }
  }
  if (up >= 0) close(up);
  close(c.fd);
  free(req);
  free(resp);
  return NULL;
}

static void *proxy_main(void *arg) {
  struct proxy *px = arg;
  for (;;) {
    int fd = accept(px->lfd, NULL, NULL);
    if (fd < 0) return NULL; /* shut down */
    struct conn *c = malloc(sizeof *c);
    pthread_t t;
    cr_assert(c);
    *c = (struct conn){px, fd};
    cr_assert_eq(pthread_create(&t, NULL, proxy_conn, c), 0);
    pthread_detach(t);
  }
}

static void proxy_start(struct proxy *px, int upstream, const char *marker, int lose) {
  memset(px, 0, sizeof *px);
  px->upstream = upstream;
  cr_assert_eq(pthread_mutex_init(&px->mu, NULL), 0);
  cr_assert_eq(pthread_cond_init(&px->cv, NULL), 0);
  px->marker = marker;
  atomic_store(&px->lose, lose);
  px->lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  cr_assert(px->lfd >= 0 && bind(px->lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(px->lfd, 16) == 0 &&
            getsockname(px->lfd, (struct sockaddr *)&a, &len) == 0);
  px->port = ntohs(a.sin_port);
  cr_assert_eq(pthread_create(&px->thread, NULL, proxy_main, px), 0);
}

static void proxy_stop(struct proxy *px) {
  proxy_release(px);
  shutdown(px->lfd, SHUT_RDWR);
  pthread_join(px->thread, NULL);
  close(px->lfd);
}

#endif
