/* orch_exec_decide_ssm: decide for a hook's w:ssm_run: wait until the targets' SSM agents are online (a
 * freshly launched instance registers late), send the command (tagged with a comment naming the
 * execution, hook and call), then read each instance's invocation until all are final or the call's
 * time runs out. After a restart the command is first looked for by its comment, so it never runs
 * twice. A read that does not get through (throttled, 5xx) or says the invocation does not exist yet
 * is asked again; only a definite answer ends it. Pure. Uses orch_exec_decide_int, orch_time. */
#include <stdio.h>
#include <string.h>

#include "core/orch_time.h"
#include "exec/orch_exec_decide_int.h"
#include "plan/orch_plan_hook.h"

#define SSM_POLL_MS_MAX 2000                 /* at most this between SSM reads; less when polls are faster */
#define SSM_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)
#define SSM_FILTER_MAX 50                    /* instance ids in one DescribeInstanceInformation filter */

static int64_t poll_ms(const struct dctx *d) { return d->env->poll_ms < SSM_POLL_MS_MAX ? d->env->poll_ms : SSM_POLL_MS_MAX; }

static void ssm_call(struct dctx *d, long wave, enum orch_exec_purpose p, const char *op, json_t *input,
                     const json_t *instance) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  struct orch_exec_effect *e = d_effect(d, p, "ssm", json_string_value(json_object_get(d->st->plan, "account")),
                                        json_string_value(json_object_get(d->st->plan, "region")), "ssm", op, input);
  if (!e) return;
  e->context = json_pack("{s:I, s:O*}", "wave", (json_int_t)wave, "instance", instance);
  e->paginate = strncmp(op, "List", 4) == 0;
  m->ios++;
  m->wait = ORCH_HW_IO;
}

static void fail(struct dctx *d, long wave, int code, const char *msg) {
  struct orch_error e = {0};
  orch_error_set(&e, code, "%s", msg);
  d_hook_complete(d, wave, NULL, &e);
}

/* "drsorch <execution> <hook> #<seq>": SSM comments hold at most 100 characters. */
static void comment(const struct dctx *d, long wave, char *out, size_t n) {
  struct orch_exec_hook_memo *m = d_hook_memo((struct dctx *)(uintptr_t)d, wave);
  char id[ORCH_PLAN_HOOK_ID_MAX];
  const char *phase = wave >= 0 ? (d->st->waves[wave].hook_running == ORCH_HOOK_BEFORE ? "before"
                                   : d->st->waves[wave].hook_running == ORCH_HOOK_AFTER ? "after" : "on_failure")
                                : "cleanup";
  orch_plan_hook_id(id, wave >= 0 ? d->st->waves[wave].name : NULL, phase);
  snprintf(out, n, "drsorch %s %.40s #%lld", d->st->id, id, (long long)json_integer_value(json_object_get(m->call, "seq")));
}

static void check_ready(struct dctx *d, long wave) {
  json_t *ssm = d_hook_memo(d, wave)->ssm;
  json_t *ids = json_object_get(ssm, "instance_ids");
  json_object_set_new(ssm, "online", json_integer(0));
  json_object_del(ssm, "ready_error");
  for (size_t from = 0; from < json_array_size(ids) && !d->rc; from += SSM_FILTER_MAX) {
    json_t *part = json_array();
    for (size_t i = from; part && i < json_array_size(ids) && i < from + SSM_FILTER_MAX; i++)
      json_array_append(part, json_array_get(ids, i));
    ssm_call(d, wave, ORCH_FX_SSM_READY, "DescribeInstanceInformation",
             part ? json_pack("{s:[{s:s, s:o}]}", "Filters", "Key", "InstanceIds", "Values", part) : NULL, NULL);
  }
}

/* SSM parameters are lists of strings: {"commands": ["a", "b"], "timeout": ["60"]}. */
static json_t *ssm_parameters(const json_t *params) {
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)(uintptr_t)params, k, v) {
    json_t *list = json_array();
    if (json_is_array(v)) {
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) {
        char *txt = json_is_string(e) ? NULL : json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
        json_array_append_new(list, txt ? json_string(txt) : json_incref(e));
        free(txt);
      }
    } else if (json_is_string(v)) {
      json_array_append(list, v);
    } else {
      char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      json_array_append_new(list, json_string(txt ? txt : ""));
      free(txt);
    }
    json_object_set_new(out, k, list);
  }
  return out;
}

