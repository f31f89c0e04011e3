/* test_store_dynamodb_lost: DynamoDB writes whose answer was lost, against dynalite on 127.0.0.1 (one per
 * test). The AWS client retries a request that got no answer; when the first try had landed, the retry
 * meets its own write and its condition fails. Each write must recognise its own landed write (success,
 * the value readable whole, nothing written twice) rather than report a failure, and must never delete
 * the chunks of a value a committed item may point to. A proxy (dynamo_proxy.h) loses the answers, and
 * holds a retry while another writer acts. Covers executions, plans and versions, audit entries, target
 * accounts and journal appends. Also: giving a finished drill's journal its TTL goes on past
 * an item deleted meanwhile. Skips only without node.
 * Uses orch_store_dynamodb, orch_aws_client, dynalite_suite.h, dynamo_proxy.h, Criterion. */
#include "dynalite_suite.h"
#include "dynamo_proxy.h"

#include <pthread.h>
#include <stdatomic.h>

#include "aws/orch_aws_client.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "store/orch_store_dynamodb.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define BIG (100 * 1024) /* past the 64 KiB an item keeps inline: chunk items */

TestSuite(dynamodb_lost, .init = dy_suite_init, .fini = dy_suite_fini);

/* ---- helpers ------------------------------------------------------------------------------------- */

/* A store on dynalite's `port` (dl.port straight, or a proxy's); `extra` adds options. */
static struct orch_store *open_at(int port, const char *extra) { return dy_store_at(port, extra, NULL); }

/* The direct store, creating the table. */
static struct orch_store *open_direct(void) { return open_at(dl.port, "&create=true"); }

static json_t *big_object(const char *tag) {
  char *text = dy_text(tag, BIG);
  json_t *o = json_pack("{ss}", "report", text);
  orch_free(text);
  cr_assert(o);
  return o;
}

static void make_plan(struct orch_store *s, const char *name, const char *source, struct orch_store_plan *p) {
  json_t *compiled = json_pack("{s[]}", "waves");
  struct orch_store_version_spec v = {.source = source, .compiled = compiled, .author = "alice"};
  OK(orch_store_plan_create(s, name, &v, p, NULL, err));
  json_decref(compiled);
}

static void make_exec(struct orch_store *s, const char *plan_id, const json_t *summary, struct orch_store_exec *x) {
  struct orch_store_exec_spec spec = {.plan_id = plan_id, .mode = ORCH_STORE_MODE_DRILL, .started_by = "bob",
                                      .summary = summary};
  OK(orch_store_exec_create(s, &spec, x, err));
}

static void append(struct orch_store *s, const char *exec_id, int64_t seq, const json_t *data) {
  struct orch_store_event_spec e = {.seq = seq, .at_ms = T0 + seq, .type = "Tick", .data = data};
  OK(orch_store_event_append(s, exec_id, &e, err));
}

/* A proxy losing the answer to the first request holding `marker` (a commit only one write sends). */
static struct orch_store *open_losing(struct proxy *px, const char *marker, const char *extra) {
  proxy_start(px, dl.port, marker, 1);
  return open_at(px->port, extra);
}

static void assert_lost_one(struct proxy *px) { cr_assert_eq(atomic_load(&px->lost), 1, "the proxy lost one answer"); }

/* ---- executions ------------------------------------------------------------------------------------ */

/* The commit removing `pend` lands, its answer lost: the execution exists, so the call succeeded (it was
 * reported as "plan deleted", its summary's chunks dropped, and it blocked the plan's deletion for ever). */
Test(dynamodb_lost, an_execution_whose_commit_answer_was_lost_is_created, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_plan p;
  make_plan(s, "p", "return plan {}", &p);
  struct proxy px;
  struct orch_store *t = open_losing(&px, "REMOVE #pend, #exp", "");
  json_t *summary = big_object("created");
  struct orch_store_exec x, got;
  make_exec(t, p.id, summary, &x);
  assert_lost_one(&px);

  OK(orch_store_exec_get(s, x.id, &got, err));
  cr_assert(json_equal(got.summary, summary), "the summary comes back whole");
  cr_assert_eq(got.status, ORCH_STORE_STATUS_PENDING);
  orch_store_exec_release(&got);
  struct orch_store_exec_list xl;
  OK(orch_store_exec_list_unfinished(s, &xl, err));
  cr_assert_eq(xl.count, 1, "resumed on start");
  cr_assert_str_eq(xl.items[0].id, x.id);
  orch_store_exec_list_release(&xl);
  /* it runs and ends; then the plan can be deleted */
  struct orch_store_exec_update end = {.set_status = true, .status = ORCH_STORE_STATUS_COMPLETED, .started_ms = T0,
                                       .ended_ms = T0 + 1000};
  OK(orch_store_exec_update(s, x.id, &end, NULL, err));
  OK(orch_store_plan_delete(s, p.id, err));

  orch_store_close(t);
  proxy_stop(&px);
  json_decref(summary);
  orch_store_exec_release(&x);
  orch_store_close(s);
}

