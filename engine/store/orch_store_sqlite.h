/* orch_store_sqlite: the SQLite store backend. One database file in WAL mode with synchronous=FULL (a
 * journal append is on disk when it returns), foreign keys on, a busy timeout for other processes, and
 * versioned migrations applied on open. One write connection behind a mutex and a pool of read-only
 * connections, so readers never wait behind a commit. Uses libsqlite3, pthreads, orch_store_backend. */
#ifndef ORCH_STORE_SQLITE_H
#define ORCH_STORE_SQLITE_H

#include "store/orch_store.h"

/* Open (creating if missing) the database at `path` and bring its schema up to date. Clear errors for:
 * a directory that does not exist or is not writable (ORCH_EPERM), a file that is not a SQLite
 * database or not this engine's (ORCH_ESTORE), a schema newer than this binary (ORCH_EUNSUPPORTED).
 * `opts` may be NULL. Caller owns *out: orch_store_close. orch_store_open("sqlite:PATH") calls this. */
int orch_store_sqlite_open(const char *path, const struct orch_store_options *opts, struct orch_store **out,
                           struct orch_error *err) ORCH_MUST_CHECK;

/* The schema version this binary writes (the last migration's number). */
int orch_store_sqlite_schema_version(void);

#endif
