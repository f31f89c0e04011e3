/* orch_store: the engine's persistent state behind one interface: protection groups, recovery plans with
 * every version kept, executions, the per-execution event journal, the audit log, and the REST API's
 * access records (users, API tokens, console sessions, target accounts). A store is opened from a spec
 * ("sqlite:/var/lib/drsorch/orch.db", "dynamodb:drsorch?region=us-east-1") and dispatches to a backend's
 * ops table (orch_store_backend.h); this layer validates every input once, for all backends, and assigns ids and
 * timestamps. Uses orch_core (errors, clock, ids) and jansson.
 *
 * Ownership convention, the same for every record:
 *   - Inputs are *_spec structs the caller owns; the store only borrows them during the call.
 *   - Outputs are plain structs the caller provides (usually on the stack, zeroed or not); the store
 *     fills them and the caller releases them with the matching orch_store_*_release(), which frees the
 *     heap fields (json_t references, the plan source) and zeroes the struct. Release accepts NULL and
 *     a zeroed struct. On failure an output is left zeroed: nothing to release (releasing is harmless).
 *   - Short strings (ids, names, accounts) are inline arrays; JSON fields are json_t references owned
 *     by the record (json_decref'd by release), never aliases of the caller's inputs.
 *   - Lists hold an items array the store allocates; orch_store_*_list_release frees all of it.
 *
 * Thread safety: a store handle may be shared by any number of threads. The SQLite backend keeps one
 * write connection behind a mutex (the scheduler appends, the API creates/updates) and a small pool of
 * read connections, so API readers never wait behind a journal commit's fsync (WAL mode). The DynamoDB
 * backend's AWS client is thread-safe and every write is one conditional request.
 *
 * Errors: ORCH_EINVAL for bad inputs (err->context names the field; ORCH_ETYPE / ORCH_EUNKNOWNKEY for
 * JSON of the wrong shape), ORCH_ENOTFOUND, ORCH_EEXIST (a name taken), ORCH_ECONFLICT
 * (optimistic-concurrency and membership conflicts), ORCH_ETOOBIG (size caps), ORCH_ETIMEDOUT (locked by
 * another process past the busy timeout; DynamoDB throttling or silent), ORCH_ECONN (DynamoDB unreachable),
 * ORCH_EPERM/ORCH_EIO/ORCH_ESTORE (the database itself),
 * ORCH_EUNSUPPORTED (a database written by a newer binary), ORCH_ENOMEM. A write that fails, whatever
 * the code, changed nothing (DynamoDB: unless the network failed after the write was sent, whose outcome
 * is then unknown, as with any remote database). Schema, durability and adding a backend: docs/store.md. */
#ifndef ORCH_STORE_H
#define ORCH_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_clock.h"
#include "core/orch_error.h"
#include "core/orch_id.h"

/* Byte limits, excluding the terminating NUL. */
#define ORCH_STORE_ID_MAX ORCH_ID_UUID_LEN /* every id is a UUIDv7 */
#define ORCH_STORE_NAME_MAX 128            /* group and plan names */
#define ORCH_STORE_ACCOUNT_MAX 12          /* exactly 12 digits */
#define ORCH_STORE_REGION_MAX 32
#define ORCH_STORE_ACTOR_MAX (ORCH_STORE_NAME_MAX + 32) /* authors, actors, started_by: a name with its kind ("token:ci") */
#define ORCH_STORE_ACTION_MAX 64
#define ORCH_STORE_TARGET_MAX 256
#define ORCH_STORE_REQUEST_ID_MAX 64
#define ORCH_STORE_EVENT_TYPE_MAX 64
#define ORCH_STORE_CURSOR_MAX 160
#define ORCH_STORE_SOURCE_MAX ((size_t)1024 * 1024)      /* a plan's Lua source */
#define ORCH_STORE_JSON_MAX ((size_t)1024 * 1024)        /* any one JSON field, serialized */
#define ORCH_STORE_JSON_DEPTH_MAX 64                     /* nesting of any one JSON field */
#define ORCH_STORE_GROUP_SERVERS_MAX 1000                /* explicit server ids in one group */
#define ORCH_STORE_BATCH_MAX 1000                        /* events in one batch append */
#define ORCH_STORE_DESCRIPTION_MAX 1024                  /* a plan version's description */
#define ORCH_STORE_ROLE_MAX 32                           /* "Admin", "PlanAuthor", ...: [A-Za-z]{1,32} */
#define ORCH_STORE_SECRET_HASH_MAX 255                   /* a password hash string, a token's SHA-256 hex */
#define ORCH_STORE_TOKEN_PREFIX_MAX 16                   /* the shown start of an API token */
#define ORCH_STORE_ROLE_ARN_MAX 1024
#define ORCH_STORE_EXTERNAL_ID_MAX 1224                  /* IAM's limit for sts:AssumeRole ExternalId */
#define ORCH_STORE_ADDRESS_MAX 64                        /* a client address in the audit log */
#define ORCH_STORE_PAGE_DEFAULT 50
#define ORCH_STORE_PAGE_MAX 1000