/* The update carrying a new summary lands, its answer lost: the retry meets the record already holding it
 * (its revision moved) and tries again; the summary must stay readable (it deleted the new summary's own
 * chunks as "the old one"), and the one replaced is deleted. */
Test(dynamodb_lost, an_update_whose_answer_was_lost_keeps_its_summary, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_plan p;
  struct orch_store_exec x, out, got;
  json_t *old = big_object("old"), *summary = big_object("new");
  make_plan(s, "p", "return plan {}", &p);
  make_exec(s, p.id, old, &x);
  struct proxy px;
  struct orch_store *t = open_losing(&px, ":rvwas", "");
  struct orch_store_exec_update u = {.set_status = true, .status = ORCH_STORE_STATUS_RUNNING, .started_ms = T0,
                                     .summary = summary};
  OK(orch_store_exec_update(t, x.id, &u, &out, err));
  assert_lost_one(&px);
  cr_assert(json_equal(out.summary, summary));
  cr_assert_eq(out.status, ORCH_STORE_STATUS_RUNNING);

  OK(orch_store_exec_get(s, x.id, &got, err));
  cr_assert(json_equal(got.summary, summary), "the new summary comes back whole");
  cr_assert_eq(got.status, ORCH_STORE_STATUS_RUNNING);
  char pk[64];
  snprintf(pk, sizeof pk, "exec#%s", x.id);
  json_t *chunks = raw_items(pk, "c#");
  cr_assert_eq(json_array_size(chunks), 1, "the replaced summary's chunk is gone, the new one's stays");
  json_decref(chunks);

  orch_store_close(t);
  proxy_stop(&px);
  json_decref(old);
  json_decref(summary);
  orch_store_exec_release(&x);
  orch_store_exec_release(&out);
  orch_store_exec_release(&got);
  orch_store_close(s);
}

/* ---- plans ---------------------------------------------------------------------------------------- */

/* The plan's record lands, its answer lost: the retry finds the name taken by itself. The call succeeds
 * (it was EEXIST, and version 1's chunks were dropped: the plan unreadable). */
Test(dynamodb_lost, a_plan_whose_answer_was_lost_is_created, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct proxy px;
  struct orch_store *t = open_losing(&px, "\"t_src\"", "");
  char *source = dy_text("lost", BIG);
  struct orch_store_plan p, got;
  make_plan(t, "p", source, &p);
  assert_lost_one(&px);

  OK(orch_store_plan_find(s, "p", &got, err));
  cr_assert_str_eq(got.id, p.id);
  cr_assert_eq(got.latest_version, 1);
  struct orch_store_plan_version v;
  OK(orch_store_plan_version_get(s, p.id, 1, &v, err));
  cr_assert_str_eq(v.source, source, "version 1 comes back byte for byte");
  orch_store_plan_version_release(&v);
  /* another plan of that name is still refused */
  json_t *compiled = json_pack("{s[]}", "waves");
  struct orch_store_version_spec vs = {.source = "return 2", .compiled = compiled, .author = "carol"};
  struct orch_error e;
  FAILS(e, ORCH_EEXIST, orch_store_plan_create(s, "p", &vs, &got, NULL, err));

  orch_store_close(t);
  proxy_stop(&px);
  json_decref(compiled);
  orch_free(source);
  orch_store_close(s);
}

/* Version 2 lands, its answer lost: with expected_latest 1 the retry finds the plan at version 2, its
 * own. The call succeeds with version 2 readable (it was ECONFLICT "someone saved a newer version", and
 * version 2's chunks were dropped). */
