/* test_store_dynamodb: what only the DynamoDB backend has, against dynalite on 127.0.0.1 (one per test):
 * the store spec and the table checks on open, values larger than an item (chunk items) coming back
 * whole, the TTL on a finished drill's records, the lease fencing appends while another engine takes it
 * over, writes abandoned half-way (a crashed Lambda) never blocking the next, races without
 * transactions (an execution created while its plan is deleted; two groups claiming one server: exactly
 * one of the two wins, also in the two interleavings a proxy forces by holding one writer's request; a
 * claim an update took back surviving the cleanup of the update before), and group, user, token and
 * session writes whose answer was lost being done once (test_store_dynamodb_lost.c has the others). The
 * table is read raw through the AWS client to check the layout docs/store.md describes. Skips only
 * without node.
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

TestSuite(dynamodb, .init = dy_suite_init, .fini = dy_suite_fini);

/* ---- helpers ------------------------------------------------------------------------------------- */

/* The store spec on dynalite; NULL extra: "&create=true". */
static const char *spec(const char *extra) { return dy_spec_at(dl.port, extra ? extra : "&create=true"); }

static struct orch_store *open_store(const char *extra, const struct orch_clock *clock) {
  return dy_store_at(dl.port, extra ? extra : "&create=true", clock);
}

static json_t *big_object(const char *key, size_t n) {
  char *text = dy_text(NULL, n);
  json_t *o = json_pack("{ss}", key, text);
  orch_free(text);
  cr_assert(o);
  return o;
}

static void make_plan(struct orch_store *s, const char *name, const char *source, const json_t *compiled,
                      struct orch_store_plan *p) {
  struct orch_store_version_spec v = {.source = source, .compiled = compiled, .author = "alice"};
  OK(orch_store_plan_create(s, name, &v, p, NULL, err));
}

static void make_exec(struct orch_store *s, const char *plan_id, enum orch_store_mode mode, const json_t *summary,
                      struct orch_store_exec *x) {
  struct orch_store_exec_spec spec = {.plan_id = plan_id, .mode = mode, .started_by = "bob", .summary = summary};
  OK(orch_store_exec_create(s, &spec, x, err));
}

static void append(struct orch_store *s, const char *exec_id, int64_t seq, const json_t *data) {
  struct orch_store_event_spec e = {.seq = seq, .at_ms = T0 + seq, .type = "Tick", .data = data};
  OK(orch_store_event_append(s, exec_id, &e, err));
}

/* ---- the spec and the table ----------------------------------------------------------------------- */