struct orch_store;

/* ---- Opening --------------------------------------------------------------------------------- */

struct orch_store_options {
  const struct orch_clock *clock; /* ids and timestamps; NULL = orch_clock_real() */
  int busy_timeout_ms;            /* wait for a lock held by another process (SQLite); 0 = 5000 */
  int readers;                    /* read connections (SQLite); 0 = 2, at most 16 */
};

/* Open the store named by `spec`: "sqlite:PATH" (the file is created if missing, migrations applied) or
 * "dynamodb:PREFIX[?OPTIONS]" (orch_store_dynamodb.h).
 * `opts` may be NULL. Caller owns *out: orch_store_close. An unknown scheme is ORCH_EINVAL naming the
 * known ones. */
int orch_store_open(const char *spec, const struct orch_store_options *opts, struct orch_store **out,
                    struct orch_error *err) ORCH_MUST_CHECK;
/* Close and free; accepts NULL. No call may be in flight on another thread. */
void orch_store_close(struct orch_store *store);
/* The backend's name ("sqlite"). */
const char *orch_store_backend(const struct orch_store *store);
/* Facts for health checks and `drsorch version`: backend, schema version, journal mode...
 * Caller owns *out (json_decref). */
int orch_store_info(struct orch_store *store, json_t **out, struct orch_error *err) ORCH_MUST_CHECK;

/* ---- Pagination ------------------------------------------------------------------------------ */

/* `cursor` is NULL for the first page, then the previous list's next_cursor; cursors are opaque. */
struct orch_store_page {
  size_t limit; /* 0 = ORCH_STORE_PAGE_DEFAULT; more than ORCH_STORE_PAGE_MAX is ORCH_EINVAL */
  const char *cursor;
};

/* ---- Protection groups ----------------------------------------------------------------------- */

/* selector: {"server_ids": ["s-<17 hex>", ...]} (non-empty, no duplicates) or
 *           {"tags": {"Key": "Value", ...}} (non-empty, resolved at execution time).
 * launch_overrides: an object, or NULL for none. A server id may be in at most one group of the same
 * account and region: a second group claiming it is ORCH_ECONFLICT naming the other group. */
struct orch_store_group_spec {
  const char *name;
  const char *account;
  const char *region;
  const json_t *selector;
  const json_t *launch_overrides;
  int64_t expected_version; /* update only: the version the edit started from; another one stored is
                             * ORCH_ECONFLICT with err->context "expected_version". 0 skips the check */
};

struct orch_store_group {
  char id[ORCH_STORE_ID_MAX + 1];
  char name[ORCH_STORE_NAME_MAX + 1];
  char account[ORCH_STORE_ACCOUNT_MAX + 1];
  char region[ORCH_STORE_REGION_MAX + 1];
  json_t *selector;
  json_t *launch_overrides; /* NULL when none */
  int64_t version;          /* 1 when created, one more on every update */
  int64_t created_ms;
  int64_t updated_ms;
};

/* Every field optional (NULL = any). */
struct orch_store_group_filter {
  const char *name_contains; /* case-insensitive (ASCII) substring of the name */
  const char *account;
  const char *region;
};

