/* orch_store_dynamodb_journal: an execution's event journal in DynamoDB. The execution's record is the
 * journal's head: `last` (the last seq), and the newest batch whole in its tail (`tf` its first seq,
 * `t_ev` its events, `t_tok` its writer's token). An append is ONE conditional update of that record:
 * `last` must still be first - 1, the tail must be one already copied to its own item, and no other
 * owner may hold the lease (`l_owner`, on the same item): so two writers can never both append a seq, and
 * a process that lost its lease can never write. Each batch is then copied to its own item "e#<first>" in
 * the partition "exec#<id>" (before the next append may replace the tail, so the batch items and the tail
 * together always hold the whole journal). A handle remembers each journal's head it wrote, so an append
 * by the head's owner is one update and one put. A refused commit whose token is at the head, or in the
 * batch item at its seq, was this append's own (an answer lost, the retry refused): it succeeded.
 * Uses orch_store_dynamodb_item, orch_store_dynamodb_blob, orch_buf, orch_json. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "store/orch_store_dynamodb_int.h"

#define PK ORCH_STORE_DY_PK_EXECS
#define HEAD_PROJ "id, pend, last, tf, t_tok, t_ev, expires_at, l_owner, l_host, l_pid"
/* a batch: array of [at_ms, type] or [at_ms, type, data]; data nests ORCH_STORE_JSON_DEPTH_MAX deep */
#define BATCH_DEPTH (2 * ORCH_STORE_JSON_DEPTH_MAX + 2)
#define BATCH_TEXT_MAX ((size_t)ORCH_STORE_BATCH_MAX * (ORCH_STORE_JSON_MAX + 128))

/* What an append knows of the head before writing. */
struct head {
  int64_t last, tail_first, expires_at;
};

/* ---- The handle's memory of heads ---------------------------------------------------------------- */

static bool known_get(struct orch_store_dy *d, const char *exec_id, struct head *h) {
  bool found = false;
  pthread_mutex_lock(&d->mu);
  for (size_t i = 0; i < ORCH_STORE_DY_KNOWN && !found; i++)
    if (strcmp(d->known[i].exec_id, exec_id) == 0) {
      *h = (struct head){d->known[i].last, d->known[i].tail_first, d->known[i].expires_at};
      found = true;
    }
  pthread_mutex_unlock(&d->mu);
  return found;
}

/* Remember h for exec_id (NULL h forgets it). */
static void known_set(struct orch_store_dy *d, const char *exec_id, const struct head *h) {
  pthread_mutex_lock(&d->mu);
  struct orch_store_dy_known *slot = NULL;
  for (size_t i = 0; i < ORCH_STORE_DY_KNOWN && !slot; i++)
    if (strcmp(d->known[i].exec_id, exec_id) == 0) slot = &d->known[i];
  if (!slot && h) slot = &d->known[d->known_next++ % ORCH_STORE_DY_KNOWN];
  if (slot && h) {
    snprintf(slot->exec_id, sizeof slot->exec_id, "%s", exec_id);
    slot->last = h->last;
    slot->tail_first = h->tail_first;
    slot->expires_at = h->expires_at;
  } else if (slot) {
    memset(slot, 0, sizeof *slot);
  }
  pthread_mutex_unlock(&d->mu);
}

/* ---- Batches ----------------------------------------------------------------------------------- */

/* The events as one batch text; an event's data past ORCH_STORE_JSON_MAX is ORCH_ETOOBIG ("data"). */
static int batch_text(const struct orch_store_event_spec *evs, size_t n, struct orch_buf *out, struct orch_error *err) {
  struct orch_buf data = ORCH_BUF_INIT(ORCH_STORE_JSON_MAX);
  int rc = orch_buf_putc(out, '[');
  for (size_t i = 0; !rc && i < n; i++) {
    orch_buf_reset(&data);
    if (evs[i].data && (rc = orch_json_dump(&data, evs[i].data, JSON_COMPACT | JSON_SORT_KEYS))) {
      rc = rc == ORCH_ETOOBIG ? orch_error_setc(err, rc, "data", "event %lld's data is larger than %zu bytes as JSON",
                                                (long long)evs[i].seq, ORCH_STORE_JSON_MAX)
                              : orch_error_set(err, rc, "out of memory writing events");
      goto out;
    }
    /* event types are [A-Za-z0-9_.:-]: nothing to escape */
    rc = orch_buf_printf(out, "%s[%lld,\"%s\"%s%s]", i ? "," : "", (long long)evs[i].at_ms, evs[i].type,
                         evs[i].data ? "," : "", evs[i].data ? orch_buf_cstr(&data) : "");
  }
  if (!rc) rc = orch_buf_putc(out, ']');
  if (rc) rc = orch_error_set(err, rc, "%s", rc == ORCH_ETOOBIG ? "a batch of events is too large" : "out of memory writing events");
out:
  orch_buf_free(&data);
  return rc;
}