Test(dynamodb, a_bad_spec_says_which_option) {
  static const struct {
    const char *spec, *says;
  } bad[] = {
    {"dynamodb:", "table prefix"},
    {"dynamodb:a/b", "table prefix"},
    {"dynamodb:dy?regoin=us-east-1", "did you mean 'region'"},
    {"dynamodb:dy?colour=blue", "known: region, endpoint"},
    {"dynamodb:dy?region=US_EAST", "not a region"},
    {"dynamodb:dy?endpoint=ftp://x", "http:// or https://"},
    {"dynamodb:dy?drill_ttl_days=0", "1 to 3650"},
    {"dynamodb:dy?drill_ttl_days=7d", "1 to 3650"},
    {"dynamodb:dy?create=yes", "true or false"},
    {"dynamodb:dy?region", "KEY=VALUE"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct orch_store *s = NULL;
    struct orch_error e;
    FAILS(e, ORCH_EINVAL, orch_store_open(bad[i].spec, NULL, &s, err));
    cr_assert(strstr(e.message, bad[i].says), "%s: %s", bad[i].spec, e.message);
    cr_assert_null(s);
  }
}

Test(dynamodb, open_checks_the_table) {
  struct orch_store *s = NULL;
  struct orch_error e;
  /* missing, and not asked to create it */
  FAILS(e, ORCH_ESTORE, orch_store_open(spec(""), NULL, &s, err));
  cr_assert(strstr(e.message, "dy-state does not exist") && strstr(e.message, "create=true"), "%s", e.message);

  /* created on request, then described */
  s = open_store(NULL, NULL);
  json_t *info = NULL;
  OK(orch_store_info(s, &info, err));
  cr_assert_str_eq(json_string_value(json_object_get(info, "table")), DY_TABLE);
  cr_assert_str_eq(json_string_value(json_object_get(info, "region")), "us-east-1");
  cr_assert_str_eq(json_string_value(json_object_get(info, "endpoint")), endpoint);
  cr_assert_eq(json_integer_value(json_object_get(info, "schema_version")), orch_store_dynamodb_schema_version());
  json_decref(info);
  orch_store_close(s);
  json_t *meta = raw_items("meta", "schema");
  cr_assert_eq(json_array_size(meta), 1);
  cr_assert_eq(raw_n(json_array_get(meta, 0), "version"), orch_store_dynamodb_schema_version());
  json_decref(meta);

  /* a layout newer than this binary */
  json_decref(raw_call("PutItem", json_pack("{ss s{s{ss}s{ss}s{ss}}}", "TableName", DY_TABLE, "Item", "pk", "S", "meta", "sk",
                                            "S", "schema", "version", "N", "99")));
  FAILS(e, ORCH_EUNSUPPORTED, orch_store_open(spec(""), NULL, &s, err));
  cr_assert(strstr(e.message, "99"), "%s", e.message);

  /* another application's table under our name */
  json_decref(raw_call("CreateTable", json_pack("{ss ss s[{ssss}] s[{ssss}]}", "TableName", "other-state", "BillingMode",
                                                "PAY_PER_REQUEST", "AttributeDefinitions", "AttributeName", "id",
                                                "AttributeType", "S", "KeySchema", "AttributeName", "id", "KeyType",
                                                "HASH")));
  char other[256];
  snprintf(other, sizeof other, "dynamodb:other?region=us-east-1&endpoint=%s", endpoint);
  FAILS(e, ORCH_ESTORE, orch_store_open(other, NULL, &s, err));
  cr_assert(strstr(e.message, "not a drsorch table"), "%s", e.message);
}

/* ---- values larger than an item ----------------------------------------------------------------- */

Test(dynamodb, large_values_come_back_whole, .timeout = 300) {
  struct orch_store *s = open_store(NULL, NULL);
  char *source = dy_text(NULL, ORCH_STORE_SOURCE_MAX);
  json_t *compiled = big_object("waves", 500 * 1024), *overrides = big_object("userData", 300 * 1024);
  json_t *summary1 = big_object("report", 200 * 1024), *summary2 = big_object("report", 250 * 1024);
  json_t *event = big_object("log", 900 * 1024), *details = big_object("diff", 100 * 1024);

  struct orch_store_plan p;
  struct orch_store_plan_version v;
  make_plan(s, "big", source, compiled, &p);
  struct orch_store_version_spec vs = {.source = "return 2", .compiled = compiled, .author = "carol"};
  OK(orch_store_plan_add_version(s, p.id, 1, &vs, NULL, err)); /* version 1 leaves the record's tail */
  OK(orch_store_plan_version_get(s, p.id, 1, &v, err));
  cr_assert_str_eq(v.source, source, "the source comes back byte for byte");
  cr_assert(json_equal(v.compiled, compiled));
  orch_store_plan_version_release(&v);

  json_t *sel = json_pack("{s[s]}", "server_ids", "s-00000000000000001");
  struct orch_store_group_spec gs = {.name = "g", .account = "111122223333", .region = "us-east-1", .selector = sel,
                                     .launch_overrides = overrides};
  struct orch_store_group g, got;
  OK(orch_store_group_create(s, &gs, &g, err));
  OK(orch_store_group_get(s, g.id, &got, err));
  cr_assert(json_equal(got.launch_overrides, overrides));
  orch_store_group_release(&got);

  struct orch_store_exec x, xg;
  make_exec(s, p.id, ORCH_STORE_MODE_DRILL, summary1, &x);
  char pk[64];
  snprintf(pk, sizeof pk, "exec#%s", x.id);
  json_t *chunks = raw_items(pk, "c#");
  cr_assert_eq(json_array_size(chunks), 1, "a 200 KB summary is one chunk item");
  json_decref(chunks);
  struct orch_store_exec_update u = {.summary = summary2};
  OK(orch_store_exec_update(s, x.id, &u, NULL, err));
  chunks = raw_items(pk, "c#");
  cr_assert_eq(json_array_size(chunks), 1, "the replaced summary's chunks are gone");
  json_decref(chunks);
  OK(orch_store_exec_get(s, x.id, &xg, err));
  cr_assert(json_equal(xg.summary, summary2));
  orch_store_exec_release(&xg);

  /* a large event, then a batch of 1,000 small ones, then one more (the batch leaves the tail) */
  append(s, x.id, 1, event);
  struct orch_store_event_spec batch[ORCH_STORE_BATCH_MAX];
  json_t *small = json_pack("{ss si}", "job", "drsjob-0123456789abcdef0", "attempt", 1);
  for (int i = 0; i < ORCH_STORE_BATCH_MAX; i++)
    batch[i] = (struct orch_store_event_spec){.seq = 2 + i, .at_ms = T0 + i, .type = "JobPolled", .data = small};
  OK(orch_store_event_append_batch(s, x.id, batch, ORCH_STORE_BATCH_MAX, err));
  append(s, x.id, ORCH_STORE_BATCH_MAX + 2, NULL);
  struct orch_store_event_list el;
  OK(orch_store_event_read(s, x.id, 1, 0, &el, err));
  cr_assert_eq(el.count, ORCH_STORE_BATCH_MAX + 2);
  cr_assert(json_equal(el.items[0].data, event));
  for (size_t i = 0; i < el.count; i++) cr_assert_eq(el.items[i].seq, (int64_t)i + 1);
  cr_assert(json_equal(el.items[500].data, small));
  cr_assert_null(el.items[el.count - 1].data);
  orch_store_event_list_release(&el);
  /* reading from the middle of the large batch, in pages */
  OK(orch_store_event_read(s, x.id, 700, 10, &el, err));
  cr_assert_eq(el.count, 10);
  cr_assert_eq(el.items[0].seq, 700);
  cr_assert_eq(el.next_seq, 710);
  orch_store_event_list_release(&el);

  struct orch_store_audit_spec as = {.actor = "alice", .action = "plan.update", .details = details};
  OK(orch_store_audit_append(s, &as, NULL, err));
  struct orch_store_audit_list al;
  OK(orch_store_audit_list(s, NULL, NULL, &al, err));
  cr_assert(json_equal(al.items[0].details, details));
  orch_store_audit_list_release(&al);

  orch_free(source);
  json_decref(compiled);
  json_decref(overrides);
  json_decref(summary1);
  json_decref(summary2);
  json_decref(event);
  json_decref(details);
  json_decref(small);
  json_decref(sel);
  orch_store_group_release(&g);
  orch_store_exec_release(&x);
  orch_store_close(s);
}

/* ---- TTL ---------------------------------------------------------------------------------------- */

Test(dynamodb, a_finished_drill_expires_and_a_recovery_stays, .timeout = 120) {
  struct orch_store *s = open_store("&create=true&drill_ttl_days=7", NULL);
  json_t *compiled = json_pack("{s[]}", "waves"), *event = big_object("log", 100 * 1024);
  struct orch_store_plan p;
  struct orch_store_exec drill, rec;
  make_plan(s, "p", "return plan {}", compiled, &p);
  make_exec(s, p.id, ORCH_STORE_MODE_DRILL, NULL, &drill);
  make_exec(s, p.id, ORCH_STORE_MODE_RECOVERY, NULL, &rec);
  for (int64_t i = 1; i <= 3; i++) {
    append(s, drill.id, i, i == 2 ? event : NULL);
    append(s, rec.id, i, NULL);
  }
  int64_t ended = T0 + 3600 * 1000;
  struct orch_store_exec_update end = {.set_status = true, .status = ORCH_STORE_STATUS_COMPLETED, .ended_ms = ended};
  OK(orch_store_exec_update(s, drill.id, &end, NULL, err));
  OK(orch_store_exec_update(s, rec.id, &end, NULL, err));
  append(s, drill.id, 4, NULL); /* after the end: it expires with the rest */

  long long want = ended / 1000 + 7 * 86400;
  json_t *execs = raw_items("execs", "x#");
  size_t i;
  json_t *it;
  json_array_foreach(execs, i, it) {
    bool is_drill = strcmp(raw_s(it, "id"), drill.id) == 0;
    cr_assert_eq(raw_n(it, "expires_at"), is_drill ? want : -1, "%s", raw_s(it, "mode"));
  }
  json_decref(execs);
  char pk[64];
  snprintf(pk, sizeof pk, "exec#%s", drill.id);
  json_t *journal = raw_items(pk, "");
  cr_assert_geq(json_array_size(journal), 5, "4 batches and a chunk");
  json_array_foreach(journal, i, it) cr_assert_eq(raw_n(it, "expires_at"), want, "%s", raw_s(it, "sk"));
  json_decref(journal);
  snprintf(pk, sizeof pk, "exec#%s", rec.id);
  journal = raw_items(pk, "");
  json_array_foreach(journal, i, it) cr_assert_eq(raw_n(it, "expires_at"), -1, "%s", raw_s(it, "sk"));
  json_decref(journal);

  json_decref(compiled);
  json_decref(event);
  orch_store_exec_release(&drill);
  orch_store_exec_release(&rec);
  orch_store_close(s);
}

/* ---- through a proxy ------------------------------------------------------------------------------ */

/* A store opened through proxy px. */
static struct orch_store *open_via(const struct proxy *px) { return dy_store_at(px->port, "", NULL); }

/* ---- the lease fence under a takeover ------------------------------------------------------------ */

struct engine_a {
  struct orch_store *s;
  const char *exec_id;
  atomic_int appended;
  int refused_for_lease;
};

/* Engine A appends as the lease holder until an append is refused for the lease. */
static void *engine_a_main(void *arg) {
  struct engine_a *a = arg;
  for (;;) {
    int64_t last = 0;
    struct orch_error e = {0};
    cr_assert_eq(orch_store_event_last_seq(a->s, a->exec_id, &last, NULL), 0);
    struct orch_store_event_spec ev = {.seq = last + 1, .at_ms = T0 + last + 1, .type = "ByA"};
    int rc = orch_store_event_append_owned(a->s, a->exec_id, "engine-a", &ev, 1, &e);
    if (rc == ORCH_ECONFLICT && strcmp(e.context, "lease") == 0) {
      a->refused_for_lease = 1;
      return NULL;
    }
    if (rc == ORCH_ECONFLICT) continue; /* B appended first */
    cr_assert_eq(rc, 0, "%s", e.message);
    atomic_fetch_add(&a->appended, 1);
  }
}

Test(dynamodb, a_taken_over_lease_stops_the_old_owner_at_once, .timeout = 120) {
  struct orch_store *s = open_store(NULL, NULL), *other = open_store(NULL, NULL);
  json_t *compiled = json_pack("{s[]}", "waves");
  struct orch_store_plan p;
  struct orch_store_exec x;
  make_plan(s, "p", "return plan {}", compiled, &p);
  make_exec(s, p.id, ORCH_STORE_MODE_RECOVERY, NULL, &x);
  struct orch_store_lease_spec la = {.owner = "engine-a", .host = "a", .pid = 1, .now_ms = T0, .until_ms = T0 + 60000};
  OK(orch_store_lease_acquire(s, x.id, &la, NULL, err));

  struct engine_a a = {.s = s, .exec_id = x.id};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, engine_a_main, &a), 0);
  while (atomic_load(&a.appended) < 20) sched_yield(); /* A is well under way */
  /* B proved A dead (say) and takes the lease over on its own handle */
  struct orch_store_lease_spec lb = {.owner = "engine-b", .host = "b", .pid = 2, .now_ms = T0 + 1, .until_ms = T0 + 60000,
                                     .steal_from = "engine-a"};
  OK(orch_store_lease_acquire(other, x.id, &lb, NULL, err));
  int64_t at_steal = 0;
  OK(orch_store_event_last_seq(other, x.id, &at_steal, err));
  for (int done = 0; !done;) { /* B's first event, racing A's last attempts */
    int64_t last = 0;
    OK(orch_store_event_last_seq(other, x.id, &last, err));
    struct orch_store_event_spec ev = {.seq = last + 1, .at_ms = T0 + last + 1, .type = "ByB"};
    struct orch_error e = {0};
    int rc = orch_store_event_append_owned(other, x.id, "engine-b", &ev, 1, &e);
    cr_assert(rc == 0 || rc == ORCH_ECONFLICT, "%s", e.message);
    done = rc == 0;
  }
  pthread_join(t, NULL);
  cr_assert(a.refused_for_lease, "A learned it lost the lease");

  /* nothing of A's landed after B's takeover: the fence and the write are one step */
  struct orch_store_event_list el;
  OK(orch_store_event_read(s, x.id, 1, 0, &el, err));
  size_t first_b = el.count;
  for (size_t i = 0; i < el.count; i++) {
    cr_assert_eq(el.items[i].seq, (int64_t)i + 1, "no gap");
    if (first_b == el.count && strcmp(el.items[i].type, "ByB") == 0) first_b = i;
  }
  cr_assert_lt(first_b, el.count);
  for (size_t i = first_b; i < el.count; i++) cr_assert_str_eq(el.items[i].type, "ByB", "seq %zu", i + 1);
  cr_assert_eq(el.items[first_b].seq, at_steal + 1, "A wrote nothing once B held the lease");
  for (size_t i = 0; i < first_b; i++) cr_assert_str_eq(el.items[i].type, "ByA");
  orch_store_event_list_release(&el);
  json_decref(compiled);
  orch_store_exec_release(&x);
  orch_store_close(other);
  orch_store_close(s);
}

