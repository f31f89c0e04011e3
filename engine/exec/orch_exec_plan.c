/* orch_exec_plan: from a compiled plan (docs/plan-language.md, "compiled plan") to the data of an
 * ExecutionCreated event: the waves with their dependencies, gates (and who may open them), failure
 * policies, hook phases, server selectors and launch settings (the plan's merged key by key under each
 * wave's), plus the targets and the notification topics and events. Uses jansson, orch_error. */
#include <stdint.h>
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

json_t *exec_launch_merge(const json_t *base, const json_t *over) {
  json_t *out = json_is_object(base) ? json_deep_copy(base) : json_object();
  const char *k;
  json_t *v;
  if (!out || !json_is_object(over)) return out;
  json_object_foreach((json_t *)(uintptr_t)over, k, v) {
    json_t *have = json_object_get(out, k);
    json_t *nv = json_is_object(v) && json_is_object(have) ? exec_launch_merge(have, v) : json_deep_copy(v);
    if (!nv || json_object_set_new(out, k, nv)) {
      json_decref(out);
      return NULL;
    }
  }
  return out;
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
  /* the compiler merged the plan's launch settings under the wave's, key by key */
  json_t *launch = json_incref(json_object_get(w, "launch"));
  const json_t *approvers = json_object_get(json_object_get(w, "approval"), "approvers");
  json_t *deps = json_object_get(w, "depends_on") ? json_incref(json_object_get(w, "depends_on")) : json_array();
  return json_pack("{s:O, s:o, s:s*, s:I, s:O*, s:s, s:I, s:I, s:o, s:o, s:O*, s:O*, s:O*, s:o*}", "name", json_object_get(w, "name"),
                   "depends_on", deps,
                   "approval", approval, "approval_timeout_ms",
                   json_integer_value(json_object_get(json_object_get(w, "approval"), "timeout_ms")), "approvers",
                   json_array_size(approvers) ? approvers : NULL, "on_failure",
                   policy ? policy : "fail", "retries", retries, "timeout_ms",
                   json_integer_value(json_object_get(w, "timeout_ms")), "hooks", hooks,
                   "selector", sel, "account", json_object_get(plan, "account"), "region", json_object_get(plan, "region"),
                   "snapshot", json_object_get(w, "snapshot"), "launch", launch);
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
  const json_t *notify = json_object_get(compiled, "notify");
  const char *topic = json_string_value(json_array_get(json_object_get(notify, "sns"), 0));
  *out = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s*, s:b, s:s*, s:O, s:o}", "execution_id", exec_id, "plan_id",
                   plan_id, "plan_version", (json_int_t)version, "plan_name", plan_name, "mode", orch_exec_mode_name(mode),
                   "started_by", by ? by : "", "rto_target_ms", json_integer_value(json_object_get(compiled, "rto_target_ms")),
                   "rpo_target_ms", json_integer_value(json_object_get(compiled, "rpo_target_ms")), "notify_topic", topic,
                   "cleanup_hook", json_object_get(compiled, "cleanup") != NULL, "module_dir",
                   module_dir && *module_dir ? module_dir : NULL, "plan", compiled, "waves", waves);
  if (!*out) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if ((json_array_size(json_object_get(notify, "sns")) &&
       json_object_set(*out, "notify_topics", json_object_get(notify, "sns"))) ||
      (json_array_size(json_object_get(notify, "events")) &&
       json_object_set(*out, "notify_events", json_object_get(notify, "events")))) {
    json_decref(*out);
    *out = NULL;
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  return 0;
}
