/* loopback_http: a tiny HTTP/1.1 server on 127.0.0.1 (port 0) for the AWS layer's tests: a poll loop
 * on its own thread, keep-alive, one handler callback per request, and misbehaviours on request
 * (closing mid-body, stalling). Header-only (static functions) so each test file includes it.
 * Uses POSIX sockets and pthreads. */
#ifndef LOOPBACK_HTTP_H
#define LOOPBACK_HTTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define LB_MAX_CONNS 16
#define LB_MAX_REQ (256 * 1024)

struct lb_request {
  char method[16];
  char target[2048]; /* path and query as sent */
  char headers[8192]; /* raw header lines, "\r\n" separated */
  char *body;
  size_t body_len;
};

struct lb_response {
  int status;
  char headers[4096]; /* extra header lines, each ending "\r\n" */
  char body[65536];
  size_t body_len;      /* 0 = strlen(body) */
  long truncate_body;   /* >= 0: send Content-Length of the full body but only this many bytes, then close */
  bool close;           /* close the connection after responding */
  int delay_ms;         /* wait before answering */
};

typedef void (*lb_handler)(void *ctx, const struct lb_request *req, struct lb_response *resp);

struct lb_server {
  int listen_fd, stop_pipe[2];
  int port;
  pthread_t thread;
  lb_handler handler;
  void *ctx;
  int conns[LB_MAX_CONNS];
  char *bufs[LB_MAX_CONNS];
  size_t lens[LB_MAX_CONNS];
  int accepted; /* connections accepted so far */
  int requests; /* requests answered so far */
  pthread_mutex_t mu;
};

static inline char *lb_memmem(char *hay, size_t n, const char *needle, size_t m) {
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return hay + i;
  return NULL;
}

/* The value of header `name` in req (case-insensitive) into out; false when absent. */
static inline bool lb_header(const struct lb_request *req, const char *name, char *out, size_t outsz) {
  size_t n = strlen(name);
  for (const char *p = req->headers; *p;) {
    const char *e = strstr(p, "\r\n");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
      const char *v = p + n + 1;
      while (*v == ' ') v++;
      size_t vl = len - (size_t)(v - p);
      if (vl >= outsz) vl = outsz - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return true;
    }
    p += len + (e ? 2 : 0);
  }
  return false;
}

static inline void lb_write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL); /* the client may have gone (timeouts) */
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

static inline void lb_close_conn(struct lb_server *s, int i) {
  close(s->conns[i]);
  s->conns[i] = -1;
  free(s->bufs[i]);
  s->bufs[i] = NULL;
  s->lens[i] = 0;
}

/* Handle as many complete requests as buf i holds; false when the connection was closed. */
static inline bool lb_serve_buffered(struct lb_server *s, int i) {
  for (;;) {
    char *buf = s->bufs[i];
    size_t len = s->lens[i];
    char *end = len ? lb_memmem(buf, len, "\r\n\r\n", 4) : NULL;
    if (!end) return true;
    size_t head = (size_t)(end - buf) + 4, clen = 0;
    struct lb_request *req = calloc(1, sizeof *req);
    struct lb_response *resp = calloc(1, sizeof *resp);
    if (!req || !resp) abort();
    char *line_end = lb_memmem(buf, head, "\r\n", 2);
    sscanf(buf, "%15s %2047s", req->method, req->target);
    size_t hl = head - (size_t)(line_end + 2 - buf) - 2;
    if (hl >= sizeof req->headers) hl = sizeof req->headers - 1;
    memcpy(req->headers, line_end + 2, hl);
    char cl[32];
    if (lb_header(req, "Content-Length", cl, sizeof cl)) clen = (size_t)strtoul(cl, NULL, 10);
    if (len < head + clen) {
      free(req);
      free(resp);
      return true; /* wait for the rest of the body */
    }
    req->body = buf + head;
    req->body_len = clen;
    resp->status = 200;
    resp->truncate_body = -1;
    s->handler(s->ctx, req, resp);
    if (resp->delay_ms) usleep((useconds_t)resp->delay_ms * 1000);
    size_t blen = resp->body_len ? resp->body_len : strlen(resp->body);
    char head_out[8192];
    int hn = snprintf(head_out, sizeof head_out, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s%s\r\n", resp->status, blen,
                      resp->headers, resp->close ? "Connection: close\r\n" : "");
    lb_write_all(s->conns[i], head_out, (size_t)hn);
    size_t send_n = resp->truncate_body >= 0 && (size_t)resp->truncate_body < blen ? (size_t)resp->truncate_body : blen;
    lb_write_all(s->conns[i], resp->body, send_n);
    pthread_mutex_lock(&s->mu);
    s->requests++;
    pthread_mutex_unlock(&s->mu);
    bool close_now = resp->close || resp->truncate_body >= 0;
    free(req);
    free(resp);
    if (close_now) {
      lb_close_conn(s, i);
      return false;
    }
    memmove(buf, buf + head + clen, len - head - clen);
    s->lens[i] = len - head - clen;
  }
}

