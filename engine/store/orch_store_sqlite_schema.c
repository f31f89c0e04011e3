/* orch_store_sqlite_schema: the SQLite schema as an ordered array of migrations and the code that
 * applies the pending ones in one transaction, recorded in the schema_version table. How to add a
 * migration: docs/store.md. Uses libsqlite3, orch_store_sqlite_int. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_sqlite_int.h"

/* Append only: a released migration is never edited, only followed by a new one. */
static const struct orch_store_sq_migration migrations[] = {
  {
    .version = 1,
    .description = "protection groups, plans and versions, executions, event journal, audit log",
    .sql =
      "CREATE TABLE protection_groups ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL UNIQUE,"
      "  account TEXT NOT NULL,"
      "  region TEXT NOT NULL,"
      "  selector TEXT NOT NULL,"          /* JSON */
      "  launch_overrides TEXT,"           /* JSON or NULL */
      "  created_ms INTEGER NOT NULL,"
      "  updated_ms INTEGER NOT NULL);"
      /* explicit members: the primary key makes a server belong to at most one group */
      "CREATE TABLE group_servers ("
      "  account TEXT NOT NULL,"
      "  region TEXT NOT NULL,"
      "  server_id TEXT NOT NULL,"
      "  group_id TEXT NOT NULL REFERENCES protection_groups(id) ON DELETE CASCADE,"
      "  PRIMARY KEY (account, region, server_id)) WITHOUT ROWID;"
      "CREATE INDEX group_servers_group ON group_servers(group_id);"
      "CREATE TABLE plans ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL UNIQUE,"
      "  latest_version INTEGER NOT NULL,"
      "  created_ms INTEGER NOT NULL,"
      "  updated_ms INTEGER NOT NULL);"
      "CREATE TABLE plan_versions ("
      "  plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,"
      "  version INTEGER NOT NULL CHECK (version >= 1),"
      "  source TEXT NOT NULL,"
      "  compiled TEXT NOT NULL,"          /* JSON */
      "  author TEXT NOT NULL,"
      "  created_ms INTEGER NOT NULL,"
      "  PRIMARY KEY (plan_id, version)) WITHOUT ROWID;"
      "CREATE TABLE executions ("
      "  id TEXT PRIMARY KEY,"             /* UUIDv7: sorts by creation */
      "  plan_id TEXT NOT NULL,"
      "  plan_version INTEGER NOT NULL,"
      "  mode TEXT NOT NULL CHECK (mode IN ('drill', 'recovery', 'dry-run')),"
      "  status TEXT NOT NULL,"
      "  started_by TEXT,"
      "  created_ms INTEGER NOT NULL,"
      "  started_ms INTEGER,"
      "  ended_ms INTEGER,"                /* NULL while unfinished */
      "  summary TEXT,"                    /* JSON or NULL */
      "  FOREIGN KEY (plan_id, plan_version) REFERENCES plan_versions(plan_id, version) ON DELETE RESTRICT);"
      "CREATE INDEX executions_plan ON executions(plan_id, id);"
      "CREATE INDEX executions_unfinished ON executions(id) WHERE ended_ms IS NULL;"
      "CREATE TABLE events ("
      "  execution_id TEXT NOT NULL REFERENCES executions(id),"
      "  seq INTEGER NOT NULL CHECK (seq >= 1),"
      "  at_ms INTEGER NOT NULL,"
      "  type TEXT NOT NULL,"
      "  data TEXT,"                       /* JSON or NULL */
      "  PRIMARY KEY (execution_id, seq)) WITHOUT ROWID;"
      "CREATE TABLE audit ("
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  at_ms INTEGER NOT NULL,"
      "  actor TEXT NOT NULL,"
      "  action TEXT NOT NULL,"
      "  target TEXT,"
      "  details TEXT,"                    /* JSON or NULL */
      "  request_id TEXT);"
      "CREATE INDEX audit_at ON audit(at_ms);"
      "CREATE INDEX audit_actor ON audit(actor, id);"
      "CREATE INDEX audit_target ON audit(target, id);",
  },
  {
    .version = 2,
    .description = "execution leases: which process drives an execution",
    .sql =
      "CREATE TABLE leases ("
      "  execution_id TEXT PRIMARY KEY REFERENCES executions(id) ON DELETE CASCADE,"
      "  owner TEXT NOT NULL,"
      "  host TEXT NOT NULL,"
      "  pid INTEGER NOT NULL,"
      "  expires_ms INTEGER NOT NULL) WITHOUT ROWID;",
  },
  {
    .version = 3,
    .description = "group versions, plan version descriptions, audit roles and sources, executions outlive "
                   "their plan, users, API tokens, console sessions, target accounts",
    .sql =
      "ALTER TABLE protection_groups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
      "ALTER TABLE plan_versions ADD COLUMN description TEXT;"
      "ALTER TABLE audit ADD COLUMN role TEXT;"
      "ALTER TABLE audit ADD COLUMN source TEXT;"
      /* the same table without the foreign key to plan_versions: deleting a plan keeps the record of
       * its finished executions (their journals hold the plan they ran) */
      "CREATE TABLE executions_v2 ("
      "  id TEXT PRIMARY KEY,"
      "  plan_id TEXT NOT NULL,"
      "  plan_version INTEGER NOT NULL,"
      "  mode TEXT NOT NULL CHECK (mode IN ('drill', 'recovery', 'dry-run')),"
      "  status TEXT NOT NULL,"
      "  started_by TEXT,"
      "  created_ms INTEGER NOT NULL,"
      "  started_ms INTEGER,"
      "  ended_ms INTEGER,"
      "  summary TEXT);"
      "INSERT INTO executions_v2 SELECT id, plan_id, plan_version, mode, status, started_by, created_ms,"
      "  started_ms, ended_ms, summary FROM executions;"
      "DROP TABLE executions;"
      "ALTER TABLE executions_v2 RENAME TO executions;"
      "CREATE INDEX executions_plan ON executions(plan_id, id);"
      "CREATE INDEX executions_unfinished ON executions(id) WHERE ended_ms IS NULL;"
      "CREATE TABLE users ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL UNIQUE,"
      "  role TEXT NOT NULL,"
      "  password_hash TEXT,"              /* scrypt string or NULL */
      "  disabled INTEGER NOT NULL DEFAULT 0,"
      "  created_ms INTEGER NOT NULL,"
      "  updated_ms INTEGER NOT NULL,"
      "  last_login_ms INTEGER);"
      "CREATE TABLE api_tokens ("
      "  id TEXT PRIMARY KEY,"             /* UUIDv7: lists newest first */
      "  name TEXT NOT NULL UNIQUE,"
      "  role TEXT NOT NULL,"
      "  secret_hash TEXT NOT NULL UNIQUE,"/* SHA-256 hex of the token */
      "  prefix TEXT NOT NULL,"
      "  created_by TEXT,"
      "  created_ms INTEGER NOT NULL,"
      "  expires_ms INTEGER,"
      "  last_used_ms INTEGER,"
      "  revoked_ms INTEGER);"
      "CREATE TABLE sessions ("
      "  id TEXT PRIMARY KEY,"
      "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      "  secret_hash TEXT NOT NULL UNIQUE,"
      "  csrf_token TEXT NOT NULL,"
      "  created_ms INTEGER NOT NULL,"
      "  expires_ms INTEGER NOT NULL);"
      "CREATE INDEX sessions_user ON sessions(user_id);"
      "CREATE TABLE target_accounts ("
      "  account_id TEXT PRIMARY KEY,"
      "  name TEXT,"
      "  role_arn TEXT NOT NULL,"
      "  external_id TEXT,"
      "  caller_arn TEXT,"
      "  validated_ms INTEGER,"
      "  created_ms INTEGER NOT NULL,"
      "  updated_ms INTEGER NOT NULL) WITHOUT ROWID;",
  },
};

