/* orch_exec_plan: from a compiled plan (docs/plan-language.md, "compiled plan") to the data of an
 * ExecutionCreated event: the waves with their dependencies, gates, failure policies, hook phases and
 * server selectors, plus the targets and the notification topic. Uses jansson, orch_error. */
#include <stdio.h>
#include <string.h>

#include "exec/orch_exec_int.h"

/* {kind: ids|group|tags} -> {ids: [...]} | {groups: [name]} | {tags: {...}} */
static json_t *selector(const json_t *servers) {
  const char *kind = json_string_value(json_object_get(servers, "kind"));
  if (!kind) return json_object();
  if (strcmp(kind, "ids") == 0) return json_pack("{s:O}", "ids", json_object_get(servers, "ids"));
  if (strcmp(kind, "group") == 0) return json_pack("{s:[O]}", "groups", json_object_get(servers, "group"));
  if (strcmp(kind, "tags") == 0) return json_pack("{s:O}", "tags", json_object_get(servers, "tags"));
  return NULL;
}

static json_t *wave_spec(const json_t *w, const json_t *plan, struct orch_error *err, size_t i) {
  const json_t *servers = json_object_get(w, "servers");
  json_t *sel = servers ? selector(servers) : json_object();
  if (!sel) {
    orch_error_setc(err, ORCH_EVALIDATION, "compiled plan", "waves[%zu].servers has an unknown kind", i);
    return NULL;
  }
  json_t *hooks = json_array();
  const json_t *h = json_object_get(w, "hooks");
  static const char *const phases[] = {"before", "after", "on_failure"};
  for (size_t p = 0; hooks && p < 3; p++)
    if (json_object_get(h, phases[p]) && json_array_append_new(hooks, json_string(phases[p]))) {
      json_decref(hooks);
      hooks = NULL;
    }
  const json_t *of = json_object_get(w, "on_failure");
  const char *policy = json_string_value(json_object_get(of, "policy"));
  json_int_t retries = json_integer_value(json_object_get(of, "retries"));
  const char *approval = json_string_value(json_object_get(json_object_get(w, "approval"), "message"));
  return json_pack("{s:O, s:O, s:s*, s:I, s:s, s:I, s:I, s:o, s:o, s:O*, s:O*, s:O*, s:O*}", "name", json_object_get(w, "name"),
                   "depends_on", json_object_get(w, "depends_on") ? json_object_get(w, "depends_on") : json_array(),
                   "approval", approval, "approval_timeout_ms",
                   json_integer_value(json_object_get(json_object_get(w, "approval"), "timeout_ms")), "on_failure",
                   policy ? policy : "fail", "retries", retries, "timeout_ms",
                   json_integer_value(json_object_get(w, "timeout_ms")), "hooks", hooks,
                   "selector", sel, "account", json_object_get(plan, "account"), "region", json_object_get(plan, "region"),
                   "snapshot", json_object_get(w, "snapshot"), "launch", json_object_get(w, "launch"));
}

int exec_plan_created(const json_t *compiled, const char *exec_id, const char *plan_id, int64_t version,
                      const char *plan_name, enum orch_exec_mode mode, const char *by, const char *module_dir,
                      json_t **out, struct orch_error *err) {
  if (!json_is_object(compiled))
    return orch_error_set(err, ORCH_EVALIDATION, "plan %s version %lld has no compiled form", plan_id, (long long)version);
  json_t *waves = json_array();
  if (!waves) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(compiled, "waves"), i, w) {
    json_t *spec = wave_spec(w, compiled, err, i);
    if (!spec || json_array_append_new(waves, spec)) {
      json_decref(waves);
      return err && err->code ? err->code : orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
  }
  if (!json_array_size(waves)) {
    json_decref(waves);
    return orch_error_set(err, ORCH_EVALIDATION, "plan %s has no waves", plan_name);
  }
  const char *topic = json_string_value(json_array_get(json_object_get(json_object_get(compiled, "notify"), "sns"), 0));
  *out = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s*, s:b, s:s*, s:O, s:o}", "execution_id", exec_id, "plan_id",
                   plan_id, "plan_version", (json_int_t)version, "plan_name", plan_name, "mode", orch_exec_mode_name(mode),
                   "started_by", by ? by : "", "rto_target_ms", json_integer_value(json_object_get(compiled, "rto_target_ms")),
                   "rpo_target_ms", json_integer_value(json_object_get(compiled, "rpo_target_ms")), "notify_topic", topic,
                   "cleanup_hook", json_object_get(compiled, "cleanup") != NULL, "module_dir",
                   module_dir && *module_dir ? module_dir : NULL, "plan", compiled, "waves", waves);
  if (!*out) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  return 0;
}