Test(dynamodb_lost, a_version_whose_answer_was_lost_is_saved, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_plan p;
  make_plan(s, "p", "return 1", &p);
  struct proxy px;
  struct orch_store *t = open_losing(&px, "#latest = :old", "");
  char *source = dy_text("v2", BIG);
  json_t *compiled = json_pack("{s[]}", "waves");
  struct orch_store_version_spec vs = {.source = source, .compiled = compiled, .author = "carol"};
  struct orch_store_plan_version out, v;
  OK(orch_store_plan_add_version(t, p.id, 1, &vs, &out, err));
  assert_lost_one(&px);
  cr_assert_eq(out.version, 2);

  OK(orch_store_plan_version_get(s, p.id, 2, &v, err));
  cr_assert_str_eq(v.source, source, "version 2 comes back byte for byte");
  orch_store_plan_version_release(&v);
  struct orch_store_plan got;
  OK(orch_store_plan_get(s, p.id, &got, err));
  cr_assert_eq(got.latest_version, 2);

  orch_store_close(t);
  proxy_stop(&px);
  orch_store_plan_version_release(&out);
  json_decref(compiled);
  orch_free(source);
  orch_store_close(s);
}

struct bg_version {
  struct orch_store *s;
  const char *plan_id;
  const struct orch_store_version_spec *vs;
  struct orch_store_plan_version out;
  int rc;
  struct orch_error err;
};

static void *bg_add_version(void *arg) {
  struct bg_version *b = arg;
  b->rc = orch_store_plan_add_version(b->s, b->plan_id, 0, b->vs, &b->out, &b->err);
  return NULL;
}

/* Version 2 lands, its answer lost, and another writer saves version 3 before the retry: the retry must
 * recognise version 2 as its own (from the version's item, the tail being another's now) and not save
 * the same content again as version 4. */
Test(dynamodb_lost, a_version_whose_answer_was_lost_is_saved_once, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_plan p;
  make_plan(s, "p", "return 1", &p);
  struct proxy px;
  struct orch_store *t = open_losing(&px, "#latest = :old", "");
  px.hold_retry = true;
  char *source = dy_text("v2", BIG);
  json_t *compiled = json_pack("{s[]}", "waves");
  struct orch_store_version_spec mine = {.source = source, .compiled = compiled, .author = "carol"};
  struct orch_store_version_spec other = {.source = "return 3", .compiled = compiled, .author = "dave"};
  struct bg_version b = {.s = t, .plan_id = p.id, .vs = &mine};
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, bg_add_version, &b), 0);
  proxy_wait_held(&px); /* version 2 landed; the retry waits */
  struct orch_store_plan_version v3;
  OK(orch_store_plan_add_version(s, p.id, 0, &other, &v3, err));
  cr_assert_eq(v3.version, 3);
  proxy_release(&px);
  pthread_join(th, NULL);
  cr_assert_eq(b.rc, 0, "%s", b.err.message);
  cr_assert_eq(b.out.version, 2, "its own version");
  assert_lost_one(&px);

  struct orch_store_version_list vl;
  struct orch_store_page page = {.limit = 10};
  OK(orch_store_plan_version_list(s, p.id, &page, &vl, err));
  cr_assert_eq(vl.count, 3, "saved once");
  orch_store_version_list_release(&vl);
  struct orch_store_plan_version v;
  OK(orch_store_plan_version_get(s, p.id, 2, &v, err));
  cr_assert_str_eq(v.source, source);
  cr_assert_str_eq(v.author, "carol");
  orch_store_plan_version_release(&v);

  orch_store_close(t);
  proxy_stop(&px);
  orch_store_plan_version_release(&v3);
  orch_store_plan_version_release(&b.out);
  json_decref(compiled);
  orch_free(source);
  orch_store_close(s);
}

/* ---- audit ---------------------------------------------------------------------------------------- */

/* The entry lands, its answer lost: the call succeeds with its id, and the log reads (it was reported
 * failed and its details' chunks dropped, so every page holding it failed). */
Test(dynamodb_lost, an_audit_entry_whose_answer_was_lost_is_written, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct proxy px;
  struct orch_store *t = open_losing(&px, "\"actor\"", "");
  json_t *details = big_object("diff");
  struct orch_store_audit_spec as = {.actor = "alice", .action = "plan.update", .target = "p", .details = details};
  int64_t id = 0;
  OK(orch_store_audit_append(t, &as, &id, err));
  assert_lost_one(&px);
  cr_assert_gt(id, 0);

  struct orch_store_audit_list al;
  OK(orch_store_audit_list(s, NULL, NULL, &al, err));
  cr_assert_eq(al.count, 1, "written once");
  cr_assert_eq(al.items[0].id, id);
  cr_assert_str_eq(al.items[0].actor, "alice");
  cr_assert(json_equal(al.items[0].details, details), "the details come back whole");
  orch_store_audit_list_release(&al);

  orch_store_close(t);
  proxy_stop(&px);
  json_decref(details);
  orch_store_close(s);
}