const struct orch_store_sq_migration *orch_store_sq_migrations(size_t *count) {
  *count = sizeof migrations / sizeof migrations[0];
  return migrations;
}

/* One integer from a one-row query (0 when it returns no row). */
static int query_int(struct orch_store_sq_conn *c, const char *sql, int64_t *out, struct orch_error *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  if (src == SQLITE_OK) src = sqlite3_step(st);
  *out = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return orch_store_sq_err(c, src, "reading the schema", err);
  return 0;
}

static int run_sql(struct orch_store_sq_conn *c, const char *sql, const char *what, struct orch_error *err) {
  char *msg = NULL;
  int src = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
  if (src == SQLITE_OK) return 0;
  int rc = orch_store_sq_err(c, src, what, err);
  if (msg && err) orch_error_setc(err, rc, c->path, "%s: %s", what, msg);
  sqlite3_free(msg);
  return rc;
}

/* Refuse files that are SQLite but not ours: another application's id, or tables without our ledger. */
static int check_ownership(struct orch_store_sq_conn *c, int64_t *app_id, struct orch_error *err) {
  int64_t tables, ledger;
  int rc = query_int(c, "PRAGMA application_id", app_id, err);
  if (!rc) rc = query_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                          &tables, err);
  if (!rc) rc = query_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
                          &ledger, err);
  if (rc) return rc;
  if (*app_id != 0 && *app_id != ORCH_STORE_SQ_APPLICATION_ID)
    return orch_error_setc(err, ORCH_ESTORE, c->path,
                           "the file is another application's SQLite database (application_id 0x%llx), not drsorch's",
                           (unsigned long long)*app_id);
  if (tables > 0 && !ledger)
    return orch_error_setc(err, ORCH_ESTORE, c->path,
                           "the SQLite database holds %lld tables but no schema_version table: it is not drsorch's",
                           (long long)tables);
  return 0;
}

