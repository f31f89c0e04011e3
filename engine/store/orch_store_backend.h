/* orch_store_backend: what a store backend implements (a const ops table, STYLE 11) and the helpers it
 * may use. orch_store.c has already validated every argument, assigned ids and timestamps and resolved
 * page limits before an op runs, so a backend only persists and reads. The conformance suite in
 * tests/unit/store/store_conformance.inc checks a backend's behaviour. Uses orch_store.h. */
#ifndef ORCH_STORE_BACKEND_H
#define ORCH_STORE_BACKEND_H

#include "store/orch_store.h"

/* Contracts shared by every op:
 *   - return 0 or a negative ORCH_E* code with `err` filled (the codes listed in orch_store.h);
 *   - an output record or list is written only on success (on failure it is left zeroed);
 *   - lists set next_cursor (or next_seq) only when more items follow;
 *   - `page` is never NULL, page->limit is in 1..ORCH_STORE_PAGE_MAX, page->cursor is NULL or a
 *     cursor this backend produced (or garbage from a client: ORCH_EINVAL "malformed cursor");
 *   - writes are atomic: a failed op leaves the store as it was. */
struct orch_store_ops {
  const char *name;
  void (*close)(void *ctx);
  /* Add backend facts to the object `info` (backend name already set). */
  int (*info)(void *ctx, json_t *info, struct orch_error *err);

  /* `g` is complete (id, timestamps, version 1, validated fields). A taken name is ORCH_EEXIST; a server
   * id held by another group ORCH_ECONFLICT with err->context "selector.server_ids[i]" and the group named. */
  int (*group_create)(void *ctx, const struct orch_store_group *g, struct orch_error *err);
  /* As create, for an existing g->id: checks `expected_version` (when non-zero) against the stored one
   * (ORCH_ECONFLICT, context "expected_version"), stores version + 1 and fills g->version and
   * g->created_ms from the stored row. */
  int (*group_update)(void *ctx, struct orch_store_group *g, int64_t expected_version, struct orch_error *err);
  int (*group_delete)(void *ctx, const char *id, struct orch_error *err);
  /* Exactly one of id / name is non-NULL. */
  int (*group_get)(void *ctx, const char *id, const char *name, struct orch_store_group *out,
                   struct orch_error *err);
  /* `f` is never NULL. */
  int (*group_list)(void *ctx, const struct orch_store_group_filter *f, const struct orch_store_page *page,
                    struct orch_store_group_list *out, struct orch_error *err);

  /* `p` and its version 1 `v`, complete. */
  int (*plan_create)(void *ctx, const struct orch_store_plan *p, const struct orch_store_plan_version *v,
                     struct orch_error *err);
  /* Assigns v->version = latest + 1 (checking expected_latest when non-zero) and stores it. */
  int (*plan_add_version)(void *ctx, int64_t expected_latest, struct orch_store_plan_version *v,
                          struct orch_error *err);
  int (*plan_delete)(void *ctx, const char *id, struct orch_error *err);
  int (*plan_get)(void *ctx, const char *id, const char *name, struct orch_store_plan *out,
                  struct orch_error *err);
  int (*plan_list)(void *ctx, const struct orch_store_page *page, struct orch_store_plan_list *out,
                   struct orch_error *err);
  /* version 0 = latest. */
  int (*version_get)(void *ctx, const char *plan_id, int64_t version, struct orch_store_plan_version *out,
                     struct orch_error *err);
  int (*version_list)(void *ctx, const char *plan_id, const struct orch_store_page *page,
                      struct orch_store_version_list *out, struct orch_error *err);

  /* `x` is complete except that plan_version 0 must be resolved to the plan's latest (and written
   * back into x). */
  int (*exec_create)(void *ctx, struct orch_store_exec *x, struct orch_error *err);
  /* `out` may be NULL; when given it receives the row as committed. */
  int (*exec_update)(void *ctx, const char *id, const struct orch_store_exec_update *u,
                     struct orch_store_exec *out, struct orch_error *err);
  int (*exec_get)(void *ctx, const char *id, struct orch_store_exec *out, struct orch_error *err);
  /* `f` is never NULL. Newest first. */
  int (*exec_list)(void *ctx, const struct orch_store_exec_filter *f, const struct orch_store_page *page,
                   struct orch_store_exec_list *out, struct orch_error *err);
  /* counts[] is zeroed by the caller. */
  int (*exec_count)(void *ctx, int64_t counts[ORCH_STORE_STATUS_COUNT], struct orch_error *err);