/* ---- target accounts ------------------------------------------------------------------------------ */

/* The record lands, its answer lost: the retry finds the account taken by itself. The call succeeds (it
 * was EEXIST "already a target account"); the same request again is still refused. */
Test(dynamodb_lost, an_account_whose_answer_was_lost_is_added, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct proxy px;
  struct orch_store *t = open_losing(&px, "\"role_arn\"", "");
  struct orch_store_account_spec spec = {.account_id = "444455556666", .name = "payments",
                                         .role_arn = "arn:aws:iam::444455556666:role/DrsOrchestrator"};
  struct orch_store_account a, got;
  OK(orch_store_account_create(t, &spec, &a, err));
  assert_lost_one(&px);
  OK(orch_store_account_get(s, "444455556666", &got, err));
  cr_assert_str_eq(got.name, "payments");
  cr_assert_str_eq(got.role_arn, spec.role_arn);
  struct orch_error e;
  FAILS(e, ORCH_EEXIST, orch_store_account_create(s, &spec, NULL, err));

  orch_store_close(t);
  proxy_stop(&px);
  orch_store_close(s);
}

/* ---- the journal ---------------------------------------------------------------------------------- */

struct bg_append {
  struct orch_store *s;
  const char *exec_id;
  const json_t *data;
  int rc;
  struct orch_error err;
};

#define APPEND_COMMIT "#tok = :tok, #ev = :ev" /* in an append's commit, not in the head's read */

/* A plan and a drill of it whose journal holds seq 1. */
static void journal_at_one(struct orch_store *s, struct orch_store_exec *x) {
  struct orch_store_plan p;
  make_plan(s, "p", "return plan {}", &p);
  make_exec(s, p.id, NULL, x);
  append(s, x->id, 1, NULL);
}

/* The journal holds `count` events, each once, seq 2 with `data`. */
static void assert_journal(struct orch_store *s, const char *exec_id, size_t count, const json_t *data) {
  struct orch_store_event_list el;
  OK(orch_store_event_read(s, exec_id, 1, 0, &el, err));
  cr_assert_eq(el.count, count, "each event once");
  for (size_t i = 0; i < el.count; i++) cr_assert_eq(el.items[i].seq, (int64_t)i + 1);
  cr_assert(json_equal(el.items[1].data, data), "seq 2 comes back whole");
  orch_store_event_list_release(&el);
}

static void *bg_append(void *arg) {
  struct bg_append *b = arg;
  struct orch_store_event_spec e = {.seq = 2, .at_ms = T0 + 2, .type = "JobStarted", .data = b->data};
  b->rc = orch_store_event_append(b->s, b->exec_id, &e, &b->err);
  return NULL;
}

/* The commit of an append lands, its answer lost (the commit itself: the marker is in no read): the retry
 * finds its own token in the head's tail, and the append is done once. */
Test(dynamodb_lost, an_append_whose_commit_answer_was_lost_is_done_once, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_exec x;
  journal_at_one(s, &x);
  struct proxy px;
  struct orch_store *t = open_losing(&px, APPEND_COMMIT, "");
  json_t *data = big_object("log");
  append(t, x.id, 2, data);
  assert_lost_one(&px);
  assert_journal(s, x.id, 2, data);
  append(t, x.id, 3, NULL);
  /* another writer's seq 3 is still a conflict: recognising its own write is by token, not by seq */
  struct orch_store_event_spec again = {.seq = 3, .at_ms = T0 + 9, .type = "JobStarted"};
  struct orch_error e;
  FAILS(e, ORCH_ECONFLICT, orch_store_event_append(s, x.id, &again, err));

  orch_store_close(t);
  proxy_stop(&px);
  json_decref(data);
  orch_store_exec_release(&x);
  orch_store_close(s);
}