/* Append the events of batch `attr` (first seq `first`) with seq >= from to out, at most `room` of
 * them. */
static int batch_events(struct orch_store_dy *d, const json_t *attr, int64_t first, int64_t from, size_t room,
                        struct orch_store_event_list *out, size_t *cap, struct orch_error *err) {
  char *text = NULL;
  size_t len = 0;
  struct orch_error perr = {0};
  int rc = orch_store_dy_blob_get(d, attr, &text, &len, err);
  if (rc) return rc;
  json_t *arr = orch_json_parse(text, len, BATCH_DEPTH, &perr);
  orch_free(text);
  if (!arr)
    return perr.code == ORCH_ENOMEM ? orch_error_set(err, ORCH_ENOMEM, "out of memory reading events")
                                    : orch_error_setc(err, ORCH_ESTORE, "events", "a stored batch is corrupt: %s", perr.message);
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    int64_t seq = first + (int64_t)i;
    if (seq < from) continue;
    if (!room--) break;
    const char *type = json_string_value(json_array_get(e, 1));
    if (!json_is_integer(json_array_get(e, 0)) || !type) {
      rc = orch_error_setc(err, ORCH_ESTORE, "events", "stored event %lld is malformed", (long long)seq);
      break;
    }
    if (orch_store_items_reserve((void **)&out->items, cap, out->count + 1, sizeof *out->items)) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory reading events");
      break;
    }
    struct orch_store_event *ev = &out->items[out->count];
    ev->seq = seq;
    ev->at_ms = json_integer_value(json_array_get(e, 0));
    if ((rc = orch_store_copy_str(ev->type, sizeof ev->type, type, "type", err))) break;
    ev->data = json_incref(json_array_get(e, 2));
    out->count++;
  }
  json_decref(arr);
  return rc;
}

/* Copy the batch in the head's tail to its own item (idempotent: the same content, token and all). */
static int materialize(struct orch_store_dy *d, const char *exec_id, const json_t *rec, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1];
  int64_t tf = 0;
  int rc = orch_store_dy_num(rec, "tf", 0, &tf, err);
  if (rc || tf < 1) return rc;
  orch_store_dy_exec_pk(pk, exec_id);
  orch_store_dy_key_num(sk, "e#", tf);
  json_t *item = json_pack("{s{ss}s{ss}sOsOsO}", "pk", "S", pk, "sk", "S", sk, "first", json_object_get(rec, "tf"),
                           "last", json_object_get(rec, "last"), "ev", json_object_get(rec, "t_ev"));
  if (item && (orch_store_dy_set(item, "tok", json_incref(json_object_get(rec, "t_tok"))) ||
               orch_store_dy_set(item, "expires_at", json_incref(json_object_get(rec, "expires_at"))))) {
    json_decref(item);
    item = NULL;
  }
  return item ? orch_store_dy_put(d, item, NULL, NULL, NULL, err)
              : orch_error_set(err, ORCH_ENOMEM, "out of memory copying a journal batch");
}

/* ---- Appending ------------------------------------------------------------------------------------- */

struct append {
  const char *exec_id, *owner;
  const struct orch_store_event_spec *evs;
  size_t n;
  char tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  json_t *ev; /* the batch as an attribute value */
  bool sent;  /* a commit was sent and not known to have failed: it may have landed */
};

