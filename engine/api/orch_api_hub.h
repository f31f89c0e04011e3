/* orch_api_hub: fan-out of journal events to event-stream subscribers. The engine's listener publishes
 * each event of an execution someone watches into that execution's ring (bounded: server.sse_lag events),
 * an O(1) append on the scheduler thread that never waits for a subscriber; subscribers read the ring at
 * their own pace, and one that falls off its end is told it was dropped (it reconnects from its last id
 * and catches up from the journal). Executions nobody watches cost one lookup. Uses pthreads, jansson,
 * orch_alloc. */
#ifndef ORCH_API_HUB_H
#define ORCH_API_HUB_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"
#include "core/orch_id.h"

/* One event as subscribers get it: shared, immutable, reference-counted. */
struct orch_api_hub_event {
  int64_t seq;
  int64_t at_ms;
  char type[64];
  char *data;     /* compact JSON ("null" when none) */
  char *frame;    /* the whole Server-Sent Event (id, event, data lines), rendered once for every subscriber */
  size_t frame_len;
  bool finished;  /* after it nothing is left to do in the execution */
  atomic_int refs;
};

enum orch_api_hub_wait {
  ORCH_API_HUB_EVENTS,   /* *n events returned */
  ORCH_API_HUB_TIMEOUT,  /* nothing new within the time-out */
  ORCH_API_HUB_DROPPED,  /* events after `after` have left the ring: read them from the journal */
  ORCH_API_HUB_SHUTDOWN, /* the server is stopping */
};

struct orch_api_hub;
struct orch_api_hub_sub;

int orch_api_hub_new(size_t ring, struct orch_api_hub **out) ORCH_MUST_CHECK;
/* No subscriber may remain. Accepts NULL. */
void orch_api_hub_free(struct orch_api_hub *hub);
/* Wake every subscriber with ORCH_API_HUB_SHUTDOWN from now on. */
void orch_api_hub_shutdown(struct orch_api_hub *hub);

/* The Server-Sent Event of a journal event into out: `id: SEQ`, `event: TYPE`, and `data:` the JSON
 * {seq, at, type, data} (data_json: compact JSON). */
int orch_api_sse_event(struct orch_buf *out, int64_t seq, int64_t at_ms, const char *type, const char *data_json);

/* Publish an event of execution `exec_id` (a no-op when nobody subscribes to it). */
void orch_api_hub_publish(struct orch_api_hub *hub, const char *exec_id, int64_t seq, int64_t at_ms, const char *type,
                          const json_t *data, bool finished);

int orch_api_hub_subscribe(struct orch_api_hub *hub, const char *exec_id, struct orch_api_hub_sub **out)
    ORCH_MUST_CHECK;
void orch_api_hub_unsubscribe(struct orch_api_hub_sub *sub);

/* Wait up to timeout_ms for events with seq > after; on ORCH_API_HUB_EVENTS up to `max` of them are in
 * evs (in order; release each with orch_api_hub_event_release). */
enum orch_api_hub_wait orch_api_hub_wait(struct orch_api_hub_sub *sub, int64_t after, int64_t timeout_ms,
                                         struct orch_api_hub_event **evs, size_t max, size_t *n);
void orch_api_hub_event_release(struct orch_api_hub *hub, struct orch_api_hub_event *ev);
struct orch_api_hub *orch_api_hub_of(struct orch_api_hub_sub *sub);

#endif