static inline void *lb_loop(void *arg) {
  struct lb_server *s = arg;
  for (;;) {
    struct pollfd fds[LB_MAX_CONNS + 2];
    int idx[LB_MAX_CONNS + 2], n = 0;
    fds[n].fd = s->stop_pipe[0];
    fds[n++].events = POLLIN;
    fds[n].fd = s->listen_fd;
    fds[n++].events = POLLIN;
    for (int i = 0; i < LB_MAX_CONNS; i++)
      if (s->conns[i] >= 0) {
        idx[n] = i;
        fds[n].fd = s->conns[i];
        fds[n++].events = POLLIN;
      }
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      int fd = accept(s->listen_fd, NULL, NULL);
      if (fd >= 0) {
        int slot = -1;
        for (int i = 0; i < LB_MAX_CONNS && slot < 0; i++)
          if (s->conns[i] < 0) slot = i;
        if (slot < 0) close(fd);
        else {
          s->conns[slot] = fd;
          s->bufs[slot] = malloc(LB_MAX_REQ);
          s->lens[slot] = 0;
          pthread_mutex_lock(&s->mu);
          s->accepted++;
          pthread_mutex_unlock(&s->mu);
        }
      }
    }
    for (int k = 2; k < n; k++) {
      if (!fds[k].revents) continue;
      int i = idx[k];
      if (s->conns[i] < 0) continue;
      ssize_t r = read(s->conns[i], s->bufs[i] + s->lens[i], LB_MAX_REQ - s->lens[i]);
      if (r <= 0) {
        lb_close_conn(s, i);
        continue;
      }
      s->lens[i] += (size_t)r;
      if ((unsigned char)s->bufs[i][0] == 0x16) { /* a TLS ClientHello: this server speaks plain HTTP only */
        lb_close_conn(s, i);
        continue;
      }
      lb_serve_buffered(s, i);
    }
  }
  return NULL;
}

/* Start a server; a test cannot go on without it, so a failure to start aborts the test process with
 * the reason (never NULL). */
static inline void lb_fail(const char *what) {
  fprintf(stderr, "loopback_http: %s: %s\n", what, strerror(errno));
  abort();
}

__attribute__((returns_nonnull)) static inline struct lb_server *lb_start(lb_handler handler, void *ctx) {
  struct lb_server *s = calloc(1, sizeof *s);
  if (!s) lb_fail("out of memory");
  s->handler = handler;
  s->ctx = ctx;
  for (int i = 0; i < LB_MAX_CONNS; i++) s->conns[i] = -1;
  pthread_mutex_init(&s->mu, NULL);
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) || listen(s->listen_fd, 16) ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &al) || pipe(s->stop_pipe))
    lb_fail("cannot listen on 127.0.0.1");
  s->port = ntohs(a.sin_port);
  if (pthread_create(&s->thread, NULL, lb_loop, s)) lb_fail("cannot start the server thread");
  return s;
}

static inline void lb_stop(struct lb_server *s) {
  if (!s) return;
  if (write(s->stop_pipe[1], "x", 1) != 1) abort();
  pthread_join(s->thread, NULL);
  for (int i = 0; i < LB_MAX_CONNS; i++)
    if (s->conns[i] >= 0) lb_close_conn(s, i);
  close(s->listen_fd);
  close(s->stop_pipe[0]);
  close(s->stop_pipe[1]);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static inline int lb_accepted(struct lb_server *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->accepted;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* "http://127.0.0.1:<port>" into out. */
static inline void lb_url(const struct lb_server *s, char *out, size_t outsz) {
  snprintf(out, outsz, "http://127.0.0.1:%d", s->port);
}

#endif