/* The commit: one conditional update of the head, believing it is `h`. */
static int append_commit(struct orch_store_dy *d, const struct append *a, const struct head *h, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  struct orch_buf cond = ORCH_BUF_INIT(512);
  int64_t first = a->evs[0].seq;
  json_t *names = json_pack("{ss ss ss ss ss ss ss}", "#pend", "pend", "#last", "last", "#tf", "tf", "#tok", "t_tok",
                            "#ev", "t_ev", "#exp", "expires_at", "#owner", "l_owner");
  json_t *values = json_pack("{s{ss}sO}", ":tok", "S", a->tok, ":ev", a->ev);
  int rc = names && values ? 0 : ORCH_ENOMEM;
  if (!rc && (orch_store_dy_set_n(values, ":prev", h->last) || orch_store_dy_set_n(values, ":last", first + (int64_t)a->n - 1) ||
              orch_store_dy_set_n(values, ":first", first) || orch_store_dy_set_n(values, ":tf", h->tail_first) ||
              (h->expires_at && orch_store_dy_set_n(values, ":exp", h->expires_at)) ||
              (a->owner && orch_store_dy_set_s(values, ":owner", a->owner))))
    rc = ORCH_ENOMEM;
  if (!rc && (orch_buf_puts(&cond, "attribute_exists(pk) AND attribute_not_exists(#pend) AND #last = :prev AND #tf = :tf") ||
              orch_buf_puts(&cond, h->expires_at ? " AND #exp = :exp" : " AND attribute_not_exists(#exp)") ||
              orch_buf_puts(&cond, a->owner ? " AND (attribute_not_exists(#owner) OR #owner = :owner)" : "")))
    rc = ORCH_ENOMEM;
  if (!rc && !a->owner) json_object_del(names, "#owner");
  if (rc) {
    json_decref(names);
    json_decref(values);
    orch_buf_free(&cond);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory appending events");
  }
  orch_store_dy_key_str(sk, "x#", a->exec_id);
  rc = orch_store_dy_update(d, PK, sk, "SET #last = :last, #tf = :first, #tok = :tok, #ev = :ev", orch_buf_cstr(&cond),
                            names, values, err);
  orch_buf_free(&cond);
  return rc;
}

/* Whether batch item "e#<first>" holds this append's batch (its token): 1, 0, or an error reading. */
static int batch_is_ours(struct orch_store_dy *d, const struct append *a, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *item = NULL;
  orch_store_dy_exec_pk(pk, a->exec_id);
  orch_store_dy_key_num(sk, "e#", a->evs[0].seq);
  int rc = orch_store_dy_get(d, pk, sk, "tok", &item, err);
  if (rc == 1) rc = orch_store_dy_str(item, "tok") && strcmp(orch_store_dy_str(item, "tok"), a->tok) == 0;
  json_decref(item);
  return rc;
}

/* Before a commit the handle cannot vouch for, or after a refused one: read the head and say why, or
 * prepare it for another try (0, with *h). *done is 1 when this append's commit landed (its answer lost,
 * its retry refused) and its batch is the head's tail, 2 when it landed and a later append replaced the
 * tail (its batch is in its own item). */
static int append_refused(struct orch_store_dy *d, struct append *a, struct head *h, int *done, struct orch_error *err) {
  json_t *rec = NULL;
  int64_t first = a->evs[0].seq;
  struct orch_store_lease l;
  int rc = orch_store_dy_exec_record(d, a->exec_id, HEAD_PROJ, &rec, err);
  if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", a->exec_id);
  if (rc < 0) goto out;
  const char *tok = orch_store_dy_str(rec, "t_tok");
  if ((rc = orch_store_dy_num(rec, "last", 0, &h->last, err)) || (rc = orch_store_dy_num(rec, "tf", 0, &h->tail_first, err)) ||
      (rc = orch_store_dy_num(rec, "expires_at", 0, &h->expires_at, err)) || (rc = orch_store_dy_lease_read(rec, &l, err)))
    goto out;
  if (a->sent && tok && strcmp(tok, a->tok) == 0 && h->tail_first == first) { /* ours: an answer lost */
    *done = 1;
    goto out;
  }
  /* seq first is taken: by this very append, whose batch the next append copied to its own item, or by
   * another writer */
  if (a->sent && first <= h->last && (rc = batch_is_ours(d, a, err))) {
    if (rc == 1) {
      *done = 2;
      rc = 0;
    }
    goto out;
  }
  a->sent = false; /* settled: it did not land */
  if (a->owner && l.owner[0] && strcmp(l.owner, a->owner) != 0) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "lease",
                         "execution %s is driven by another process (%s, pid %lld on %s): this one lost its lease",
                         a->exec_id, l.owner, (long long)l.pid, l.host);
  } else if (first <= h->last) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "seq",
                         "event %lld of execution %s already exists (the journal ends at %lld): another writer appended "
                         "first",
                         (long long)first, a->exec_id, (long long)h->last);
  } else if (first > h->last + 1) {
    rc = orch_error_setc(err, ORCH_EINVAL, "seq",
                         "event %lld would leave a gap: the journal of execution %s ends at %lld, so the next is %lld",
                         (long long)first, a->exec_id, (long long)h->last, (long long)(h->last + 1));
  } else {
    rc = materialize(d, a->exec_id, rec, err); /* the tail must be in its own item before it is replaced */
  }
