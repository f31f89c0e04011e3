/* test_store_sqlite: what only the SQLite backend has: migrations (from empty, on reopen, upgrades,
 * atomic failure, a database newer than the binary), durability settings, files that are not our
 * database, a read-only or missing directory, the busy timeout against another process's lock, and
 * corrupt stored JSON. Uses orch_store_sqlite (and its internal migration API), libsqlite3, Criterion. */
#include "store_test_util.h"

#include <sys/wait.h>
#include <time.h>

#include "core/orch_json.h"
#include "store/orch_store_sqlite.h"
#include "store/orch_store_sqlite_int.h"

static char dir[4096];
static char path[4200];
static char spec[4300];

static void init(void) {
  orch_json_init();
  store_test_mkdtemp(dir, sizeof dir, "sqlite");
  snprintf(path, sizeof path, "%s/orch.db", dir);
  snprintf(spec, sizeof spec, "sqlite:%s", path);
}

static void fini(void) { store_test_rmtree(dir); }

TestSuite(sqlite, .init = init, .fini = fini);

static sqlite3 *raw_open(void) {
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
  return db;
}

static void raw_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static long long raw_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
  cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
  long long v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static void open_close(void) {
  struct orch_store *s = NULL;
  OK(orch_store_open(spec, NULL, &s, err));
  orch_store_close(s);
}

Test(sqlite, migrates_an_empty_database) {
  struct orch_store *s = NULL;
  OK(orch_store_open(spec, NULL, &s, err));
  json_t *info = NULL;
  OK(orch_store_info(s, &info, err));
  cr_assert_str_eq(json_string_value(json_object_get(info, "journal_mode")), "wal");
  cr_assert_str_eq(json_string_value(json_object_get(info, "synchronous")), "full");
  cr_assert(json_is_true(json_object_get(info, "foreign_keys")));
  cr_assert_eq(json_integer_value(json_object_get(info, "schema_version")), orch_store_sqlite_schema_version());
  json_decref(info);
  orch_store_close(s);

  sqlite3 *db = raw_open();
  size_t n;
  orch_store_sq_migrations(&n);
  cr_assert_eq(raw_int(db, "SELECT count(*) FROM schema_version"), (long long)n);
  cr_assert_eq(raw_int(db, "SELECT max(version) FROM schema_version"), orch_store_sqlite_schema_version());
  cr_assert_eq(raw_int(db, "PRAGMA application_id"), ORCH_STORE_SQ_APPLICATION_ID);
  cr_assert_eq(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('protection_groups', 'group_servers',"
                           " 'plans', 'plan_versions', 'executions', 'events', 'audit')"),
               7);
  sqlite3_close(db);
}

Test(sqlite, reopening_applies_nothing_twice) {
  open_close();
  sqlite3 *db = raw_open();
  long long applied = raw_int(db, "SELECT sum(applied_ms) FROM schema_version");
  sqlite3_close(db);
  open_close();
  db = raw_open();
  cr_assert_eq(raw_int(db, "SELECT sum(applied_ms) FROM schema_version"), applied);
  sqlite3_close(db);
}

Test(sqlite, refuses_a_newer_schema) {
  open_close();
  sqlite3 *db = raw_open();
  raw_exec(db, "INSERT INTO schema_version VALUES (999, 'from the future', 0)");
  sqlite3_close(db);
  struct orch_store *s = NULL;
  struct orch_error e;
  FAILS(e, ORCH_EUNSUPPORTED, orch_store_open(spec, NULL, &s, err));
  cr_assert(strstr(e.message, "999") && strstr(e.message, "newer"), "%s", e.message);
  cr_assert_null(s);
}

