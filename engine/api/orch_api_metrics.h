/* orch_api_metrics: the API's own counters, lock-free: requests by route and status, a latency
 * histogram per route, event-stream subscribers (now, dropped, events sent), and answers the transport
 * gave before routing. Rendered as Prometheus text (exposition format 0.0.4) together with what the
 * /metrics handler adds from the store and the AWS clients. Uses stdatomic, orch_buf. */
#ifndef ORCH_API_METRICS_H
#define ORCH_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

struct orch_api_metrics;

/* Counters for `nroutes` routes (index -1 in observe: a request that matched none). */
int orch_api_metrics_new(size_t nroutes, struct orch_api_metrics **out) ORCH_MUST_CHECK;
void orch_api_metrics_free(struct orch_api_metrics *m);

void orch_api_metrics_observe(struct orch_api_metrics *m, long route, int status, int64_t ns);
void orch_api_metrics_transport(struct orch_api_metrics *m, int status);
/* An event-stream subscriber came (+1) or went (-1); dropped: it fell too far behind. */
void orch_api_metrics_subscribers(struct orch_api_metrics *m, int delta, int dropped);
void orch_api_metrics_events_sent(struct orch_api_metrics *m, uint64_t n);
/* The current subscriber count. */
long orch_api_metrics_subscriber_count(const struct orch_api_metrics *m);

/* Append the request, latency and event-stream metrics. `names[i]` labels route i (its operation id). */
int orch_api_metrics_render(const struct orch_api_metrics *m, const char *const *names, struct orch_buf *out)
    ORCH_MUST_CHECK;

#endif