out:
  json_decref(rec);
  return rc;
}

int orch_store_dy_event_append(void *ctx, const char *exec_id, const struct orch_store_event_spec *evs, size_t n,
                               const char *owner, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  struct append a = {.exec_id = exec_id, .owner = owner, .evs = evs, .n = n};
  struct orch_buf text = ORCH_BUF_INIT(BATCH_TEXT_MAX);
  struct head h = {0};
  char pk[ORCH_STORE_DY_KEY_MAX + 1];
  int done = 0;
  int64_t first = evs[0].seq;
  int rc = orch_store_dy_token(a.tok, err);
  if (!rc) rc = batch_text(evs, n, &text, err);
  if (rc) goto out;
  bool known = known_get(d, exec_id, &h);
  orch_store_dy_exec_pk(pk, exec_id);
  for (int tries = 0;; tries++) {
    if (tries == ORCH_STORE_DY_TRIES) {
      rc = orch_error_setc(err, ORCH_ECONFLICT, "seq", "the journal of execution %s kept changing", exec_id);
      break;
    }
    if (!known || h.last != first - 1) {
      if ((rc = append_refused(d, &a, &h, &done, err)) || done) break;
      known = true;
    }
    /* a large batch goes to chunks first (expiring with the journal when it does) */
    if (!a.ev && (rc = orch_store_dy_blob_put(d, pk, orch_buf_cstr(&text), text.len, h.expires_at, &a.ev, err))) break;
    a.sent = true;
    rc = append_commit(d, &a, &h, err);
    if (!orch_store_dy_condition_failed(rc, err)) break;
    known = false;
  }
  if (rc || done == 2) {
    known_set(d, exec_id, NULL);
    if (rc && !a.sent) orch_store_dy_blob_drop(d, a.ev); /* a sent commit may have landed: its chunks stay */
    goto out;
  }
  /* committed: copy the batch to its own item now, so the next append finds the tail copied */
  struct head now = {first + (int64_t)n - 1, first, h.expires_at};
  json_t *rec = json_pack("{s{ss}sO}", "t_tok", "S", a.tok, "t_ev", a.ev);
  if (rec && !orch_store_dy_set_n(rec, "tf", first) && !orch_store_dy_set_n(rec, "last", now.last) &&
      (!now.expires_at || !orch_store_dy_set_n(rec, "expires_at", now.expires_at)) &&
      !materialize(d, exec_id, rec, NULL)) {
    known_set(d, exec_id, &now);
  } else {
    known_set(d, exec_id, NULL); /* the next append copies it */
    orch_log_debug("dynamodb: events %lld.. of execution %s stay in its record", (long long)first, exec_id);
  }
  json_decref(rec);
out:
  json_decref(a.ev);
  orch_buf_free(&text);
  return rc;
}

/* ---- Reading ----------------------------------------------------------------------------------- */

struct reader {
  struct orch_store_dy *d;
  struct orch_store_event_list *out;
  size_t cap, room;   /* room: events still wanted (SIZE_MAX for all) */
  int64_t from, tail; /* stop at the tail's batch: the head's copy is the one read */
  int64_t start;      /* the first seq of the batch holding `from` (the descending probe) */
};

static int probe_each(void *ctx, json_t *item, struct orch_error *err) {
  struct reader *r = ctx;
  int rc = orch_store_dy_num(item, "first", 1, &r->start, err);
  return rc ? rc : 1;
}

static int read_each(void *ctx, json_t *item, struct orch_error *err) {
  struct reader *r = ctx;
  int64_t first = 0;
  int rc = orch_store_dy_num(item, "first", 0, &first, err);
  if (rc) return rc;
  if ((r->tail && first >= r->tail) || !r->room) return 1;
  size_t before = r->out->count;
  if ((rc = batch_events(r->d, json_object_get(item, "ev"), first, r->from, r->room, r->out, &r->cap, err))) return rc;
  r->room -= r->out->count - before;
  return 0;
}