/* ---- writes abandoned half-way -------------------------------------------------------------------- */

Test(dynamodb, an_abandoned_group_write_never_blocks_the_next) {
  struct orch_store *s = open_store(NULL, NULL);
  /* a creation that crashed after taking its name and a server: a record with only its revision */
  const char *ghost = "01900000-0000-7000-8000-00000000dead";
  char sk[128];
  snprintf(sk, sizeof sk, "g#%s", ghost);
  raw_put("groups", sk, json_pack("{s{ss}s{s{s{ss}s{ss}s{ss}s{ss}s{ss}}}}", "id", "S", ghost, "nx", "M", "tok", "S",
                                  "0123456789abcdef0123456789abcdef", "name", "S", "web", "account", "S",
                                  "111122223333", "region", "S", "us-east-1", "sel", "S",
                                  "{\"server_ids\":[\"s-00000000000000001\"]}"));
  raw_put("groups", "n#web", json_pack("{s{ss}}", "gid", "S", ghost));
  raw_put("groups", "s#111122223333#us-east-1#s-00000000000000001", json_pack("{s{ss}}", "gid", "S", ghost));
  struct orch_store_group got;
  struct orch_error e;
  FAILS(e, ORCH_ENOTFOUND, orch_store_group_find(s, "web", &got, err));

  /* the next writer withdraws it and takes both */
  json_t *sel = json_pack("{s[s]}", "server_ids", "s-00000000000000001");
  struct orch_store_group_spec gs = {.name = "web", .account = "111122223333", .region = "us-east-1", .selector = sel};
  struct orch_store_group g;
  OK(orch_store_group_create(s, &gs, &g, err));
  json_t *ghost_rec = raw_items("groups", sk);
  cr_assert_eq(json_array_size(ghost_rec), 0, "the abandoned creation is withdrawn");
  json_decref(ghost_rec);
  json_t *claim = raw_items("groups", "s#111122223333#us-east-1#s-00000000000000001");
  cr_assert_str_eq(raw_s(json_array_get(claim, 0), "gid"), g.id);
  json_decref(claim);
  /* a committed group's claim is still a refusal, naming it */
  gs.name = "web-2";
  FAILS(e, ORCH_ECONFLICT, orch_store_group_create(s, &gs, NULL, err));
  cr_assert(strstr(e.message, "'web'"), "%s", e.message);

  /* a half-made execution does not keep its plan from being deleted */
  json_t *compiled = json_pack("{s[]}", "waves");
  struct orch_store_plan p;
  make_plan(s, "p", "return plan {}", compiled, &p);
  raw_put("execs", "x#01900000-0000-7000-8000-00000000beef",
          json_pack("{s{ss}s{ss}s{ss}s{ss}s{ss}}", "id", "S", "01900000-0000-7000-8000-00000000beef", "plan_id", "S",
                    p.id, "mode", "S", "drill", "status", "S", "PENDING", "pend", "S", "abandoned"));
  struct orch_store_exec_list xl;
  OK(orch_store_exec_list(s, NULL, NULL, &xl, err));
  cr_assert_eq(xl.count, 0, "a half-made execution is not listed");
  orch_store_exec_list_release(&xl);
  OK(orch_store_plan_delete(s, p.id, err));
  json_t *left = raw_items("execs", "x#");
  cr_assert_eq(json_array_size(left), 0, "the deletion withdrew it");
  json_decref(left);
  left = raw_items("plans", "");
  cr_assert_eq(json_array_size(left), 0, "nothing of the plan is left");
  json_decref(left);

  json_decref(compiled);
  json_decref(sel);
  orch_store_group_release(&g);
  orch_store_close(s);
}