/* W1's append of seq 2 lands, its answer lost; W2 appends seq 3 before W1's retry, which then finds
 * another token at the head. W1's batch is in its own item (W2 copied it there): W1 succeeded (it was
 * ECONFLICT "another writer appended first", and the batch's chunks, still referenced, were dropped). */
Test(dynamodb_lost, an_append_whose_answer_was_lost_is_recognised_after_another, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_exec x;
  journal_at_one(s, &x);
  struct proxy px;
  struct orch_store *w1 = open_losing(&px, APPEND_COMMIT, "");
  px.hold_retry = true;
  json_t *data = big_object("log");
  struct bg_append b = {.s = w1, .exec_id = x.id, .data = data};
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, bg_append, &b), 0);
  proxy_wait_held(&px); /* seq 2 landed; the retry waits */
  struct orch_store *w2 = open_direct();
  append(w2, x.id, 3, NULL);
  proxy_release(&px);
  pthread_join(th, NULL);
  cr_assert_eq(b.rc, 0, "%s", b.err.message);
  assert_lost_one(&px);

  assert_journal(s, x.id, 3, data);
  /* W1 goes on after the journal's end */
  append(w1, x.id, 4, NULL);
  int64_t last = 0;
  OK(orch_store_event_last_seq(s, x.id, &last, err));
  cr_assert_eq(last, 4);

  orch_store_close(w1);
  orch_store_close(w2);
  proxy_stop(&px);
  json_decref(data);
  orch_store_exec_release(&x);
  orch_store_close(s);
}

struct bg_end {
  struct orch_store *s;
  const char *exec_id;
  int64_t ended;
  int rc;
  struct orch_error err;
};

static void *bg_end(void *arg) {
  struct bg_end *b = arg;
  struct orch_store_exec_update end = {.set_status = true, .status = ORCH_STORE_STATUS_COMPLETED, .ended_ms = b->ended};
  b->rc = orch_store_exec_update(b->s, b->exec_id, &end, NULL, &b->err);
  return NULL;
}

/* Ending a drill gives every item of its journal partition a TTL. An item deleted between the listing
 * and its update (chunks of an abandoned write, purged meanwhile) fails its condition: the rest must still
 * get theirs (the iteration stopped there, silently, and the batches after it never expired). */
Test(dynamodb_lost, a_journal_expires_past_an_item_gone_meanwhile, .timeout = 120) {
  struct orch_store *s = open_direct();
  struct orch_store_exec x;
  journal_at_one(s, &x);
  append(s, x.id, 2, NULL);
  char pk[64];
  snprintf(pk, sizeof pk, "exec#%s", x.id);
  /* a chunk nothing references: a write that never committed left it (it sorts before the batches) */
  static const char orphan[] = "c#00000000000000000000000000000000#0000000000000000000";
  raw_put(pk, orphan, json_pack("{s{ss}}", "d", "S", "abandoned"));

  struct proxy px;
  proxy_start(&px, dl.port, NULL, 0);
  proxy_hold(&px, "SET #exp = :at", orphan); /* its TTL update, unsent until the chunk is gone */
  struct orch_store *t = open_at(px.port, "&drill_ttl_days=7");
  struct bg_end b = {.s = t, .exec_id = x.id, .ended = T0 + 3600 * 1000};
  pthread_t th;
  cr_assert_eq(pthread_create(&th, NULL, bg_end, &b), 0);
  proxy_wait_held(&px);
  json_decref(raw_call("DeleteItem", json_pack("{ss s{s{ss}s{ss}}}", "TableName", DY_TABLE, "Key", "pk", "S", pk, "sk", "S",
                                               orphan)));
  proxy_release(&px);
  pthread_join(th, NULL);
  cr_assert_eq(b.rc, 0, "%s", b.err.message);

  long long want = b.ended / 1000 + 7 * 86400;
  json_t *journal = raw_items(pk, "");
  size_t i;
  json_t *it;
  cr_assert_eq(json_array_size(journal), 2, "the two batches");
  json_array_foreach(journal, i, it) cr_assert_eq(raw_n(it, "expires_at"), want, "item %zu", i);
  json_decref(journal);
  struct orch_store_exec got;
  OK(orch_store_exec_get(s, x.id, &got, err));
  cr_assert_eq(got.status, ORCH_STORE_STATUS_COMPLETED);
  orch_store_exec_release(&got);

  orch_store_close(t);
  proxy_stop(&px);
  orch_store_exec_release(&x);
  orch_store_close(s);
}