static int read_once(struct orch_store_dy *d, const char *exec_id, int64_t from_seq, size_t limit,
                     struct orch_store_event_list *out, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], after[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *rec = NULL;
  int64_t last = 0, tail = 0;
  /* the head first: every batch before its tail is in its own item by then */
  int rc = orch_store_dy_exec_record(d, exec_id, "id, pend, last, tf, t_ev", &rec, err);
  if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", exec_id);
  if (rc < 0 || (rc = orch_store_dy_num(rec, "last", 0, &last, err)) || (rc = orch_store_dy_num(rec, "tf", 0, &tail, err)))
    goto out;
  struct reader r = {.d = d, .out = out, .room = limit ? limit + 1 : SIZE_MAX, .from = from_seq, .tail = tail, .start = 1};
  orch_store_dy_exec_pk(pk, exec_id);
  if (from_seq <= last && (!tail || from_seq < tail)) {
    if (from_seq > 1) { /* the batch holding from_seq: the last one starting at or before it */
      orch_store_dy_key_num(after, "e#", from_seq + 1);
      struct orch_store_dy_query probe = {.pk = pk, .prefix = "e#", .start_after = after, .descending = true,
                                          .proj = "first", .page = 1};
      if ((rc = orch_store_dy_query(d, &probe, probe_each, &r, err))) goto out;
    }
    orch_store_dy_key_num(after, "e#", r.start - 1);
    struct orch_store_dy_query q = {.pk = pk, .prefix = "e#", .start_after = after, .proj = "first, ev",
                                    .page = limit ? limit + 1 : 0};
    if ((rc = orch_store_dy_query(d, &q, read_each, &r, err))) goto out;
  }
  if (tail && from_seq <= last && r.room) {
    size_t before = out->count;
    rc = batch_events(d, json_object_get(rec, "t_ev"), tail, from_seq, r.room, out, &r.cap, err);
    r.room -= out->count - before;
  }
  if (!rc && limit && out->count > limit) {
    out->count--;
    json_decref(out->items[out->count].data);
    memset(&out->items[out->count], 0, sizeof out->items[out->count]);
    out->next_seq = out->items[out->count - 1].seq + 1;
  }
out:
  json_decref(rec);
  return rc;
}

int orch_store_dy_event_read(void *ctx, const char *exec_id, int64_t from_seq, size_t limit,
                             struct orch_store_event_list *out, struct orch_error *err) {
  int rc = ORCH_ECONFLICT;
  /* chunks of a tail replaced while it is read are still there (its item shares them); a retry covers
   * the rare read that raced the head */
  for (int tries = 0; rc == ORCH_ECONFLICT && tries < 3; tries++) {
    orch_store_event_list_release(out);
    rc = read_once(ctx, exec_id, from_seq, limit, out, err);
  }
  if (rc) orch_store_event_list_release(out);
  return rc;
}

int orch_store_dy_event_last_seq(void *ctx, const char *exec_id, int64_t *seq, struct orch_error *err) {
  json_t *rec = NULL;
  int rc = orch_store_dy_exec_record(ctx, exec_id, "id, pend, last", &rec, err);
  if (rc == 1) rc = orch_store_dy_num(rec, "last", 0, seq, err);
  else if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", exec_id);
  json_decref(rec);
  return rc;
}

/* ---- Expiry -------------------------------------------------------------------------------------- */

struct expirer {
  struct orch_store_dy *d;
  int64_t at;
};

/* One item's TTL; an item gone meanwhile (chunks of a replaced value) needs none: the next one. */
static int expire_each(void *ctx, json_t *item, struct orch_error *err) {
  struct expirer *x = ctx;
  const char *pk = orch_store_dy_str(item, "pk"), *sk = orch_store_dy_str(item, "sk");
  if (!pk || !sk) return 0;
  json_t *values = json_object();
  if (values && orch_store_dy_set_n(values, ":at", x->at)) {
    json_decref(values);
    values = NULL;
  }
  int rc = orch_store_dy_update(x->d, pk, sk, "SET #exp = :at", "attribute_exists(pk)",
                                json_pack("{ss}", "#exp", "expires_at"), values, err);
  if (orch_store_dy_condition_failed(rc, err)) {
    orch_error_clear(err);
    rc = 0;
  }
  return rc;
}

int orch_store_dy_journal_expire(struct orch_store_dy *d, const char *exec_id, int64_t expires_at,
                                 struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1];
  struct expirer x = {d, expires_at};
  orch_store_dy_exec_pk(pk, exec_id);
  struct orch_store_dy_query q = {.pk = pk, .prefix = "", .proj = "pk, sk"};
  int rc = orch_store_dy_query(d, &q, expire_each, &x, err);
  /* an append after this must carry the expiry: the cached head no longer says "none" */
  if (!rc) known_set(d, exec_id, NULL);
  return rc;
}