/* ---- an execution created while its plan is deleted ------------------------------------------------ */

struct racer {
  struct orch_store *s;
  const char *plan_id;
  atomic_int *go;
  int rc;
};

static void *create_racer(void *arg) {
  struct racer *r = arg;
  while (!atomic_load(r->go)) sched_yield();
  struct orch_store_exec_spec spec = {.plan_id = r->plan_id, .mode = ORCH_STORE_MODE_DRILL};
  r->rc = orch_store_exec_create(r->s, &spec, NULL, NULL);
  return NULL;
}

static void *delete_racer(void *arg) {
  struct racer *r = arg;
  while (!atomic_load(r->go)) sched_yield();
  r->rc = orch_store_plan_delete(r->s, r->plan_id, NULL);
  return NULL;
}

Test(dynamodb, a_plan_is_deleted_or_runs_never_both, .timeout = 300) {
  struct orch_store *a = open_store(NULL, NULL), *b = open_store(NULL, NULL);
  json_t *compiled = json_pack("{s[]}", "waves");
  int created = 0, deleted = 0;
  for (int round = 0; round < 20; round++) {
    char name[32];
    struct orch_store_plan p;
    snprintf(name, sizeof name, "race-%d", round);
    make_plan(a, name, "return plan {}", compiled, &p);
    atomic_int go = 0;
    struct racer c = {a, p.id, &go, -1}, d = {b, p.id, &go, -1};
    pthread_t tc, td;
    cr_assert_eq(pthread_create(&tc, NULL, create_racer, &c), 0);
    cr_assert_eq(pthread_create(&td, NULL, delete_racer, &d), 0);
    atomic_store(&go, 1);
    pthread_join(tc, NULL);
    pthread_join(td, NULL);
    cr_assert((c.rc == 0) != (d.rc == 0), "round %d: exactly one wins (create %s, delete %s)", round,
              orch_error_name(c.rc), orch_error_name(d.rc));
    cr_assert(c.rc == 0 || c.rc == ORCH_ENOTFOUND || c.rc == ORCH_ECONFLICT, "create: %s", orch_error_name(c.rc));
    cr_assert(d.rc == 0 || d.rc == ORCH_ECONFLICT, "delete: %s", orch_error_name(d.rc));
    struct orch_store_exec_list xl;
    struct orch_store_exec_filter f = {.plan_id = p.id};
    OK(orch_store_exec_list(a, &f, NULL, &xl, err));
    cr_assert_eq(xl.count, c.rc == 0 ? 1u : 0u, "round %d: the execution exists only if it won", round);
    orch_store_exec_list_release(&xl);
    struct orch_store_plan got;
    int prc = orch_store_plan_get(a, p.id, &got, NULL);
    cr_assert_eq(prc, d.rc == 0 ? ORCH_ENOTFOUND : 0, "round %d: the plan exists only if the delete lost", round);
    created += c.rc == 0;
    deleted += d.rc == 0;
  }
  cr_assert_eq(created + deleted, 20);
  json_decref(compiled);
  orch_store_close(a);
  orch_store_close(b);
}

