/* orch_nudge: a stop that waits for its accept loop to wake is woken by connections to the address the
 * server listens on (wildcards through loopback), and a stop with no address just runs. Which bug fails
 * it: no nudge (the accept below never returns: the test's time-out), a wildcard not mapped to loopback,
 * or a port parsed wrongly. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/orch_nudge.h"

struct listener {
  int fd;
  int accepted;
};

static int listen_on(const char *addr, int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq(fd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  cr_assert_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
  cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  cr_assert_eq(listen(fd, 8), 0);
  socklen_t len = sizeof sa;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

/* The "server's" stop: blocks until somebody connects, as CivetWeb's master only ends after its poll. */
static void wait_for_a_connection(void *ctx) {
  struct listener *l = ctx;
  int c = accept(l->fd, NULL, NULL);
  if (c >= 0) {
    l->accepted++;
    close(c);
  }
}

static void nudged(const char *listen_addr, const char *given_host) {
  int port = 0;
  struct listener l = {.fd = listen_on(listen_addr, &port)};
  orch_nudge_stop(wait_for_a_connection, &l, given_host, port);
  cr_expect_eq(l.accepted, 1, "the stop was woken by a connection to %s:%d", given_host, port);
  close(l.fd);
}

Test(nudge, a_stop_waiting_for_its_accept_loop_is_woken, .timeout = 20) { nudged("127.0.0.1", "127.0.0.1"); }

Test(nudge, a_wildcard_address_is_reached_through_loopback, .timeout = 20) { nudged("0.0.0.0", "0.0.0.0"); }

Test(nudge, an_empty_host_is_loopback, .timeout = 20) { nudged("127.0.0.1", ""); }

static void count(void *ctx) { (*(int *)ctx)++; }

Test(nudge, without_a_port_the_stop_just_runs, .timeout = 20) {
  int ran = 0;
  orch_nudge_stop(count, &ran, "127.0.0.1", 0);
  orch_nudge_stop(count, &ran, "not-an-address", 8080);
  cr_expect_eq(ran, 2);
}