  /* n >= 1 events whose seqs are already checked to be consecutive; the backend checks evs[0].seq is
   * last + 1 atomically with the write (ORCH_ECONFLICT / ORCH_EINVAL as in orch_store.h). */
  /* `owner` (may be NULL): write only when no other owner holds the execution's lease (ORCH_ECONFLICT),
   * checked atomically with the write. */
  int (*event_append)(void *ctx, const char *exec_id, const struct orch_store_event_spec *evs, size_t n,
                      const char *owner, struct orch_error *err);
  /* limit 0 = all. */
  int (*event_read)(void *ctx, const char *exec_id, int64_t from_seq, size_t limit,
                    struct orch_store_event_list *out, struct orch_error *err);
  int (*event_last_seq)(void *ctx, const char *exec_id, int64_t *seq, struct orch_error *err);

  /* Leases, as orch_store.h describes them; the front end has validated every argument. */
  int (*lease_acquire)(void *ctx, const char *exec_id, const struct orch_store_lease_spec *spec,
                       struct orch_store_lease *held, struct orch_error *err);
  int (*lease_release)(void *ctx, const char *exec_id, const char *owner, struct orch_error *err);
  int (*lease_get)(void *ctx, const char *exec_id, struct orch_store_lease *out, struct orch_error *err);

  /* `a` is complete except its id, which the backend assigns (increasing) and returns in *id. */
  int (*audit_append)(void *ctx, const struct orch_store_audit *a, int64_t *id, struct orch_error *err);
  /* `f` is never NULL. Newest first. */
  int (*audit_list)(void *ctx, const struct orch_store_audit_filter *f, const struct orch_store_page *page,
                    struct orch_store_audit_list *out, struct orch_error *err);

  /* Access records (orch_store_access.h). Records arrive complete (ids, timestamps, validated fields);
   * a get of a missing record is ORCH_ENOTFOUND; `*_get` take exactly one non-NULL key. */
  int (*user_create)(void *ctx, const struct orch_store_user *u, struct orch_error *err);
  int (*user_get)(void *ctx, const char *id, const char *name, struct orch_store_user *out, struct orch_error *err);
  /* `out` may be NULL. */
  int (*user_update)(void *ctx, const char *id, const struct orch_store_user_update *u, int64_t now_ms,
                     struct orch_store_user *out, struct orch_error *err);
  int (*user_list)(void *ctx, const struct orch_store_page *page, struct orch_store_user_list *out,
                   struct orch_error *err);
  /* `secret_hash` is stored beside the record. */
  int (*token_create)(void *ctx, const struct orch_store_token *t, const char *secret_hash, struct orch_error *err);
  int (*token_get)(void *ctx, const char *id, const char *secret_hash, struct orch_store_token *out,
                   struct orch_error *err);
  int (*token_list)(void *ctx, const struct orch_store_page *page, struct orch_store_token_list *out,
                    struct orch_error *err);
  int (*token_revoke)(void *ctx, const char *id, int64_t now_ms, struct orch_error *err);
  int (*token_touch)(void *ctx, const char *id, int64_t at_ms, struct orch_error *err);
  int (*session_create)(void *ctx, const struct orch_store_session *s, const char *secret_hash,
                        struct orch_error *err);
  /* Expired sessions are ORCH_ENOTFOUND (a backend may delete them then). */
  int (*session_find)(void *ctx, const char *secret_hash, int64_t now_ms, struct orch_store_session *out,
                      struct orch_error *err);
  /* Exactly one of id / user_id; deleting nothing is 0 for user_id, ORCH_ENOTFOUND for id. */
  int (*session_delete)(void *ctx, const char *id, const char *user_id, struct orch_error *err);
  int (*account_create)(void *ctx, const struct orch_store_account *a, struct orch_error *err);
  int (*account_get)(void *ctx, const char *account_id, struct orch_store_account *out, struct orch_error *err);
  int (*account_list)(void *ctx, const struct orch_store_page *page, struct orch_store_account_list *out,
                      struct orch_error *err);
  int (*account_delete)(void *ctx, const char *account_id, struct orch_error *err);
};

/* Make a store handle from a backend: takes ownership of `ctx` (closed with ops->close on failure too).
 * `opts` may be NULL. */
int orch_store_wrap(const struct orch_store_ops *ops, void *ctx, const struct orch_store_options *opts,
                    struct orch_store **out, struct orch_error *err) ORCH_MUST_CHECK;

/* Grow an items array (elements of `item_size`, new ones zeroed) so it holds at least `need`;
 * *cap tracks its capacity. ORCH_ENOMEM (array unchanged) on failure. */
int orch_store_items_reserve(void **items, size_t *cap, size_t need, size_t item_size) ORCH_MUST_CHECK;

/* Copy `s` into a record's inline array of `size` bytes; ORCH_ETOOBIG if it does not fit (a stored
 * value longer than this binary's limit: the database was written by something else). */
int orch_store_copy_str(char *dst, size_t size, const char *s, const char *field, struct orch_error *err)
    ORCH_MUST_CHECK;

#endif