/* ---- two groups claiming one server at once ------------------------------------------------------ */

struct group_racer {
  struct orch_store *s;
  struct orch_store_group_spec spec;
  atomic_int *go;
  int rc;
};

static void *group_racer_main(void *arg) {
  struct group_racer *r = arg;
  while (!atomic_load(r->go)) sched_yield();
  r->rc = orch_store_group_create(r->s, &r->spec, NULL, NULL);
  return NULL;
}

Test(dynamodb, two_groups_claiming_one_server_one_wins, .timeout = 300) {
  struct orch_store *a = open_store(NULL, NULL), *b = open_store(NULL, NULL);
  for (int round = 0; round < 20; round++) {
    char server[24], na[32], nb[32];
    snprintf(server, sizeof server, "s-%017x", round + 1);
    snprintf(na, sizeof na, "a-%d", round);
    snprintf(nb, sizeof nb, "b-%d", round);
    json_t *sel = json_pack("{s[s]}", "server_ids", server);
    atomic_int go = 0;
    struct group_racer ra = {a, {na, "111122223333", "us-east-1", sel, NULL, 0}, &go, -1};
    struct group_racer rb = {b, {nb, "111122223333", "us-east-1", sel, NULL, 0}, &go, -1};
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, group_racer_main, &ra), 0);
    cr_assert_eq(pthread_create(&tb, NULL, group_racer_main, &rb), 0);
    atomic_store(&go, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert((ra.rc == 0) != (rb.rc == 0), "round %d: exactly one group gets the server (%s, %s)", round,
              orch_error_name(ra.rc), orch_error_name(rb.rc));
    cr_assert_eq(ra.rc ? ra.rc : rb.rc, ORCH_ECONFLICT);
    struct orch_store_group got;
    OK(orch_store_group_find(a, ra.rc == 0 ? na : nb, &got, err));
    orch_store_group_release(&got);
    cr_assert_eq(orch_store_group_find(a, ra.rc == 0 ? nb : na, &got, NULL), ORCH_ENOTFOUND, "the loser left nothing");
    json_decref(sel);
  }
  struct orch_store_group_list gl;
  struct orch_store_page page = {.limit = 100};
  OK(orch_store_group_list(a, &page, &gl, err));
  cr_assert_eq(gl.count, 20);
  orch_store_group_list_release(&gl);
  orch_store_close(a);
  orch_store_close(b);
}