struct orch_store_group_list {
  struct orch_store_group *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1]; /* "" on the last page */
};

/* `out` may be NULL. A taken name is ORCH_EEXIST. */
int orch_store_group_create(struct orch_store *store, const struct orch_store_group_spec *spec,
                            struct orch_store_group *out, struct orch_error *err) ORCH_MUST_CHECK;
/* Replace every field of group `id` (created_ms kept). `out` may be NULL. */
int orch_store_group_update(struct orch_store *store, const char *id, const struct orch_store_group_spec *spec,
                            struct orch_store_group *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_group_delete(struct orch_store *store, const char *id, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_group_get(struct orch_store *store, const char *id, struct orch_store_group *out,
                         struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_group_find(struct orch_store *store, const char *name, struct orch_store_group *out,
                          struct orch_error *err) ORCH_MUST_CHECK;
/* By name, ascending. */
int orch_store_group_list(struct orch_store *store, const struct orch_store_page *page,
                          struct orch_store_group_list *out, struct orch_error *err) ORCH_MUST_CHECK;
/* The same, only the groups `filter` matches (NULL = all). */
int orch_store_group_query(struct orch_store *store, const struct orch_store_group_filter *filter,
                           const struct orch_store_page *page, struct orch_store_group_list *out,
                           struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_group_release(struct orch_store_group *g);
void orch_store_group_list_release(struct orch_store_group_list *l);

/* ---- Recovery plans and versions ------------------------------------------------------------- */

struct orch_store_plan {
  char id[ORCH_STORE_ID_MAX + 1];
  char name[ORCH_STORE_NAME_MAX + 1];
  char description[ORCH_STORE_DESCRIPTION_MAX + 1]; /* the latest version's ("" when none) */
  int64_t latest_version; /* versions are 1, 2, 3, ... */
  int64_t created_ms;
  int64_t updated_ms; /* when the latest version was added */
};

struct orch_store_plan_list {
  struct orch_store_plan *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

struct orch_store_version_spec {
  const char *source;     /* Lua text, at most ORCH_STORE_SOURCE_MAX bytes, non-empty */
  const json_t *compiled; /* the compiled plan (an object) */
  const char *author;     /* who saved it */
  const char *description; /* optional text, at most ORCH_STORE_DESCRIPTION_MAX bytes */
};

struct orch_store_plan_version {
  char plan_id[ORCH_STORE_ID_MAX + 1];
  int64_t version;
  char *source;     /* NULL in version listings */
  json_t *compiled; /* NULL in version listings */
  char author[ORCH_STORE_ACTOR_MAX + 1];
  char description[ORCH_STORE_DESCRIPTION_MAX + 1];
  int64_t created_ms;
};

struct orch_store_version_list {
  struct orch_store_plan_version *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

/* A new plan with its version 1. Either out may be NULL. A taken name is ORCH_EEXIST. */
int orch_store_plan_create(struct orch_store *store, const char *name, const struct orch_store_version_spec *v,
                           struct orch_store_plan *plan_out, struct orch_store_plan_version *version_out,
                           struct orch_error *err) ORCH_MUST_CHECK;
/* Append the next version. `expected_latest` is the version the edit started from: if another version
 * was added since, ORCH_ECONFLICT (0 skips the check). `out` may be NULL. */
int orch_store_plan_add_version(struct orch_store *store, const char *plan_id, int64_t expected_latest,
                                const struct orch_store_version_spec *v, struct orch_store_plan_version *out,
                                struct orch_error *err) ORCH_MUST_CHECK;
/* Delete a plan and its versions; ORCH_ECONFLICT while an execution of it is unfinished. Finished
 * executions keep their record and journal (which holds the plan they ran). */
int orch_store_plan_delete(struct orch_store *store, const char *plan_id, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_plan_get(struct orch_store *store, const char *plan_id, struct orch_store_plan *out,
                        struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_plan_find(struct orch_store *store, const char *name, struct orch_store_plan *out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* By name, ascending. */
int orch_store_plan_list(struct orch_store *store, const struct orch_store_page *page,
                         struct orch_store_plan_list *out, struct orch_error *err) ORCH_MUST_CHECK;
/* One version with source and compiled plan; `version` 0 = the latest. */
int orch_store_plan_version_get(struct orch_store *store, const char *plan_id, int64_t version,
                                struct orch_store_plan_version *out, struct orch_error *err) ORCH_MUST_CHECK;
/* Versions newest first, without source and compiled plan. ORCH_ENOTFOUND for an unknown plan. */
int orch_store_plan_version_list(struct orch_store *store, const char *plan_id, const struct orch_store_page *page,
                                 struct orch_store_version_list *out, struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_plan_version_release(struct orch_store_plan_version *v);
void orch_store_plan_list_release(struct orch_store_plan_list *l);
void orch_store_version_list_release(struct orch_store_version_list *l);

/* ---- Executions ------------------------------------------------------------------------------ */

enum orch_store_mode { ORCH_STORE_MODE_DRILL, ORCH_STORE_MODE_RECOVERY, ORCH_STORE_MODE_DRY_RUN };
#define ORCH_STORE_MODE_COUNT 3

/* DESIGN §4. The store records a status; the execution reducer owns the transitions. */
enum orch_store_status {
  ORCH_STORE_STATUS_PENDING,
  ORCH_STORE_STATUS_PREFLIGHT,
  ORCH_STORE_STATUS_RUNNING,
  ORCH_STORE_STATUS_PAUSED,
  ORCH_STORE_STATUS_COMPLETED,
  ORCH_STORE_STATUS_PARTIAL,
  ORCH_STORE_STATUS_FAILED,
  ORCH_STORE_STATUS_CANCELLED,
  ORCH_STORE_STATUS_CLEANING_UP,
  ORCH_STORE_STATUS_CLEANED,
  ORCH_STORE_STATUS_CLEANUP_FAILED,
};
#define ORCH_STORE_STATUS_COUNT 11
#define ORCH_STORE_BIT(e) (1u << (unsigned)(e))

/* "drill", "recovery", "dry-run" / "PENDING" ... "CLEANED"; NULL for out-of-range values. */
const char *orch_store_mode_name(enum orch_store_mode m);
const char *orch_store_status_name(enum orch_store_status s);
/* Exact names (as above); ORCH_EINVAL listing the valid ones otherwise. */
int orch_store_mode_parse(const char *s, enum orch_store_mode *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_status_parse(const char *s, enum orch_store_status *out, struct orch_error *err) ORCH_MUST_CHECK;

struct orch_store_exec_spec {
  const char *plan_id;
  int64_t plan_version; /* 0 = the plan's latest */
  enum orch_store_mode mode;
  const char *started_by; /* actor, may be NULL */
  const json_t *summary;  /* initial summary object, may be NULL */
};

/* An execution is unfinished while ended_ms is 0: the engine sets ended_ms only once nothing is left
 * to do (for drills, after clean-up). On start it resumes every unfinished execution. */
struct orch_store_exec {
  char id[ORCH_STORE_ID_MAX + 1]; /* UUIDv7: ids sort by creation time */
  char plan_id[ORCH_STORE_ID_MAX + 1];
  int64_t plan_version;
  enum orch_store_mode mode;
  enum orch_store_status status;
  char started_by[ORCH_STORE_ACTOR_MAX + 1];
  int64_t created_ms;
  int64_t started_ms; /* 0 until started */
  int64_t ended_ms;   /* 0 while unfinished */
  json_t *summary;    /* NULL when none */
};

struct orch_store_exec_list {
  struct orch_store_exec *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

/* Zero fields are left unchanged. */
struct orch_store_exec_update {
  bool set_status;
  enum orch_store_status status;
  int64_t started_ms;
  int64_t ended_ms;
  const json_t *summary; /* replaces the summary (an object) */
  bool reopen;           /* unfinished again (ended_ms back to none): a drill whose failed clean-up is retried */
};

/* Every field is optional (NULL / 0 = any). */
struct orch_store_exec_filter {
  const char *plan_id;
  unsigned status_mask; /* ORCH_STORE_BIT(status) | ... */
  unsigned mode_mask;   /* ORCH_STORE_BIT(mode) | ... */
  bool unfinished_only;
  int64_t created_from_ms; /* inclusive */
  int64_t created_to_ms;   /* exclusive */
};

/* A new execution in PENDING with a fresh UUIDv7. ORCH_ENOTFOUND for an unknown plan or version. */
int orch_store_exec_create(struct orch_store *store, const struct orch_store_exec_spec *spec,
                           struct orch_store_exec *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_exec_update(struct orch_store *store, const char *id, const struct orch_store_exec_update *upd,
                           struct orch_store_exec *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_exec_get(struct orch_store *store, const char *id, struct orch_store_exec *out,
                        struct orch_error *err) ORCH_MUST_CHECK;
/* Newest first. `filter` may be NULL. */
int orch_store_exec_list(struct orch_store *store, const struct orch_store_exec_filter *filter,
                         const struct orch_store_page *page, struct orch_store_exec_list *out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* Every unfinished execution (all pages), newest first: what to resume on start. */
int orch_store_exec_list_unfinished(struct orch_store *store, struct orch_store_exec_list *out,
                                    struct orch_error *err) ORCH_MUST_CHECK;
/* How many executions are in each status: counts[ORCH_STORE_STATUS_*]. */
int orch_store_exec_count(struct orch_store *store, int64_t counts[ORCH_STORE_STATUS_COUNT], struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_store_exec_release(struct orch_store_exec *x);
void orch_store_exec_list_release(struct orch_store_exec_list *l);

/* ---- Event journal --------------------------------------------------------------------------- */

/* Events of one execution are numbered 1, 2, 3, ... with no gaps. An append names the seq it expects
 * to write (optimistic concurrency): a seq that already exists is ORCH_ECONFLICT (another writer got
 * there first; nothing is written), a seq past the end is ORCH_EINVAL (a gap). A successful append is
 * durable when it returns (SQLite: WAL, synchronous=FULL). */
struct orch_store_event_spec {
  int64_t seq;
  int64_t at_ms;    /* from the engine's clock, > 0 */
  const char *type; /* [A-Za-z0-9_.:-]{1,64}, e.g. "WaveCompleted" */
  const json_t *data; /* may be NULL */
};

struct orch_store_event {
  int64_t seq;
  int64_t at_ms;
  char type[ORCH_STORE_EVENT_TYPE_MAX + 1];
  json_t *data; /* NULL when none */
};

struct orch_store_event_list {
  struct orch_store_event *items;
  size_t count;
  int64_t next_seq; /* where the next read continues; 0 when the journal was read to its end */
};

int orch_store_event_append(struct orch_store *store, const char *exec_id, const struct orch_store_event_spec *ev,
                            struct orch_error *err) ORCH_MUST_CHECK;
/* `n` events with consecutive seqs in one transaction: all are written or none. */
int orch_store_event_append_batch(struct orch_store *store, const char *exec_id,
                                  const struct orch_store_event_spec *evs, size_t n, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Events with seq >= from_seq (1 = from the start), ascending, at most `limit` (0 = all).
 * ORCH_ENOTFOUND for an unknown execution. */
int orch_store_event_read(struct orch_store *store, const char *exec_id, int64_t from_seq, size_t limit,
                          struct orch_store_event_list *out, struct orch_error *err) ORCH_MUST_CHECK;
/* The last seq written (0 for an empty journal). ORCH_ENOTFOUND for an unknown execution. */
int orch_store_event_last_seq(struct orch_store *store, const char *exec_id, int64_t *seq,
                              struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_event_list_release(struct orch_store_event_list *l);

/* ---- Execution leases ------------------------------------------------------------------------ */

/* Which process drives an execution. A lease names its owner (an id unique to one engine instance),
 * the host and process holding it, and when it expires unless renewed. Times are the callers' real
 * wall-clock ms (leases are between processes, never on a simulated clock). */
#define ORCH_STORE_OWNER_MAX 64
#define ORCH_STORE_HOST_MAX 255

struct orch_store_lease {
  char owner[ORCH_STORE_OWNER_MAX + 1]; /* "" when nobody holds it */
  char host[ORCH_STORE_HOST_MAX + 1];
  int64_t pid;
  int64_t expires_ms;
};

struct orch_store_lease_spec {
  const char *owner;      /* required */
  const char *host;       /* required */
  int64_t pid;
  int64_t now_ms;         /* a lease that expired before now_ms is free */
  int64_t until_ms;       /* the new expiry, > now_ms */
  const char *steal_from; /* may be NULL: also take it from this owner (the caller proved it dead) */
};

/* Take or renew the lease of `exec_id`: succeeds when nobody holds it, it expired, `owner` holds it,
 * or `steal_from` does. Otherwise ORCH_ECONFLICT naming the holder, who is also written to `held`
 * (may be NULL). ORCH_ENOTFOUND for an unknown execution. */
int orch_store_lease_acquire(struct orch_store *store, const char *exec_id, const struct orch_store_lease_spec *spec,
                             struct orch_store_lease *held, struct orch_error *err) ORCH_MUST_CHECK;
/* Give the lease up (only when `owner` holds it; otherwise nothing happens). */
int orch_store_lease_release(struct orch_store *store, const char *exec_id, const char *owner,
                             struct orch_error *err) ORCH_MUST_CHECK;
/* The lease as it is ("" owner when none). */
int orch_store_lease_get(struct orch_store *store, const char *exec_id, struct orch_store_lease *out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* orch_store_event_append_batch for the lease holder: refused with ORCH_ECONFLICT (nothing written) when
 * another owner holds the execution's lease, so a process that lost its lease can never write. */
int orch_store_event_append_owned(struct orch_store *store, const char *exec_id, const char *owner,
                                  const struct orch_store_event_spec *evs, size_t n, struct orch_error *err)
    ORCH_MUST_CHECK;

/* ---- Audit log ------------------------------------------------------------------------------- */

struct orch_store_audit_spec {
  int64_t at_ms;          /* 0 = now (the store's clock) */
  const char *actor;      /* user or token name, required */
  const char *role;       /* the role the actor acted in, may be NULL */
  const char *source;     /* the client's address, may be NULL */
  const char *action;     /* "plan.create", "execution.start", ..., required */
  const char *target;     /* what it acted on, may be NULL */
  const json_t *details;  /* may be NULL */
  const char *request_id; /* may be NULL */
};

struct orch_store_audit {
  int64_t id; /* increasing */
  int64_t at_ms;
  char actor[ORCH_STORE_ACTOR_MAX + 1];
  char role[ORCH_STORE_ACTOR_MAX + 1];
  char source[ORCH_STORE_ADDRESS_MAX + 1];
  char action[ORCH_STORE_ACTION_MAX + 1];
  char target[ORCH_STORE_TARGET_MAX + 1];
  json_t *details; /* NULL when none */
  char request_id[ORCH_STORE_REQUEST_ID_MAX + 1];
};

struct orch_store_audit_list {
  struct orch_store_audit *items;
  size_t count;
  char next_cursor[ORCH_STORE_CURSOR_MAX + 1];
};

/* Every field is optional (NULL / 0 = any); strings match exactly. */
struct orch_store_audit_filter {
  const char *actor;
  const char *action;
  const char *target;
  int64_t from_ms; /* inclusive */
  int64_t to_ms;   /* exclusive */
};

/* `id` may be NULL. */
int orch_store_audit_append(struct orch_store *store, const struct orch_store_audit_spec *spec, int64_t *id,
                            struct orch_error *err) ORCH_MUST_CHECK;
/* Newest first. `filter` may be NULL. */
int orch_store_audit_list(struct orch_store *store, const struct orch_store_audit_filter *filter,
                          const struct orch_store_page *page, struct orch_store_audit_list *out,
                          struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_audit_release(struct orch_store_audit *a);
void orch_store_audit_list_release(struct orch_store_audit_list *l);

#include "store/orch_store_access.h"

#endif