void d_ssm_start(struct dctx *d, long wave, const json_t *call) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  const json_t *a = json_object_get(call, "args");
  json_int_t timeout = json_integer_value(json_object_get(a, "timeout_ms"));
  if (timeout <= 0) timeout = SSM_DEFAULT_TIMEOUT_MS;
  char note[128];
  comment(d, wave, note, sizeof note);
  json_decref(m->ssm);
  m->ssm = json_pack("{s:O, s:{}, s:I, s:s}", "instance_ids", json_object_get(a, "instance_ids"), "instances",
                     "deadline_ms", (json_int_t)(d->now + timeout), "comment", note);
  json_t *send = json_pack("{s:O, s:O, s:o, s:s, s:I}", "DocumentName", json_object_get(a, "document"), "InstanceIds",
                           json_object_get(a, "instance_ids"), "Parameters", ssm_parameters(json_object_get(a, "parameters")),
                           "Comment", note, "TimeoutSeconds", (json_int_t)(timeout / 1000 < 30 ? 30 : timeout / 1000));
  if (!m->ssm || !send || json_object_set_new(m->ssm, "send", send)) {
    d_oom(d);
    return;
  }
  if (json_is_true(json_object_get(call, "reissued"))) {
    /* Sent before a restart? Find it by its comment instead of running the command twice. */
    const json_t *calls = wave >= 0 ? d->st->waves[wave].hook_calls : d->st->cleanup_calls;
    json_int_t seq = json_integer_value(json_object_get(call, "seq"));
    json_int_t at = json_integer_value(json_object_get(json_array_get(calls, (size_t)seq - 1), "at_ms"));
    char after[ORCH_TIME_ISO_MAX];
    orch_time_iso8601_s(after, (at ? at : d->now) - 60000);
    ssm_call(d, wave, ORCH_FX_SSM_FIND, "ListCommandInvocations",
             json_pack("{s:[{s:s, s:s}]}", "Filters", "key", "InvokedAfter", "value", after), NULL);
    return;
  }
  check_ready(d, wave);
}

static json_t *ssm_result(const json_t *ssm) {
  json_t *list = json_array();
  const char *status = "Success";
  const char *id;
  json_t *r;
  json_object_foreach(json_object_get(ssm, "instances"), id, r) {
    const char *st = json_string_value(json_object_get(r, "status"));
    if (st && strcmp(st, "Success") != 0 && strcmp(status, "Success") == 0) status = st;
    json_array_append(list, r);
  }
  return json_pack("{s:b, s:s, s:O, s:o}", "ok", strcmp(status, "Success") == 0, "status", status, "command_id",
                   json_object_get(ssm, "command_id"), "instances", list);
}

static bool ssm_final(const char *status) {
  static const char *const finals[] = {"Success", "Failed", "TimedOut", "Cancelled", "DeliveryTimedOut",
                                       "ExecutionTimedOut", "Undeliverable", "Terminated", "InvalidPlatform",
                                       "AccessDenied", NULL};
  for (size_t i = 0; status && finals[i]; i++)
    if (strcmp(status, finals[i]) == 0) return true;
  return false;
}

static void wait_next(struct dctx *d, long wave) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  m->wait = ORCH_HW_SSM;
  m->due_ms = d->now + poll_ms(d);
}

/* Ask GetCommandInvocation for every instance still running. */
static void poll_invocations(struct dctx *d, long wave) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  json_t *ssm = m->ssm;
  size_t i;
  json_t *iid;
  json_array_foreach(json_object_get(ssm, "instance_ids"), i, iid) {
    json_t *r = json_object_get(json_object_get(ssm, "instances"), json_string_value(iid));
    if (r && ssm_final(json_string_value(json_object_get(r, "status")))) continue;
    ssm_call(d, wave, ORCH_FX_SSM_POLL, "GetCommandInvocation",
             json_pack("{s:O, s:O}", "CommandId", json_object_get(ssm, "command_id"), "InstanceId", iid), iid);
  }
  if (!m->ios) d_hook_complete(d, wave, ssm_result(ssm), NULL); /* every instance is final */
}

void d_ssm_due(struct dctx *d, long wave) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  m->due_ms = 0;
  m->wait = ORCH_HW_NONE;
  if (json_is_true(json_object_get(m->ssm, "waiting_for_agents"))) {
    json_object_del(m->ssm, "waiting_for_agents");
    check_ready(d, wave);
  } else {
    poll_invocations(d, wave);
  }
}