/* The interleavings the race above may or may not hit, forced by holding one writer's request at the
 * proxy while the other acts. */

struct group_writer {
  struct orch_store *s;
  const char *id; /* NULL: create */
  struct orch_store_group_spec spec;
  int rc;
  struct orch_error err;
};

static void *group_writer_main(void *arg) {
  struct group_writer *w = arg;
  w->rc = w->id ? orch_store_group_update(w->s, w->id, &w->spec, NULL, &w->err)
                : orch_store_group_create(w->s, &w->spec, NULL, &w->err);
  return NULL;
}

/* B finds A's creation pending on the server and goes to withdraw it; A commits first. B must then see
 * the server taken, not take it over. */
Test(dynamodb, a_claim_whose_holder_commits_while_being_withdrawn_stays_with_it, .timeout = 120) {
  struct orch_store *direct = open_store(NULL, NULL);
  struct proxy pa, pb;
  proxy_start(&pa, dl.port, NULL, 0);
  proxy_start(&pb, dl.port, NULL, 0);
  proxy_hold(&pa, "DynamoDB_20120810.UpdateItem", "REMOVE #nx, #exp");            /* A's commit */
  proxy_hold(&pb, "DynamoDB_20120810.DeleteItem", "attribute_not_exists(#name)"); /* B withdrawing A */
  struct orch_store *sa = open_via(&pa), *sb = open_via(&pb);
  json_t *sel = json_pack("{s[s]}", "server_ids", "s-000000000000000a1");
  struct group_writer a = {sa, NULL, {"tier-a", "111122223333", "us-east-1", sel, NULL, 0}, -1, {0}};
  struct group_writer b = {sb, NULL, {"tier-b", "111122223333", "us-east-1", sel, NULL, 0}, -1, {0}};
  pthread_t ta, tb;
  cr_assert_eq(pthread_create(&ta, NULL, group_writer_main, &a), 0);
  proxy_wait_held(&pa); /* A holds the server claim, its commit not yet sent */
  cr_assert_eq(pthread_create(&tb, NULL, group_writer_main, &b), 0);
  proxy_wait_held(&pb); /* B judged A pending and is about to withdraw it */
  proxy_release(&pa);
  pthread_join(ta, NULL);
  cr_assert_eq(a.rc, 0, "A committed: %s", a.err.message);
  proxy_release(&pb);
  pthread_join(tb, NULL);
  cr_assert_eq(b.rc, ORCH_ECONFLICT, "B must not take a committed group's server (%s: %s)", orch_error_name(b.rc),
               b.err.message);
  cr_assert(strstr(b.err.message, "tier-a"), "the refusal names the holder: %s", b.err.message);
  struct orch_store_group ga, gb;
  OK(orch_store_group_find(direct, "tier-a", &ga, err));
  cr_assert_eq(orch_store_group_find(direct, "tier-b", &gb, NULL), ORCH_ENOTFOUND);
  json_t *claims = raw_items("groups", "s#111122223333#us-east-1#s-000000000000000a1");
  cr_assert_eq(json_array_size(claims), 1);
  cr_assert_str_eq(raw_s(json_array_get(claims, 0), "gid"), ga.id, "the claim names tier-a");
  json_decref(claims);
  orch_store_group_release(&ga);
  json_decref(sel);
  orch_store_close(sa);
  orch_store_close(sb);
  orch_store_close(direct);
  proxy_stop(&pa);
  proxy_stop(&pb);
}

