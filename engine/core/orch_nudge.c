/* orch_nudge: see orch_nudge.h. */
#include "core/orch_nudge.h"

#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/orch_str.h"

struct nudge {
  struct addrinfo *ai;
  atomic_bool done;
};

static void *nudge_main(void *arg) {
  struct nudge *n = arg;
  while (!atomic_load(&n->done)) {
    int fd = socket(n->ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      (void)!connect(fd, n->ai->ai_addr, n->ai->ai_addrlen);
      close(fd);
    }
    usleep(5000);
  }
  return NULL;
}

/* The address to connect to for a server listening on `host` (without brackets; wildcards by loopback). */
static bool target(const char *host, char *out, size_t n) {
  const char *h = host ? host : "";
  size_t len = strlen(h);
  if (len >= 2 && h[0] == '[' && h[len - 1] == ']') h++, len -= 2;
  if (!orch_str_fmt(out, n, "%.*s", (int)len, h)) return false;
  if (!out[0] || strcmp(out, "0.0.0.0") == 0) return orch_str_fmt(out, n, "127.0.0.1");
  if (strcmp(out, "::") == 0) return orch_str_fmt(out, n, "::1");
  return true;
}

void orch_nudge_stop(void (*stop)(void *ctx), void *ctx, const char *host, int port) {
  char addr[64], service[16];
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
  struct nudge n = {.ai = NULL};
  atomic_init(&n.done, false);
  pthread_t t;
  bool nudging = port > 0 && target(host, addr, sizeof addr) && orch_str_fmt(service, sizeof service, "%d", port) &&
                 getaddrinfo(addr, service, &hints, &n.ai) == 0 && pthread_create(&t, NULL, nudge_main, &n) == 0;
  stop(ctx);
  if (nudging) {
    atomic_store(&n.done, true);
    pthread_join(t, NULL);
  }
  if (n.ai) freeaddrinfo(n.ai);
}
