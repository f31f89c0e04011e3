/* cli_lookup: finding executions from the command line and saying who drives them. Short ids: an
 * execution is shown and found by the shortest unique prefix (4 characters at least) of its id's random
 * tail (the last group of the UUIDv7: 48 random bits), not by the id's start, which is the time and the
 * same for every execution started in the same minute; a prefix of the whole id works too, and one that
 * matches several executions is refused naming them. Who drives an execution: its lease in the store,
 * when a live process holds it. Uses orch_store, orch_id, orch_time. */
#ifndef ORCH_CLI_LOOKUP_H
#define ORCH_CLI_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/orch_error.h"
#include "core/orch_id.h"
#include "store/orch_store.h"

#define CLI_ID_SHORT_MIN 4

/* The id's random tail (its last group), or the id itself when it has no '-'. */
const char *cli_id_tail(const char *id);

/* The store's execution ids, to give each its short id. */
struct cli_ids;
int cli_ids_load(struct orch_store *store, struct cli_ids **out, struct orch_error *err) ORCH_MUST_CHECK;
void cli_ids_free(struct cli_ids *t);
/* The shortest prefix of `id`'s tail (CLI_ID_SHORT_MIN at least) that no other execution's tail or id
 * starts with. `id` need not be among the loaded ones. */
void cli_ids_short(const struct cli_ids *t, const char *id, char *out, size_t n);
/* The same for one id, loading the store's ids for it. On error: 8 characters of the tail. */
void cli_id_short(struct orch_store *store, const char *id, char *out, size_t n);

/* Find an execution by its full id, a prefix (CLI_ID_SHORT_MIN at least) of its id or of its id's tail, or
 * "latest". Writes the full id. ORCH_ENOTFOUND when none matches; ORCH_EINVAL when several do, naming
 * them with their short ids, plans and start times. */
int cli_exec_resolve(struct orch_store *store, const char *ref, char id[ORCH_ID_UUID_LEN + 1], struct orch_error *err)
    ORCH_MUST_CHECK;

/* When execution `id` was started, on the engine's clock (its ExecutionCreated; the store's record has the
 * machine's time, which differs from a simulator's); 0 when it cannot be read. */
int64_t cli_exec_started_ms(struct orch_store *store, const char *id);

/* Who drives execution `id` now, when another live process does: "pid 4242 on host db-admin (lease until
 * 12:04:31Z)". False when nobody does (no lease, an expired one, or a holder on this host that is gone). */
bool cli_exec_driver(struct orch_store *store, const char *id, char *out, size_t n, struct orch_store_lease *lease);

#endif
