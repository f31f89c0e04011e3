/* orch_exec_effects: performing one effect's AWS work, on an I/O thread or inline: a single call through
 * the engine's AWS interface (whose client retries with the AWS layer's standard policy, sleeping
 * through the injected clock), or a composite effect (preflight, launch preparation). Also what Service
 * Quotas' answer means for admission. Uses orch_exec_int, orch_log. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "exec/orch_exec_int.h"

struct exec_io *exec_io_new(const char *exec_id, struct orch_exec_effect *fx) {
  struct exec_io *io = orch_calloc(1, sizeof *io);
  if (!io) return NULL;
  snprintf(io->exec_id, sizeof io->exec_id, "%s", exec_id ? exec_id : "");
  io->fx = *fx; /* takes what the effect owns */
  fx->input = fx->context = fx->result = NULL;
  io->aerr.retry_after_ms = -1;
  return io;
}

void exec_io_free(struct exec_io *io) {
  if (!io) return;
  orch_exec_effect_release(&io->fx);
  json_decref(io->parts);
  json_decref(io->output);
  orch_free(io);
}

void exec_io_perform(struct orch_exec_engine *eng, struct exec_io *io) {
  switch (io->fx.purpose) {
    case ORCH_FX_PREFLIGHT: exec_preflight_run(eng, io); return;
    case ORCH_FX_PREPARE: exec_prepare_run(eng, io); return;
    default: break;
  }
  const char *service = io->fx.service, *op = io->fx.operation;
  if (io->fx.purpose == ORCH_FX_HOOK_AWS) { /* the plan's strings, kept in the context */
    service = json_string_value(json_object_get(io->fx.context, "service"));
    op = json_string_value(json_object_get(io->fx.context, "operation"));
  }
  if (!service || !op) {
    io->rc = orch_error_set(&io->err, ORCH_EINVAL, "%s has no service and operation", orch_exec_purpose_name(io->fx.purpose));
    return;
  }
  io->aerr.retry_after_ms = -1;
  io->rc = eng->cfg.aws->call(eng->cfg.aws_ctx, exec_account(eng, io->fx.account), exec_region(eng, io->fx.region),
                              service, op, io->fx.input, io->fx.paginate, &io->output, &io->aerr, &io->err);
}

/* DRS quotas by their Service Quotas codes (names as a fallback, matched without case):
 * L-B827C881 servers in one job, L-D88FAC3A concurrent jobs, L-05AFA8C6 servers in all active jobs. */
static int quota_field(const json_t *item) {
  static const struct {
    const char *code, *name;
    int field;
  } known[] = {{"L-B827C881", "single", 0}, {"L-D88FAC3A", "concurrent", 1}, {"L-05AFA8C6", "all jobs", 2}};
  const char *code = json_string_value(json_object_get(item, "QuotaCode"));
  const char *name = json_string_value(json_object_get(item, "QuotaName"));
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (code && strcmp(code, known[i].code) == 0) return known[i].field;
  if (!name) return -1; /* an unknown code: its name may still say what it is */
  char lower[256];
  size_t n = 0;
  for (; name[n] && n + 1 < sizeof lower; n++) lower[n] = (char)tolower((unsigned char)name[n]);
  lower[n] = '\0';
  if (strstr(lower, "per job")) return 0;
  if (strstr(lower, "concurrent jobs per") || strstr(lower, "per source server")) return -1;
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strstr(lower, known[i].name)) return known[i].field;
  return -1;
}

void exec_quotas_answered(struct orch_exec_engine *eng, const struct exec_io *io) {
  const char *account = exec_account(eng, io->fx.account), *region = exec_region(eng, io->fx.region);
  struct orch_exec_quotas q = orch_exec_admission_quotas(eng->admission, account, region);
  int found = 0;
  if (io->rc) {
    orch_log_info("exec: Service Quotas unreadable for %s/%s (%s); using safe defaults", account, region,
                  io->aerr.code[0] ? io->aerr.code : io->err.message);
  } else {
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(io->output, "Quotas"), i, item) {
      double v = json_number_value(json_object_get(item, "Value"));
      int field = quota_field(item);
      if (field < 0 || v < 1) continue;
      int *slot = field == 0 ? &q.servers_per_job : field == 1 ? &q.concurrent_jobs : &q.servers_in_active_jobs;
      *slot = (int)v;
      found++;
    }
  }
  if (orch_exec_admission_set_quotas(eng->admission, account, region, found ? &q : NULL)) {
    orch_log_error("exec: out of memory recording quotas for %s/%s", account, region);
    orch_exec_admission_unmark_asked(eng->admission, account, region);
  } else if (found) {
    orch_log_info("exec: DRS quotas for %s/%s: %d servers per job, %d concurrent jobs, %d servers in active jobs",
                  account, region, q.servers_per_job, q.concurrent_jobs, q.servers_in_active_jobs);
  }
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) lv->dirty = true; /* launches waited for this */
}
