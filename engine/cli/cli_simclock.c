/* cli_simclock: following a standalone simulator's clock: one GET /_sim/clock to start from, a virtual
 * clock at its speed, and a thread that asks again every RESYNC_MS real ms. Uses orch_aws_curl, orch_http,
 * orch_clock, orch_json, pthreads. */
#include "cli/cli_simclock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_curl.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"

#define RESYNC_MS 500
#define ASK_TIMEOUT_MS 5000

struct cli_simclock {
  char url[600];
  struct orch_http_transport http;
  struct orch_vclock *vc;
  struct orch_clock_event stop_ev;
  bool stop_ev_ok;
  pthread_t thread;
  bool started;
  pthread_mutex_t mu;
  bool stop;
};

/* GET <endpoint>/_sim/clock: its now_ms and speed. */
static int ask(struct cli_simclock *c, int64_t *now_ms, double *speed, struct orch_error *err) {
  struct orch_http_request req = {.method = "GET"};
  struct orch_http_response resp = {0};
  int rc = orch_http_request_set_target(&req, "/_sim/clock", "");
  if (!rc) rc = c->http.ops->send(c->http.ctx, c->url, &req, &resp, err);
  if (!rc) {
    json_t *j = resp.status == 200 ? orch_json_parse(orch_buf_cstr(&resp.body), resp.body.len, 0, NULL) : NULL;
    const json_t *n = json_object_get(j, "now_ms"), *s = json_object_get(j, "speed");
    if (!json_is_integer(n) || !json_is_number(s) || json_number_value(s) < 0)
      rc = orch_error_setc(err, ORCH_ENOTFOUND, c->url, "not a drsorch simulator (GET /_sim/clock answered %d)", resp.status);
    else
      *now_ms = json_integer_value(n), *speed = json_number_value(s);
    json_decref(j);
  }
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  return rc;
}

static void resync(struct cli_simclock *c) {
  int64_t sim_now = 0;
  double speed = 0;
  if (ask(c, &sim_now, &speed, NULL)) return; /* keep running on the last answer; the next one may get through */
  orch_vclock_set_speed(c->vc, speed);
  int64_t mine = orch_clock_now_ms(orch_vclock_clock(c->vc));
  if (sim_now > mine) orch_vclock_advance(c->vc, sim_now - mine); /* never back: when ahead, it waits for us */
}

static void *follow(void *arg) {
  struct cli_simclock *c = arg;
  for (;;) {
    pthread_mutex_lock(&c->mu);
    bool stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    if (stop) break;
    resync(c);
    orch_clock_wait(orch_clock_real(), &c->stop_ev, orch_clock_now_ms(orch_clock_real()) + RESYNC_MS);
  }
  return NULL;
}

int cli_simclock_new(const char *endpoint, struct cli_simclock **out, struct orch_error *err) {
  struct cli_simclock *c = orch_calloc(1, sizeof *c);
  if (!c) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  size_t n = strlen(endpoint);
  while (n && endpoint[n - 1] == '/') n--;
  snprintf(c->url, sizeof c->url, "%.*s", (int)n, endpoint);
  pthread_mutex_init(&c->mu, NULL);
  struct orch_aws_curl_config cc = {.connect_timeout_ms = ASK_TIMEOUT_MS, .timeout_ms = ASK_TIMEOUT_MS, .max_idle_handles = 1};
  int64_t now_ms = 0;
  double speed = 0;
  c->stop_ev_ok = orch_clock_event_init(&c->stop_ev) == 0;
  int rc = c->stop_ev_ok ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!rc) rc = orch_aws_curl_new(&cc, &c->http, err);
  if (!rc) rc = ask(c, &now_ms, &speed, err);
  if (!rc && orch_vclock_new(now_ms, speed, &c->vc)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!rc && pthread_create(&c->thread, NULL, follow, c) != 0) rc = orch_error_set(err, ORCH_EINTERNAL, "cannot start a thread");
  if (!rc) c->started = true;
  if (rc) {
    cli_simclock_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

const struct orch_clock *cli_simclock_clock(struct cli_simclock *c) { return orch_vclock_clock(c->vc); }

double cli_simclock_speed(struct cli_simclock *c) { return orch_vclock_speed(c->vc); }

void cli_simclock_free(struct cli_simclock *c) {
  if (!c) return;
  if (c->started) {
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_mutex_unlock(&c->mu);
    orch_clock_signal(orch_clock_real(), &c->stop_ev);
    pthread_join(c->thread, NULL);
  }
  if (c->http.ops) c->http.ops->destroy(c->http.ctx);
  orch_vclock_free(c->vc);
  if (c->stop_ev_ok) orch_clock_event_destroy(&c->stop_ev);
  pthread_mutex_destroy(&c->mu);
  orch_free(c);
}