/* A claim its own group left behind (a release that failed) is stale. B judges it so and is about to take
 * it over when A takes the server back and commits: A's own claim must fence B off. */
Test(dynamodb, a_group_taking_back_its_stale_claim_fences_off_a_taker, .timeout = 120) {
  struct orch_store *direct = open_store(NULL, NULL);
  const char *server = "s-000000000000000b1", *claim_sk = "s#111122223333#us-east-1#s-000000000000000b1";
  json_t *only_x = json_pack("{s[s]}", "server_ids", "s-000000000000000b0");
  json_t *x_and_s = json_pack("{s[ss]}", "server_ids", "s-000000000000000b0", server);
  struct orch_store_group_spec as = {"web", "111122223333", "us-east-1", only_x, NULL, 0};
  struct orch_store_group ga;
  OK(orch_store_group_create(direct, &as, &ga, err));
  raw_put("groups", claim_sk, json_pack("{s{ss}}", "gid", "S", ga.id)); /* left behind by an old revision */

  struct proxy pb;
  proxy_start(&pb, dl.port, NULL, 0);
  proxy_hold(&pb, "DynamoDB_20120810.PutItem", claim_sk); /* B taking over the stale claim */
  struct orch_store *sb = open_via(&pb);
  json_t *only_s = json_pack("{s[s]}", "server_ids", server);
  struct group_writer b = {sb, NULL, {"db", "111122223333", "us-east-1", only_s, NULL, 0}, -1, {0}};
  pthread_t tb;
  cr_assert_eq(pthread_create(&tb, NULL, group_writer_main, &b), 0);
  proxy_wait_held(&pb);
  struct orch_store_group_spec back = {"web", "111122223333", "us-east-1", x_and_s, NULL, 0};
  OK(orch_store_group_update(direct, ga.id, &back, NULL, err));
  proxy_release(&pb);
  pthread_join(tb, NULL);
  cr_assert_eq(b.rc, ORCH_ECONFLICT, "the server went back to 'web' (%s: %s)", orch_error_name(b.rc), b.err.message);
  cr_assert(strstr(b.err.message, "'web'"), "%s", b.err.message);
  struct orch_store_group got;
  cr_assert_eq(orch_store_group_find(direct, "db", &got, NULL), ORCH_ENOTFOUND);
  json_t *claims = raw_items("groups", claim_sk);
  cr_assert_eq(json_array_size(claims), 1);
  cr_assert_str_eq(raw_s(json_array_get(claims, 0), "gid"), ga.id, "the claim names 'web'");
  json_decref(claims);
  /* and the server is free for B once 'web' lets go of it */
  OK(orch_store_group_update(direct, ga.id, &as, NULL, err));
  OK(orch_store_group_create(direct, &b.spec, NULL, err));
  orch_store_group_release(&ga);
  json_decref(only_x);
  json_decref(x_and_s);
  json_decref(only_s);
  orch_store_close(sb);
  orch_store_close(direct);
  proxy_stop(&pb);
}

/* U1 renames a group away from "x"; before its cleanup drops the claim on "x", U2 renames it back. The
 * claim U2 took back must survive U1's cleanup: the group stays findable as "x", and "x" stays taken. */
Test(dynamodb, a_claim_an_update_took_back_survives_the_previous_updates_cleanup, .timeout = 120) {
  struct orch_store *direct = open_store(NULL, NULL);
  json_t *sel = json_pack("{s[s]}", "server_ids", "s-000000000000000c1");
  struct orch_store_group_spec x = {"x", "111122223333", "us-east-1", sel, NULL, 0};
  struct orch_store_group g;
  OK(orch_store_group_create(direct, &x, &g, err));
  struct proxy p1;
  proxy_start(&p1, dl.port, NULL, 0);
  proxy_hold(&p1, "DynamoDB_20120810.DeleteItem", "\"n#x\""); /* U1's cleanup of the name it left */
  struct orch_store *s1 = open_via(&p1);
  struct group_writer u1 = {s1, g.id, {"y", "111122223333", "us-east-1", sel, NULL, 0}, -1, {0}};
  pthread_t t1;
  cr_assert_eq(pthread_create(&t1, NULL, group_writer_main, &u1), 0);
  proxy_wait_held(&p1); /* U1 committed "y" */
  OK(orch_store_group_update(direct, g.id, &x, NULL, err)); /* U2: back to "x" */
  proxy_release(&p1);
  pthread_join(t1, NULL);
  cr_assert_eq(u1.rc, 0, "%s", u1.err.message);
  struct orch_store_group got;
  OK(orch_store_group_find(direct, "x", &got, err));
  cr_assert_str_eq(got.id, g.id);
  orch_store_group_release(&got);
  struct orch_store_group_list gl;
  struct orch_store_page page = {.limit = 10};
  OK(orch_store_group_list(direct, &page, &gl, err));
  cr_assert_eq(gl.count, 1, "listed through its name claim");
  orch_store_group_list_release(&gl);
  json_t *other = json_pack("{s[s]}", "server_ids", "s-000000000000000c2");
  struct orch_store_group_spec dup = {"x", "111122223333", "us-east-1", other, NULL, 0};
  struct orch_error e;
  FAILS(e, ORCH_EEXIST, orch_store_group_create(direct, &dup, NULL, err));
  json_decref(other);
  json_decref(sel);
  orch_store_group_release(&g);
  orch_store_close(s1);
  orch_store_close(direct);
  proxy_stop(&p1);
}

