/* orch_api_h_events: GET /executions/{id}/events: a JSON page of journal events from a sequence number, or,
 * when the client accepts text/event-stream, a Server-Sent Events stream resuming after Last-Event-ID
 * (orch_api_stream_run serves it): catch-up from the journal, then live events from the hub, heartbeats,
 * "end" once the execution has finished, "dropped" when the subscriber fell too far behind. Uses
 * orch_api_int, orch_api_hub, orch_api_metrics, orch_store, orch_str. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_hub.h"
#include "api/orch_api_int.h"
#include "api/orch_api_metrics.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

#define PAGE_DEFAULT 100
#define STORE_POLL_MS 2000 /* how often an idle stream looks at the journal (another process may drive it) */
#define HUB_BATCH 64

struct orch_api_stream {
  struct orch_api *api;
  char exec_id[ORCH_ID_UUID_LEN + 1];
  int64_t after; /* the last seq sent */
};

int orch_api_max_streams(int threads) {
  int keep = threads / 4 < 1 ? 1 : threads / 4 > 16 ? 16 : threads / 4;
  return threads > keep ? threads - keep : 0;
}

void orch_api_stream_free(struct orch_api_stream *s) {
  if (!s) return;
  atomic_fetch_sub(&s->api->streams, 1);
  orch_free(s);
}

static json_t *event_json(const struct orch_store_event *e) {
  char at[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(at, e->at_ms);
  return json_pack("{s:I, s:s, s:s, s:O}", "seq", (json_int_t)e->seq, "at", at, "type", e->type, "data",
                   e->data ? e->data : json_null());
}

static bool accepts_stream(const struct orch_api_request *req) {
  const char *accept = api_req_header(req, "Accept");
  return accept && strstr(accept, "text/event-stream") != NULL;
}

/* The first seq to send: Last-Event-ID + 1, ?cursor, ?from, or 1. -1 with 400 answered. */
static int start_seq(struct api_call *c, int64_t *from) {
  const char *last = api_req_header(c->req, "Last-Event-ID"), *cursor = api_query(c, "cursor");
  const char *f = api_query(c, "from");
  long long v = 1;
  *from = 1;
  if (last && *last) {
    if (orch_str_to_ll(last, 0, INT64_MAX - 1, &v))
      return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "Last-Event-ID"),
                       "Last-Event-ID must be the id of an event received (a sequence number), not '%.40s'", last),
             -1;
    *from = v + 1;
    return 0;
  }
  if (cursor && orch_str_to_ll(cursor, 1, INT64_MAX, &v))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "cursor"), "malformed cursor"), -1;
  if (!cursor && f && orch_str_to_ll(f, 1, INT64_MAX, &v))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "from"), "from must be a sequence number"), -1;
  *from = v;
  return 0;
}

int api_h_execution_events(struct api_call *c) {
  const char *id;
  int64_t from;
  struct orch_store_page page;
  if (api_param_id(c, 0, "execution id", &id) || start_seq(c, &from) || api_query_page(c, &page)) return 0;
  struct orch_store_exec x = {0};
  struct orch_error err = {0};
  int rc = orch_store_exec_get(c->api->cfg.store, id, &x, &err);
  if (rc) return api_fail(c, rc, &err);
  bool finished = x.ended_ms != 0;
  orch_store_exec_release(&x);
  if (accepts_stream(c->req)) {
    int open = atomic_fetch_add(&c->api->streams, 1);
    struct orch_api_stream *s = open < c->api->lim.max_streams ? orch_calloc(1, sizeof *s) : NULL;
    if (!s) {
      atomic_fetch_sub(&c->api->streams, 1);
      api_header(c, "Retry-After", "%d", 5);
      return open >= c->api->lim.max_streams
                 ? api_error(c, 503, "ServiceUnavailable", json_pack("{s:i}", "max_streams", c->api->lim.max_streams),
                             "%d event streams are open, as many as server.threads allows while keeping workers for "
                             "requests: retry later, or raise server.threads", open)
                 : api_error(c, 503, "ServiceUnavailable", NULL, "out of memory");
    }
    s->api = c->api;
    snprintf(s->exec_id, sizeof s->exec_id, "%s", id);
    s->after = from - 1;
    c->resp->stream = s;
    c->resp->status = 200;
    c->resp->content_type = "text/event-stream";
    api_header(c, "X-Accel-Buffering", "no");
    return 0;
  }
  struct orch_store_event_list l = {0};
  int64_t last = 0;
  size_t limit = page.limit ? page.limit : PAGE_DEFAULT;
  if ((rc = orch_store_event_last_seq(c->api->cfg.store, id, &last, &err)) ||
      (rc = orch_store_event_read(c->api->cfg.store, id, from, limit, &l, &err)))
    return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, event_json(&l.items[i]));
  char next[32] = "";
  if (l.count && l.items[l.count - 1].seq < last) snprintf(next, sizeof next, "%lld", (long long)(l.items[l.count - 1].seq + 1));
  orch_store_event_list_release(&l);
  return api_json(c, 200, items ? json_pack("{s:o, s:o, s:I, s:b}", "items", items, "next_cursor",
                                            next[0] ? json_string(next) : json_null(), "last_seq", (json_int_t)last,
                                            "finished", finished && (!next[0]))
                                : NULL);
}

