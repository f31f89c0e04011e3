/* orch_api_metrics: atomic counters and their Prometheus rendering. Uses stdatomic, orch_alloc, orch_buf. */
#include "api/orch_api_metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

static const int statuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 411, 412,
                               413, 414, 415, 422, 429, 431, 500, 502, 503, 0 /* other */};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
/* upper bounds in seconds */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

struct route_counters {
  atomic_ullong by_status[NSTATUS];
  atomic_ullong le[NBUCKET + 1]; /* + Inf */
  atomic_ullong sum_ns;
  atomic_ullong count;
};

struct orch_api_metrics {
  size_t nroutes;
  struct route_counters *r; /* nroutes + 1: the last is "no route" */
  atomic_ullong transport[NSTATUS];
  atomic_long subscribers;
  atomic_ullong subscribers_total, dropped, events_sent;
};

int orch_api_metrics_new(size_t nroutes, struct orch_api_metrics **out) {
  struct orch_api_metrics *m = orch_calloc(1, sizeof *m);
  if (!m || !(m->r = orch_calloc(nroutes + 1, sizeof *m->r))) {
    orch_free(m);
    return ORCH_ENOMEM;
  }
  m->nroutes = nroutes;
  *out = m;
  return 0;
}

void orch_api_metrics_free(struct orch_api_metrics *m) {
  if (!m) return;
  orch_free(m->r);
  orch_free(m);
}

static size_t status_index(int status) {
  for (size_t i = 0; i + 1 < NSTATUS; i++)
    if (statuses[i] == status) return i;
  return NSTATUS - 1;
}

void orch_api_metrics_observe(struct orch_api_metrics *m, long route, int status, int64_t ns) {
  struct route_counters *r = &m->r[route >= 0 && (size_t)route < m->nroutes ? (size_t)route : m->nroutes];
  atomic_fetch_add_explicit(&r->by_status[status_index(status)], 1, memory_order_relaxed);
  double s = (double)(ns > 0 ? ns : 0) / 1e9;
  size_t b = 0;
  while (b < NBUCKET && s > buckets[b]) b++;
  atomic_fetch_add_explicit(&r->le[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->sum_ns, (unsigned long long)(ns > 0 ? ns : 0), memory_order_relaxed);
  atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
}

void orch_api_metrics_transport(struct orch_api_metrics *m, int status) {
  atomic_fetch_add_explicit(&m->transport[status_index(status)], 1, memory_order_relaxed);
}

void orch_api_metrics_subscribers(struct orch_api_metrics *m, int delta, int dropped) {
  atomic_fetch_add(&m->subscribers, delta);
  if (delta > 0) atomic_fetch_add(&m->subscribers_total, (unsigned long long)delta);
  if (dropped) atomic_fetch_add(&m->dropped, 1);
}

void orch_api_metrics_events_sent(struct orch_api_metrics *m, uint64_t n) {
  atomic_fetch_add_explicit(&m->events_sent, n, memory_order_relaxed);
}

long orch_api_metrics_subscriber_count(const struct orch_api_metrics *m) { return atomic_load(&m->subscribers); }

static const char *status_label(size_t i, char buf[8]) {
  if (!statuses[i]) return "other";
  snprintf(buf, 8, "%d", statuses[i]);
  return buf;
}

int orch_api_metrics_render(const struct orch_api_metrics *m, const char *const *names, struct orch_buf *out) {
  int rc = orch_buf_puts(out, "# HELP drsorch_http_requests_total API requests by route (operation id) and status.\n"
                              "# TYPE drsorch_http_requests_total counter\n");
  char sl[8];
  for (size_t r = 0; !rc && r <= m->nroutes; r++)
    for (size_t s = 0; !rc && s < NSTATUS; s++) {
      unsigned long long v = atomic_load_explicit(&m->r[r].by_status[s], memory_order_relaxed);
      if (v) rc = orch_buf_printf(out, "drsorch_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                                  r < m->nroutes ? names[r] : "none", status_label(s, sl), v);
    }
  if (!rc)
    rc = orch_buf_puts(out, "# HELP drsorch_http_request_duration_seconds Time from routing to the answer, by route.\n"
                            "# TYPE drsorch_http_request_duration_seconds histogram\n");
  for (size_t r = 0; !rc && r <= m->nroutes; r++) {
    unsigned long long count = atomic_load(&m->r[r].count), cum = 0;
    if (!count) continue;
    const char *name = r < m->nroutes ? names[r] : "none";
    for (size_t b = 0; !rc && b <= NBUCKET; b++) {
      cum += atomic_load(&m->r[r].le[b]);
      if (b < NBUCKET)
        rc = orch_buf_printf(out, "drsorch_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", name,
                             buckets[b], cum);
      else
        rc = orch_buf_printf(out, "drsorch_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name,
                             cum);
    }
    if (!rc)
      rc = orch_buf_printf(out,
                           "drsorch_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                           "drsorch_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                           name, (double)atomic_load(&m->r[r].sum_ns) / 1e9, name, count);
  }
  if (!rc) rc = orch_buf_puts(out, "# HELP drsorch_http_transport_errors_total Answers given before routing (malformed "
                                   "requests, headers too large, time-outs).\n"
                                   "# TYPE drsorch_http_transport_errors_total counter\n");
  for (size_t s = 0; !rc && s < NSTATUS; s++) {
    unsigned long long v = atomic_load(&m->transport[s]);
    if (v) rc = orch_buf_printf(out, "drsorch_http_transport_errors_total{status=\"%s\"} %llu\n", status_label(s, sl), v);
  }
  if (!rc)
    rc = orch_buf_printf(out,
                         "# HELP drsorch_sse_subscribers Event-stream subscribers connected now.\n"
                         "# TYPE drsorch_sse_subscribers gauge\ndrsorch_sse_subscribers %ld\n"
                         "# HELP drsorch_sse_subscribers_total Event-stream subscriptions since start.\n"
                         "# TYPE drsorch_sse_subscribers_total counter\ndrsorch_sse_subscribers_total %llu\n"
                         "# HELP drsorch_sse_dropped_total Subscribers dropped for falling too far behind.\n"
                         "# TYPE drsorch_sse_dropped_total counter\ndrsorch_sse_dropped_total %llu\n"
                         "# HELP drsorch_sse_events_sent_total Events written to subscribers.\n"
                         "# TYPE drsorch_sse_events_sent_total counter\ndrsorch_sse_events_sent_total %llu\n",
                         atomic_load(&m->subscribers), atomic_load(&m->subscribers_total), atomic_load(&m->dropped),
                         atomic_load(&m->events_sent));
  return rc;
}
