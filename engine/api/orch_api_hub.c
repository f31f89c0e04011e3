/* orch_api_hub: per-execution rings of shared events under one mutex; subscribers wait on their
 * execution's condition variable (monotonic, for the heartbeat time-outs); events are reference-counted
 * atomically and carry their Server-Sent Event rendered once. Uses pthreads, jansson, orch_alloc,
 * orch_time. */
#include "api/orch_api_hub.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_time.h"

struct channel {
  char exec_id[ORCH_ID_UUID_LEN + 1];
  struct orch_api_hub_event **ring; /* ring[i % cap] */
  int64_t first;                    /* index of the oldest event held */
  int64_t next;                     /* index the next event takes */
  pthread_cond_t cv;
  int subscribers;
  struct channel *prev, *next_ch;
};

struct orch_api_hub {
  pthread_mutex_t mu;
  size_t cap;
  struct channel *channels;
  bool shutdown;
};

struct orch_api_hub_sub {
  struct orch_api_hub *hub;
  struct channel *ch;
};

int orch_api_hub_new(size_t ring, struct orch_api_hub **out) {
  struct orch_api_hub *hub = orch_calloc(1, sizeof *hub);
  if (!hub) return ORCH_ENOMEM;
  pthread_mutex_init(&hub->mu, NULL);
  hub->cap = ring ? ring : 1024;
  *out = hub;
  return 0;
}

static void event_free(struct orch_api_hub_event *ev) {
  if (!ev) return;
  orch_free(ev->data);
  orch_free(ev->frame);
  orch_free(ev);
}

static void unref(struct orch_api_hub_event *ev) {
  if (ev && atomic_fetch_sub(&ev->refs, 1) == 1) event_free(ev);
}

int orch_api_sse_event(struct orch_buf *out, int64_t seq, int64_t at_ms, const char *type, const char *data_json) {
  char at[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(at, at_ms);
  return orch_buf_printf(out, "id: %lld\nevent: %s\ndata: {\"seq\":%lld,\"at\":\"%s\",\"type\":\"%s\",\"data\":%s}\n\n",
                         (long long)seq, type, (long long)seq, at, type, data_json);
}

static void channel_free(struct orch_api_hub *hub, struct channel *ch) {
  for (int64_t i = ch->first; i < ch->next; i++) unref(ch->ring[(size_t)i % hub->cap]);
  pthread_cond_destroy(&ch->cv);
  orch_free(ch->ring);
  orch_free(ch);
}

void orch_api_hub_free(struct orch_api_hub *hub) {
  if (!hub) return;
  while (hub->channels) {
    struct channel *ch = hub->channels;
    hub->channels = ch->next_ch;
    channel_free(hub, ch);
  }
  pthread_mutex_destroy(&hub->mu);
  orch_free(hub);
}

void orch_api_hub_shutdown(struct orch_api_hub *hub) {
  pthread_mutex_lock(&hub->mu);
  hub->shutdown = true;
  for (struct channel *ch = hub->channels; ch; ch = ch->next_ch) pthread_cond_broadcast(&ch->cv);
  pthread_mutex_unlock(&hub->mu);
}

static struct channel *find(struct orch_api_hub *hub, const char *exec_id) {
  for (struct channel *ch = hub->channels; ch; ch = ch->next_ch)
    if (strcmp(ch->exec_id, exec_id) == 0) return ch;
  return NULL;
}

void orch_api_hub_publish(struct orch_api_hub *hub, const char *exec_id, int64_t seq, int64_t at_ms, const char *type,
                          const json_t *data, bool finished) {
  pthread_mutex_lock(&hub->mu);
  bool watched = find(hub, exec_id) != NULL;
  pthread_mutex_unlock(&hub->mu);
  if (!watched) return;
  /* serialise outside the lock; the event is built once and shared by every subscriber */
  struct orch_api_hub_event *ev = orch_calloc(1, sizeof *ev);
  struct orch_buf text = ORCH_BUF_INIT(0), frame = ORCH_BUF_INIT(0);
  if (!ev || (data ? orch_json_dump(&text, data, JSON_COMPACT) : orch_buf_puts(&text, "null")) ||
      orch_api_sse_event(&frame, seq, at_ms, type, orch_buf_cstr(&text)) || !(ev->data = orch_buf_take(&text, NULL)) ||
      !(ev->frame = orch_buf_take(&frame, &ev->frame_len))) {
    orch_buf_free(&text);
    orch_buf_free(&frame);
    event_free(ev);
    return; /* subscribers see a gap and catch up from the journal */
  }
  ev->seq = seq;
  ev->at_ms = at_ms;
  snprintf(ev->type, sizeof ev->type, "%s", type);
  ev->finished = finished;
  atomic_init(&ev->refs, 1);
  pthread_mutex_lock(&hub->mu);
  struct channel *ch = find(hub, exec_id);
  if (!ch) {
    unref(ev);
  } else {
    if (ch->next - ch->first == (int64_t)hub->cap) unref(ch->ring[(size_t)ch->first++ % hub->cap]);
    ch->ring[(size_t)ch->next++ % hub->cap] = ev;
    pthread_cond_broadcast(&ch->cv);
  }
  pthread_mutex_unlock(&hub->mu);
}

int orch_api_hub_subscribe(struct orch_api_hub *hub, const char *exec_id, struct orch_api_hub_sub **out) {
  struct orch_api_hub_sub *sub = orch_calloc(1, sizeof *sub);
  if (!sub) return ORCH_ENOMEM;
  sub->hub = hub;
  pthread_mutex_lock(&hub->mu);
  struct channel *ch = find(hub, exec_id);
  if (!ch) {
    ch = orch_calloc(1, sizeof *ch);
    if (!ch || !(ch->ring = orch_calloc(hub->cap, sizeof *ch->ring))) {
      orch_free(ch);
      pthread_mutex_unlock(&hub->mu);
      orch_free(sub);
      return ORCH_ENOMEM;
    }
    snprintf(ch->exec_id, sizeof ch->exec_id, "%s", exec_id);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&ch->cv, &attr);
    pthread_condattr_destroy(&attr);
    ch->next_ch = hub->channels;
    if (hub->channels) hub->channels->prev = ch;
    hub->channels = ch;
  }
  ch->subscribers++;
  sub->ch = ch;
  pthread_mutex_unlock(&hub->mu);
  *out = sub;
  return 0;
}