/* ---- writes whose answer was lost: the retry recognises its own landed write ----------------------- */

Test(dynamodb, a_group_write_whose_answer_was_lost_is_done, .timeout = 120) {
  struct orch_store *direct = open_store(NULL, NULL);
  const char *markers[] = {"\"nx\"", "REMOVE #nx, #exp"}; /* the creation's first put; its commit */
  for (int i = 0; i < 2; i++) {
    struct proxy px;
    proxy_start(&px, dl.port, markers[i], 1);
    struct orch_store *s = open_via(&px);
    char name[16];
    snprintf(name, sizeof name, "lost-%d", i);
    json_t *own = json_pack("{s[s]}", "server_ids", i ? "s-000000000000000d2" : "s-000000000000000d3");
    struct orch_store_group_spec spec = {name, "111122223333", "us-east-1", own, NULL, 0};
    struct orch_store_group g, got;
    OK(orch_store_group_create(s, &spec, &g, err));
    cr_assert_eq(atomic_load(&px.lost), 1, "%s: one answer lost", markers[i]);
    OK(orch_store_group_find(direct, name, &got, err));
    cr_assert_str_eq(got.id, g.id);
    cr_assert_eq(got.version, 1);
    orch_store_group_release(&got);
    orch_store_group_release(&g);
    json_decref(own);
    orch_store_close(s);
    proxy_stop(&px);
  }
  orch_store_close(direct);
}

Test(dynamodb, a_user_token_or_session_whose_answer_was_lost_is_done, .timeout = 120) {
  struct orch_store *direct = open_store(NULL, NULL);
  /* a user: its record's put */
  struct proxy pu;
  proxy_start(&pu, dl.port, "\"n#alice\"", 1);
  struct orch_store *su = open_via(&pu);
  struct orch_store_user_spec us = {.name = "alice", .role = "Admin"};
  struct orch_store_user u, gu;
  OK(orch_store_user_create(su, &us, &u, err));
  cr_assert_eq(atomic_load(&pu.lost), 1);
  OK(orch_store_user_get(direct, u.id, &gu, err)); /* found by id: its pointer was kept */
  cr_assert_str_eq(gu.name, "alice");
  orch_store_close(su);
  proxy_stop(&pu);

  /* a token: its commit (removing `pend`) */
  struct proxy pt;
  proxy_start(&pt, dl.port, "REMOVE #pend", 1);
  struct orch_store *st = open_via(&pt);
  const char *hash = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
  struct orch_store_token_spec ts = {.name = "ci", .role = "Operator", .secret_hash = hash, .prefix = "drs_cccc"};
  struct orch_store_token t, gt;
  OK(orch_store_token_create(st, &ts, &t, err));
  cr_assert_eq(atomic_load(&pt.lost), 1);
  OK(orch_store_token_find_hash(direct, hash, &gt, err)); /* its secret still authenticates */
  cr_assert_str_eq(gt.id, t.id);
  struct orch_error e;
  struct orch_store_token_spec again = ts;
  again.secret_hash = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
  FAILS(e, ORCH_EEXIST, orch_store_token_create(direct, &again, NULL, err)); /* and its name is still taken */
  orch_store_close(st);
  proxy_stop(&pt);

  /* a session: its record's put */
  struct proxy ps;
  proxy_start(&ps, dl.port, "\"csrf\"", 1);
  struct orch_store *ss = open_via(&ps);
  struct orch_store_session_spec sp = {.user_id = u.id, .secret_hash = hash, .csrf_token = "csrf-token-0123456789",
                                       .expires_ms = 4102444800000LL};
  struct orch_store_session sn, gs;
  OK(orch_store_session_create(ss, &sp, &sn, err));
  cr_assert_eq(atomic_load(&ps.lost), 1);
  OK(orch_store_session_find_hash(direct, hash, &gs, err));
  cr_assert_str_eq(gs.id, sn.id);
  OK(orch_store_session_delete(direct, sn.id, err)); /* found by id: its pointer was kept */
  orch_store_close(ss);
  proxy_stop(&ps);

  orch_store_close(direct);
}