/* The migration runner on a bare connection, with made-up migrations. */
Test(sqlite, migrations_upgrade_in_order_and_fail_atomically) {
  struct orch_store_sq_conn c = {.path = path};
  cr_assert_eq(sqlite3_open(path, &c.db), SQLITE_OK);
  const struct orch_store_sq_migration v3[] = {
    {.version = 1, .description = "one", .sql = "CREATE TABLE a (x)"},
    {.version = 2, .description = "two", .sql = "CREATE TABLE b (x); INSERT INTO a VALUES (1)"},
    {.version = 3, .description = "broken", .sql = "CREATE TABLE c (x); CREATE TABLE oops ("},
  };
  int version = 0;
  OK(orch_store_sq_migrate(&c, v3, 1, 10, &version, err));
  cr_assert_eq(version, 1);
  OK(orch_store_sq_migrate(&c, v3, 2, 20, &version, err));
  cr_assert_eq(version, 2);
  cr_assert_eq(raw_int(c.db, "SELECT count(*) FROM a"), 1, "migration 2 ran once");
  cr_assert_eq(raw_int(c.db, "SELECT applied_ms FROM schema_version WHERE version = 1"), 10);
  OK(orch_store_sq_migrate(&c, v3, 2, 30, &version, err));
  cr_assert_eq(raw_int(c.db, "SELECT count(*) FROM a"), 1, "nothing re-applied");

  struct orch_error e;
  FAILS(e, ORCH_ESTORE, orch_store_sq_migrate(&c, v3, 3, 40, &version, err));
  cr_assert(strstr(e.message, "migration 3"), "%s", e.message);
  cr_assert_eq(raw_int(c.db, "SELECT max(version) FROM schema_version"), 2);
  cr_assert_eq(raw_int(c.db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0, "a failed migration leaves nothing");

  const struct orch_store_sq_migration gap[] = {
    {.version = 1, .description = "one", .sql = "SELECT 1"},
    {.version = 3, .description = "three", .sql = "SELECT 1"},
  };
  FAILS(e, ORCH_EINTERNAL, orch_store_sq_migrate(&c, gap, 2, 50, &version, err));
  sqlite3_close(c.db);
}

Test(sqlite, refuses_a_file_that_is_not_sqlite) {
  FILE *f = fopen(path, "w");
  cr_assert(f);
  for (int i = 0; i < 200; i++) fputs("this is a plain text file, not a database\n", f);
  fclose(f);
  struct orch_store *s = NULL;
  struct orch_error e;
  FAILS(e, ORCH_ESTORE, orch_store_open(spec, NULL, &s, err));
  cr_assert(strstr(e.message, "not a SQLite database"), "%s", e.message);
  cr_assert_str_eq(e.context, path);
}

Test(sqlite, refuses_another_applications_database) {
  sqlite3 *db = raw_open();
  raw_exec(db, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  sqlite3_close(db);
  struct orch_store *s = NULL;
  struct orch_error e;
  FAILS(e, ORCH_ESTORE, orch_store_open(spec, NULL, &s, err));
  cr_assert(strstr(e.message, "not drsorch's"), "%s", e.message);

  cr_assert_eq(remove(path), 0);
  db = raw_open();
  raw_exec(db, "PRAGMA application_id = 42");
  sqlite3_close(db);
  FAILS(e, ORCH_ESTORE, orch_store_open(spec, NULL, &s, err));
  cr_assert(strstr(e.message, "another application"), "%s", e.message);
}

/* Open `p` in a child running as nobody when we are root (root may write anywhere), and report
 * whether the open failed with ORCH_EPERM and a message containing `needle`. */
static int open_as_unprivileged(const char *p, const char *needle) {
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    struct orch_store *s = NULL;
    struct orch_error e = {0};
    char sp[4300];
    snprintf(sp, sizeof sp, "sqlite:%s", p);
    int rc = orch_store_open(sp, NULL, &s, &e);
    fprintf(stderr, "open %s as uid %d: %s: %s\n", p, (int)geteuid(), orch_error_name(rc), e.message);
    orch_store_close(s);
    _exit(rc == ORCH_EPERM && strstr(e.message, needle) ? 0 : 1);
  }
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

Test(sqlite, read_only_directory_is_a_clear_error) {
  char ro[64];
  snprintf(ro, sizeof ro, "/tmp/orch-store-ro-XXXXXX"); /* /tmp: traversable by the unprivileged child */
  cr_assert(mkdtemp(ro));
  cr_assert_eq(chmod(ro, 0555), 0);
  char p[128];
  snprintf(p, sizeof p, "%s/orch.db", ro);
  int got = open_as_unprivileged(p, "is not writable");
  cr_assert_eq(chmod(ro, 0755), 0);
  cr_assert_eq(rmdir(ro), 0, "nothing may have been created");
  cr_assert_eq(got, 0, "child status %d", got);
  cr_assert_eq(open_as_unprivileged("/nonexistent-orch-dir/sub/orch.db", "does not exist"), 0);
}

Test(sqlite, busy_timeout_reports_a_lock_held_elsewhere) {
  struct orch_store *s = NULL;
  struct orch_store_options o = {.busy_timeout_ms = 200};
  OK(orch_store_open(spec, &o, &s, err));
  sqlite3 *other = raw_open();
  raw_exec(other, "BEGIN IMMEDIATE");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct orch_store_audit_spec a = {.actor = "alice", .action = "x"};
  struct orch_error e;
  FAILS(e, ORCH_ETIMEDOUT, orch_store_audit_append(s, &a, NULL, err));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  cr_assert_geq(ms, 150, "waited %ld ms", ms);
  cr_assert(strstr(e.message, "locked"), "%s", e.message);
  raw_exec(other, "COMMIT");
  sqlite3_close(other);
  OK(orch_store_audit_append(s, &a, NULL, err));
  orch_store_close(s);
}

Test(sqlite, bad_specs_and_options) {
  struct orch_store *s = NULL;
  struct orch_error e;
  FAILS(e, ORCH_EINVAL, orch_store_open("sqlite:", NULL, &s, err));
  FAILS(e, ORCH_EINVAL, orch_store_open("sqlite::memory:", NULL, &s, err));
  struct orch_store_options o = {.readers = 99};
  FAILS(e, ORCH_EINVAL, orch_store_open(spec, &o, &s, err));
  FAILS(e, ORCH_EINVAL, orch_store_sqlite_open(path, NULL, NULL, err));
  cr_assert_null(s);
}

Test(sqlite, corrupt_stored_json_is_reported) {
  struct orch_store *s = NULL;
  OK(orch_store_open(spec, NULL, &s, err));
  struct orch_store_audit_spec a = {.actor = "alice", .action = "x"};
  OK(orch_store_audit_append(s, &a, NULL, err));
  sqlite3 *db = raw_open();
  raw_exec(db, "UPDATE audit SET details = '{\"unterminated'");
  sqlite3_close(db);
  struct orch_store_audit_list al;
  struct orch_error e;
  FAILS(e, ORCH_ESTORE, orch_store_audit_list(s, NULL, NULL, &al, err));
  cr_assert(strstr(e.message, "corrupt"), "%s", e.message);
  cr_assert_str_eq(e.context, "details");
  orch_store_close(s);
}

Test(sqlite, concurrent_first_opens_migrate_once) {
  enum { N = 4 };
  pid_t pids[N];
  for (int i = 0; i < N; i++) {
    pids[i] = fork();
    cr_assert_neq(pids[i], -1);
    if (pids[i] == 0) {
      struct orch_store *s = NULL;
      struct orch_error e = {0};
      int rc = orch_store_open(spec, NULL, &s, &e);
      if (rc) fprintf(stderr, "child %d: %s\n", i, e.message);
      orch_store_close(s);
      _exit(rc ? 1 : 0);
    }
  }
  for (int i = 0; i < N; i++) {
    int status = 0;
    cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", i);
  }
  sqlite3 *db = raw_open();
  size_t n;
  orch_store_sq_migrations(&n);
  cr_assert_eq(raw_int(db, "SELECT count(*) FROM schema_version"), (long long)n);
  sqlite3_close(db);
}

/* A database written by schema 1 (with a plan, a finished execution and its journal) is upgraded in
 * place: the rows stay, the journal's references still hold, and the plan can then be deleted. */
Test(sqlite, version_1_upgrades_keeping_executions) {
  struct orch_store_sq_conn c = {.path = path};
  cr_assert_eq(sqlite3_open(path, &c.db), SQLITE_OK);
  raw_exec(c.db, "PRAGMA foreign_keys=ON");
  size_t n;
  const struct orch_store_sq_migration *migs = orch_store_sq_migrations(&n);
  cr_assert_geq(n, 2);
  int version = 0;
  OK(orch_store_sq_migrate(&c, migs, 1, 10, &version, err));
  raw_exec(c.db, "INSERT INTO plans VALUES ('01890000-0000-7000-8000-000000000001', 'old', 1, 1, 1);"
                 "INSERT INTO plan_versions VALUES ('01890000-0000-7000-8000-000000000001', 1, 'return 1', '{}', 'a', 1);"
                 "INSERT INTO executions VALUES ('01890000-0000-7000-8000-0000000000e1',"
                 " '01890000-0000-7000-8000-000000000001', 1, 'drill', 'COMPLETED', 'bob', 1, 2, 3, NULL);"
                 "INSERT INTO events VALUES ('01890000-0000-7000-8000-0000000000e1', 1, 5, 'ExecutionCreated', NULL);"
                 "INSERT INTO audit (at_ms, actor, action) VALUES (1, 'bob', 'plan.create');");
  sqlite3_close(c.db);

  struct orch_store *s = NULL;
  OK(orch_store_open(spec, NULL, &s, err));
  struct orch_store_exec x;
  OK(orch_store_exec_get(s, "01890000-0000-7000-8000-0000000000e1", &x, err));
  cr_assert_eq(x.status, ORCH_STORE_STATUS_COMPLETED);
  orch_store_exec_release(&x);
  int64_t last = 0;
  OK(orch_store_event_last_seq(s, "01890000-0000-7000-8000-0000000000e1", &last, err));
  cr_assert_eq(last, 1);
  struct orch_store_group_list gl;
  OK(orch_store_group_list(s, NULL, &gl, err));
  orch_store_group_list_release(&gl);
  OK(orch_store_plan_delete(s, "01890000-0000-7000-8000-000000000001", err));
  struct orch_store_audit_list al;
  OK(orch_store_audit_list(s, NULL, NULL, &al, err));
  cr_assert_str_eq(al.items[0].role, "");
  orch_store_audit_list_release(&al);
  orch_store_close(s);

  sqlite3 *db = raw_open();
  raw_exec(db, "PRAGMA foreign_keys=ON");
  cr_assert_neq(sqlite3_exec(db, "INSERT INTO events VALUES ('no-such-execution', 1, 1, 'X', NULL)", NULL, NULL, NULL),
                SQLITE_OK, "the journal still refers to executions");
  cr_assert_eq(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  sqlite3_close(db);
}
