/* orch_store_dynamodb_lease: execution leases in DynamoDB: the lease is four attributes of the
 * execution's record (l_owner, l_host, l_pid, l_exp), taken and released with conditional updates of that
 * record, the same item a journal append is conditional on, so the append's fence and the write are one
 * atomic step. Uses orch_store_dynamodb_item. */
#include <string.h>

#include "store/orch_store_dynamodb_int.h"

#define PK ORCH_STORE_DY_PK_EXECS
#define LEASE_PROJ "id, pend, l_owner, l_host, l_pid, l_exp"

int orch_store_dy_lease_read(const json_t *item, struct orch_store_lease *out, struct orch_error *err) {
  memset(out, 0, sizeof *out);
  int rc = orch_store_dy_copy(item, "l_owner", out->owner, sizeof out->owner, err);
  if (!rc) rc = orch_store_dy_copy(item, "l_host", out->host, sizeof out->host, err);
  if (!rc) rc = orch_store_dy_num(item, "l_pid", 0, &out->pid, err);
  if (!rc) rc = orch_store_dy_num(item, "l_exp", 0, &out->expires_ms, err);
  return rc;
}

static int exec_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", id);
}

/* The taking update: free, expired, the caller's, or the proven-dead steal_from's. */
static int take(struct orch_store_dy *d, const char *exec_id, const struct orch_store_lease_spec *s,
                struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "x#", exec_id);
  json_t *names = json_pack("{ss ss ss ss ss}", "#pend", "pend", "#owner", "l_owner", "#host", "l_host", "#pid",
                            "l_pid", "#exp", "l_exp");
  json_t *values = json_pack("{s{ss}s{ss}}", ":owner", "S", s->owner, ":host", "S", s->host);
  if (values && (orch_store_dy_set_n(values, ":pid", s->pid) || orch_store_dy_set_n(values, ":until", s->until_ms) ||
                 orch_store_dy_set_n(values, ":now", s->now_ms) ||
                 (s->steal_from && orch_store_dy_set_s(values, ":steal", s->steal_from)))) {
    json_decref(values);
    values = NULL;
  }
  const char *cond = s->steal_from && *s->steal_from
                         ? "attribute_exists(pk) AND attribute_not_exists(#pend) AND (attribute_not_exists(#owner) OR"
                           " #exp < :now OR #owner = :owner OR #owner = :steal)"
                         : "attribute_exists(pk) AND attribute_not_exists(#pend) AND (attribute_not_exists(#owner) OR"
                           " #exp < :now OR #owner = :owner)";
  if (values && !(s->steal_from && *s->steal_from)) json_object_del(values, ":steal");
  return orch_store_dy_update(d, PK, sk, "SET #owner = :owner, #host = :host, #pid = :pid, #exp = :until", cond, names,
                              values, err);
}

int orch_store_dy_lease_acquire(void *ctx, const char *exec_id, const struct orch_store_lease_spec *spec,
                                struct orch_store_lease *held, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  for (int tries = 0; tries < ORCH_STORE_DY_TRIES; tries++) {
    int rc = take(d, exec_id, spec, err);
    if (!orch_store_dy_condition_failed(rc, err)) return rc;
    /* refused: say by whom (or find the execution missing, or the lease freed meanwhile: try again) */
    struct orch_store_lease l;
    json_t *rec = NULL;
    rc = orch_store_dy_exec_record(d, exec_id, LEASE_PROJ, &rec, err);
    if (rc == 1) rc = orch_store_dy_lease_read(rec, &l, err);
    else if (rc == 0) rc = exec_missing(exec_id, err);
    json_decref(rec);
    if (rc) return rc;
    if (l.owner[0] && l.expires_ms >= spec->now_ms && strcmp(l.owner, spec->owner) != 0 &&
        !(spec->steal_from && strcmp(l.owner, spec->steal_from) == 0)) {
      if (held) *held = l;
      return orch_error_setc(err, ORCH_ECONFLICT, "lease", "execution %s is driven by %s (pid %lld on %s)", exec_id,
                             l.owner, (long long)l.pid, l.host);
    }
  }
  return orch_error_setc(err, ORCH_ECONFLICT, "lease", "the lease of execution %s kept changing", exec_id);
}

int orch_store_dy_lease_release(void *ctx, const char *exec_id, const char *owner, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "x#", exec_id);
  int rc = orch_store_dy_update(ctx, PK, sk, "REMOVE #owner, #host, #pid, #exp", "#owner = :owner",
                                json_pack("{ss ss ss ss}", "#owner", "l_owner", "#host", "l_host", "#pid", "l_pid",
                                          "#exp", "l_exp"),
                                json_pack("{s{ss}}", ":owner", "S", owner), err);
  return orch_store_dy_condition_failed(rc, err) ? 0 : rc; /* not the holder: nothing happens */
}

int orch_store_dy_lease_get(void *ctx, const char *exec_id, struct orch_store_lease *out, struct orch_error *err) {
  json_t *rec = NULL;
  int rc = orch_store_dy_exec_record(ctx, exec_id, LEASE_PROJ, &rec, err);
  if (rc == 1) rc = orch_store_dy_lease_read(rec, out, err);
  else if (rc == 0) rc = exec_missing(exec_id, err);
  json_decref(rec);
  if (rc) memset(out, 0, sizeof *out);
  return rc;
}
