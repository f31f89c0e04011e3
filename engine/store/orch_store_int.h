/* orch_store_int: what the store's front-end files (orch_store.c, orch_store_access.c) share: the handle
 * and the small helpers every op uses before it dispatches to the backend. Nothing outside engine/store
 * includes it. Uses orch_store_backend. */
#ifndef ORCH_STORE_INT_H
#define ORCH_STORE_INT_H

#include "store/orch_store_backend.h"

struct orch_store {
  const struct orch_store_ops *ops;
  void *ctx;
  const struct orch_clock *clock;
};

/* ORCH_EINVAL when the handle or the required argument `arg` (named `what`) is NULL. */
int orch_store_check(const struct orch_store *store, const void *arg, const char *what, struct orch_error *err)
    ORCH_MUST_CHECK;
/* A fresh UUIDv7 and the time it stands for (the store's clock). */
int orch_store_new_id(struct orch_store *store, char id[ORCH_STORE_ID_MAX + 1], int64_t *now, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Dispatch op `op` of the store's backend with (ctx, ..., err). A backend whose ops table leaves `op` NULL
 * refuses it: ORCH_EUNSUPPORTED naming the backend and the op (orch_store_unsupported), never a crash. */
#define ORCH_STORE_CALL(store, op, err, ...)                                                                     \
  ((store)->ops->op ? (store)->ops->op((store)->ctx, __VA_ARGS__, (err)) : orch_store_unsupported((store), #op, (err)))
int orch_store_unsupported(const struct orch_store *store, const char *op, struct orch_error *err) ORCH_MUST_CHECK;
/* Copy an already validated string into an inline field (fits by construction; NULL copies ""). */
void orch_store_put_str(char *dst, size_t size, const char *s);

#endif