static int apply(struct orch_store_sq_conn *c, const struct orch_store_sq_migration *m, int64_t now_ms,
                 struct orch_error *err) {
  char what[160];
  snprintf(what, sizeof what, "schema migration %d (%s)", m->version, m->description);
  int rc = run_sql(c, m->sql, what, err);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(c->db, "INSERT INTO schema_version (version, description, applied_ms) VALUES (?, ?, ?)",
                               -1, &st, NULL);
  if (src == SQLITE_OK) src = sqlite3_bind_int(st, 1, m->version);
  if (src == SQLITE_OK) src = sqlite3_bind_text(st, 2, m->description, -1, SQLITE_STATIC);
  if (src == SQLITE_OK) src = sqlite3_bind_int64(st, 3, now_ms);
  if (src == SQLITE_OK) src = sqlite3_step(st);
  sqlite3_finalize(st);
  return src == SQLITE_DONE ? 0 : orch_store_sq_err(c, src, what, err);
}

int orch_store_sq_migrate(struct orch_store_sq_conn *c, const struct orch_store_sq_migration *migs, size_t n,
                          int64_t now_ms, int *version, struct orch_error *err) {
  int64_t app_id = 0, current = 0;
  int rc;
  for (size_t i = 0; i < n; i++)
    if (migs[i].version != (int)i + 1)
      return orch_error_set(err, ORCH_EINTERNAL, "migration %zu is numbered %d; migrations must be 1, 2, 3, ...", i,
                            migs[i].version);
  int latest = n ? migs[n - 1].version : 0;
  /* Foreign keys are off while migrations rebuild tables (SQLite's documented procedure; the pragma
   * is a no-op inside a transaction) and checked as a whole before the commit. */
  if ((rc = run_sql(c, "PRAGMA foreign_keys=OFF", "preparing the schema migration", err))) return rc;
  /* BEGIN IMMEDIATE: two processes opening a new database at once migrate one after the other */
  if ((rc = run_sql(c, "BEGIN IMMEDIATE", "starting the schema migration", err))) goto restore;
  if ((rc = check_ownership(c, &app_id, err))) goto fail;
  if ((rc = run_sql(c,
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    "  version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
                    "creating schema_version", err)))
    goto fail;
  if ((rc = query_int(c, "SELECT coalesce(max(version), 0) FROM schema_version", &current, err))) goto fail;
  if (current > latest) {
    rc = orch_error_setc(err, ORCH_EUNSUPPORTED, c->path,
                         "the database has schema version %lld but this drsorch only knows up to %d: it was written "
                         "by a newer drsorch; run that version (or restore a backup taken before the upgrade)",
                         (long long)current, latest);
    goto fail;
  }
  for (size_t i = (size_t)current; i < n; i++)
    if ((rc = apply(c, &migs[i], now_ms, err))) goto fail;
  int64_t broken = 0;
  if ((rc = query_int(c, "SELECT count(*) FROM pragma_foreign_key_check", &broken, err))) goto fail;
  if (broken) {
    rc = orch_error_setc(err, ORCH_ESTORE, c->path, "the schema migration would leave %lld broken references",
                         (long long)broken);
    goto fail;
  }
  if (app_id == 0) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d", ORCH_STORE_SQ_APPLICATION_ID);
    if ((rc = run_sql(c, sql, "marking the database", err))) goto fail;
  }
  if ((rc = run_sql(c, "COMMIT", "committing the schema migration", err))) goto fail;
  *version = current > latest ? (int)current : latest;
  return run_sql(c, "PRAGMA foreign_keys=ON", "finishing the schema migration", err);
fail:
  orch_store_sq_rollback(c);
restore:
  if (run_sql(c, "PRAGMA foreign_keys=ON", "finishing the schema migration", NULL)) rc = rc ? rc : ORCH_ESTORE;
  return rc;
}