void orch_api_hub_unsubscribe(struct orch_api_hub_sub *sub) {
  if (!sub) return;
  struct orch_api_hub *hub = sub->hub;
  pthread_mutex_lock(&hub->mu);
  struct channel *ch = sub->ch;
  if (--ch->subscribers == 0) {
    if (ch->prev) ch->prev->next_ch = ch->next_ch;
    else hub->channels = ch->next_ch;
    if (ch->next_ch) ch->next_ch->prev = ch->prev;
    channel_free(hub, ch);
  }
  pthread_mutex_unlock(&hub->mu);
  orch_free(sub);
}

struct orch_api_hub *orch_api_hub_of(struct orch_api_hub_sub *sub) { return sub->hub; }

void orch_api_hub_event_release(struct orch_api_hub *hub, struct orch_api_hub_event *ev) {
  (void)hub;
  unref(ev); /* atomic: no lock, so 500 subscribers finishing with an event do not queue on the hub */
}

/* Copy out what follows `after`; caller holds the lock. */
static enum orch_api_hub_wait take(struct orch_api_hub *hub, struct channel *ch, int64_t after,
                                   struct orch_api_hub_event **evs, size_t max, size_t *n) {
  *n = 0;
  if (ch->next == ch->first) return ORCH_API_HUB_TIMEOUT;
  const struct orch_api_hub_event *oldest = ch->ring[(size_t)ch->first % hub->cap];
  const struct orch_api_hub_event *newest = ch->ring[(size_t)(ch->next - 1) % hub->cap];
  if (newest->seq <= after) return ORCH_API_HUB_TIMEOUT;
  if (oldest->seq > after + 1) return ORCH_API_HUB_DROPPED;
  for (int64_t i = ch->first; i < ch->next && *n < max; i++) {
    struct orch_api_hub_event *ev = ch->ring[(size_t)i % hub->cap];
    if (ev->seq <= after) continue;
    atomic_fetch_add(&ev->refs, 1);
    evs[(*n)++] = ev;
  }
  return ORCH_API_HUB_EVENTS;
}

enum orch_api_hub_wait orch_api_hub_wait(struct orch_api_hub_sub *sub, int64_t after, int64_t timeout_ms,
                                         struct orch_api_hub_event **evs, size_t max, size_t *n) {
  struct orch_api_hub *hub = sub->hub;
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += (time_t)(timeout_ms / 1000);
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
  if (deadline.tv_nsec >= 1000000000) deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
  enum orch_api_hub_wait w;
  pthread_mutex_lock(&hub->mu);
  for (;;) {
    if (hub->shutdown) {
      w = ORCH_API_HUB_SHUTDOWN;
      break;
    }
    if ((w = take(hub, sub->ch, after, evs, max, n)) != ORCH_API_HUB_TIMEOUT) break;
    if (pthread_cond_timedwait(&sub->ch->cv, &hub->mu, &deadline) == ETIMEDOUT) {
      w = hub->shutdown ? ORCH_API_HUB_SHUTDOWN : take(hub, sub->ch, after, evs, max, n);
      break;
    }
  }
  pthread_mutex_unlock(&hub->mu);
  return w;
}