static void ready_answer(struct dctx *d, long wave, const struct orch_exec_answer *a) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  json_t *ssm = m->ssm;
  size_t online = (size_t)json_integer_value(json_object_get(ssm, "online")), i;
  json_t *info;
  json_array_foreach(json_object_get(a->output, "InstanceInformationList"), i, info) {
    const char *ping = json_string_value(json_object_get(info, "PingStatus"));
    if (ping && strcmp(ping, "Online") == 0) online++;
  }
  json_object_set_new(ssm, "online", json_integer((json_int_t)online));
  if (a->rc) {
    char why[600];
    d_answer_error(a, why, sizeof why);
    json_object_set_new(ssm, "ready_error", json_string(why));
  }
  if (m->ios) return; /* more chunks to come */
  size_t want = json_array_size(json_object_get(ssm, "instance_ids"));
  const char *rerr = json_string_value(json_object_get(ssm, "ready_error"));
  if (!rerr && online >= want) {
    ssm_call(d, wave, ORCH_FX_SSM_SEND, "SendCommand", json_incref(json_object_get(ssm, "send")), NULL);
    return;
  }
  if (d->now >= json_integer_value(json_object_get(ssm, "deadline_ms"))) {
    char msg[800];
    if (rerr) snprintf(msg, sizeof msg, "SSM agents not reachable: %s", rerr);
    else snprintf(msg, sizeof msg, "%zu of %zu target instances have an SSM agent online; gave up waiting", online, want);
    fail(d, wave, rerr ? ORCH_EAWS : ORCH_ETIMEDOUT, msg);
    return;
  }
  json_object_set_new(ssm, "waiting_for_agents", json_true());
  wait_next(d, wave);
}

static void sent_answer(struct dctx *d, long wave, const struct orch_exec_answer *a) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  const char *cmd = NULL;
  if (!a->rc && a->purpose == ORCH_FX_SSM_SEND) {
    cmd = json_string_value(json_object_get(json_object_get(a->output, "Command"), "CommandId"));
  } else if (!a->rc) {
    const char *note = json_string_value(json_object_get(m->ssm, "comment"));
    size_t i;
    json_t *inv;
    json_array_foreach(json_object_get(a->output, "CommandInvocations"), i, inv) {
      const char *c = json_string_value(json_object_get(inv, "Comment"));
      if (c && note && strcmp(c, note) == 0) cmd = json_string_value(json_object_get(inv, "CommandId"));
    }
    if (!cmd) { /* never sent: send it now */
      check_ready(d, wave);
      return;
    }
  }
  if (a->rc) {
    char why[700];
    d_answer_error(a, why, sizeof why);
    fail(d, wave, a->rc, why);
    return;
  }
  if (!cmd) {
    fail(d, wave, ORCH_EAWS, "SSM returned no command id");
    return;
  }
  json_object_set_new(m->ssm, "command_id", json_string(cmd));
  wait_next(d, wave); /* GetCommandInvocation right after SendCommand says it does not exist yet */
}

static void poll_answer(struct dctx *d, long wave, const struct orch_exec_answer *a) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  json_t *ssm = m->ssm;
  const char *iid = json_string_value(json_object_get(a->context, "instance"));
  json_t *results = json_object_get(ssm, "instances");
  /* Only a definite answer about the invocation ends it; a read that did not get through or
   * InvocationDoesNotExist (too early) says nothing: poll again. */
  bool definite = a->rc && a->aerr && a->aerr->http_status >= 400 && a->aerr->http_status < 500 && !a->aerr->throttling &&
                  strcmp(a->aerr->code, "InvocationDoesNotExist") != 0;
  if (iid && definite) {
    json_object_set_new(results, iid, json_pack("{s:s, s:s, s:s}", "instance_id", iid, "status", "Failed", "stderr",
                                                a->aerr->code[0] ? a->aerr->code : "read failed"));
  } else if (iid && !a->rc) {
    json_object_set_new(results, iid, json_pack("{s:s, s:O*, s:O*, s:O*, s:O*}", "instance_id", iid, "status",
                                                json_object_get(a->output, "Status"), "exit_code",
                                                json_object_get(a->output, "ResponseCode"), "stdout",
                                                json_object_get(a->output, "StandardOutputContent"), "stderr",
                                                json_object_get(a->output, "StandardErrorContent")));
  }
  if (m->ios) return; /* other instances still answering */
  bool all_final = true;
  size_t i;
  json_t *id;
  json_array_foreach(json_object_get(ssm, "instance_ids"), i, id) {
    json_t *r = json_object_get(results, json_string_value(id));
    if (!r || !ssm_final(json_string_value(json_object_get(r, "status")))) all_final = false;
  }
  if (all_final) {
    d_hook_complete(d, wave, ssm_result(ssm), NULL);
    return;
  }
  if (d->now >= json_integer_value(json_object_get(ssm, "deadline_ms"))) {
    char msg[200];
    snprintf(msg, sizeof msg, "SSM command %s did not finish in time", json_string_value(json_object_get(ssm, "command_id")));
    fail(d, wave, ORCH_ETIMEDOUT, msg);
    return;
  }
  wait_next(d, wave);
}

void d_ssm_answer(struct dctx *d, long wave, const struct orch_exec_answer *a) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  if (!m->ssm) return;
  if (m->ios > 0) m->ios--;
  switch (a->purpose) {
    case ORCH_FX_SSM_READY: ready_answer(d, wave, a); break;
    case ORCH_FX_SSM_SEND:
    case ORCH_FX_SSM_FIND: sent_answer(d, wave, a); break;
    case ORCH_FX_SSM_POLL: poll_answer(d, wave, a); break;
    default: break;
  }
}