/* ---- The stream ------------------------------------------------------------------------------ */

struct out {
  orch_api_stream_write write;
  void *ctx;
  struct orch_buf buf;
  bool gone;
};

static void flush(struct out *o) {
  if (!o->gone && o->buf.len && !o->write(o->ctx, o->buf.data, o->buf.len)) o->gone = true;
  orch_buf_reset(&o->buf);
}

static void send_event(struct out *o, int64_t seq, const char *type, const char *data_json, int64_t at_ms) {
  if (orch_api_sse_event(&o->buf, seq, at_ms, type, data_json))
    o->gone = true; /* too large for the buffer: the client resyncs from the journal */
}

/* Send what the journal holds after s->after; *finished when the execution has finished. */
static int catch_up(struct orch_api_stream *s, struct out *o, bool *finished) {
  struct orch_store *store = s->api->cfg.store;
  for (;;) {
    struct orch_store_event_list l = {0};
    if (orch_store_event_read(store, s->exec_id, s->after + 1, 1000, &l, NULL)) return -1;
    for (size_t i = 0; i < l.count && !o->gone; i++) {
      struct orch_buf d = ORCH_BUF_INIT(0);
      if (l.items[i].data ? orch_json_dump(&d, l.items[i].data, JSON_COMPACT) : orch_buf_puts(&d, "null")) o->gone = true;
      else send_event(o, l.items[i].seq, l.items[i].type, orch_buf_cstr(&d), l.items[i].at_ms);
      orch_buf_free(&d);
      s->after = l.items[i].seq;
      flush(o);
    }
    orch_api_metrics_events_sent(s->api->metrics, l.count);
    bool more = l.next_seq != 0 && l.count;
    orch_store_event_list_release(&l);
    if (o->gone) return -1;
    if (!more) break;
  }
  struct orch_store_exec x = {0};
  int64_t last = 0;
  if (orch_store_exec_get(store, s->exec_id, &x, NULL) || orch_store_event_last_seq(store, s->exec_id, &last, NULL))
    return orch_store_exec_release(&x), -1;
  *finished = x.ended_ms != 0 && last == s->after;
  orch_store_exec_release(&x);
  return 0;
}

static void send_end(struct orch_api_stream *s, struct out *o, const char *event) {
  if (!orch_buf_printf(&o->buf, "event: %s\ndata: {\"last_seq\":%lld}\n\n", event, (long long)s->after)) flush(o);
}

void orch_api_stream_run(struct orch_api_stream *s, orch_api_stream_write write, void *ctx) {
  struct orch_api *api = s->api;
  struct out o = {.write = write, .ctx = ctx, .buf = ORCH_BUF_INIT(ORCH_STORE_JSON_MAX + 4096)};
  struct orch_api_hub_sub *sub = NULL;
  if (orch_api_hub_subscribe(api->hub, s->exec_id, &sub)) return;
  orch_api_metrics_subscribers(api->metrics, 1, 0);
  bool finished = false, dropped = false;
  int64_t idle_ms = 0, poll = STORE_POLL_MS < api->lim.sse_heartbeat_ms ? STORE_POLL_MS : api->lim.sse_heartbeat_ms;
  if (!orch_buf_puts(&o.buf, "retry: 2000\n\n")) flush(&o);
  if (catch_up(s, &o, &finished)) goto out;
  while (!finished && !o.gone) {
    struct orch_api_hub_event *evs[HUB_BATCH];
    size_t n = 0;
    enum orch_api_hub_wait w = orch_api_hub_wait(sub, s->after, poll, evs, HUB_BATCH, &n);
    if (w == ORCH_API_HUB_SHUTDOWN) break;
    if (w == ORCH_API_HUB_DROPPED) {
      dropped = true;
      break;
    }
    if (w == ORCH_API_HUB_TIMEOUT) {
      idle_ms += poll;
      if (catch_up(s, &o, &finished)) break; /* events appended by another process, or missed */
      if (idle_ms >= api->lim.sse_heartbeat_ms && !orch_buf_puts(&o.buf, ": heartbeat\n\n")) flush(&o), idle_ms = 0;
      continue;
    }
    idle_ms = 0;
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
      struct orch_api_hub_event *ev = evs[i];
      if (!o.gone && ev->seq == s->after + 1) {
        if (orch_buf_append(&o.buf, ev->frame, ev->frame_len)) o.gone = true; /* rendered once, by the hub */
        s->after = ev->seq;
        finished = ev->finished;
        sent++;
      }
      orch_api_hub_event_release(api->hub, ev);
    }
    flush(&o);
    orch_api_metrics_events_sent(api->metrics, sent);
    if (!sent && !o.gone && catch_up(s, &o, &finished)) break; /* a gap: the journal has it */
  }
  if (finished && !o.gone) send_end(s, &o, "end");
  if (dropped && !o.gone) send_end(s, &o, "dropped");
out:
  orch_api_hub_unsubscribe(sub);
  orch_api_metrics_subscribers(api->metrics, -1, dropped);
  orch_buf_free(&o.buf);
}
