/* orch_sim_admin: the admin API on the simulator's port: GET /_sim/state, GET /_sim/calls,
 * GET|PUT /_sim/faults, GET /_sim/sns, GET|POST /_sim/clock, POST /_sim/reset. JSON in, JSON out;
 * errors as {"error": {"code", "message"}}. Uses orch_sim_int, orch_sim_world, orch_sim_faults,
 * orch_json, orch_time. */
#include <stdio.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "sim/orch_sim_int.h"

static int reply(int *status, json_t **out, int code, json_t *body) {
  *status = body ? code : 500;
  *out = body ? body : json_pack("{s:{s:s, s:s}}", "error", "code", "InternalError", "message", "out of memory");
  return *out ? 0 : ORCH_ENOMEM;
}

static int error_reply(int *status, json_t **out, int code, const char *ecode, const char *msg) {
  return reply(status, out, code, json_pack("{s:{s:s, s:s}}", "error", "code", ecode, "message", msg));
}

static json_t *parse_body(const char *body, size_t len, struct orch_error *err) {
  if (!body || len == 0) return json_object();
  return orch_json_parse(body, len, 0, err);
}

static json_t *clock_json(struct orch_sim *sim) {
  char t[ORCH_TIME_ISO_MAX];
  int64_t now = orch_clock_now_ms(orch_vclock_clock(sim->vclock));
  orch_time_iso8601(t, now);
  return json_pack("{s:s, s:I, s:f}", "now", t, "now_ms", (json_int_t)now, "speed", orch_vclock_speed(sim->vclock));
}

static int admin_clock(struct orch_sim *sim, const json_t *in, int *status, json_t **out) {
  static const char *const keys[] = {"advance", "speed", NULL};
  struct orch_error err = {0};
  json_t *adv = json_object_get(in, "advance"), *speed = json_object_get(in, "speed");
  int64_t ms = 0;
  if (orch_json_check_keys(in, "", keys, &err)) return error_reply(status, out, 400, "ValidationError", err.message);
  if (adv) {
    if (json_is_integer(adv)) {
      ms = json_integer_value(adv) * 1000;
    } else if (!json_is_string(adv) || orch_duration_parse(json_string_value(adv), &ms, &err)) {
      return error_reply(status, out, 400, "ValidationError", "advance: expected a duration such as \"5m\" or seconds");
    }
  }
  if (speed && (!json_is_number(speed) || json_number_value(speed) < 0 || json_number_value(speed) > 1e6))
    return error_reply(status, out, 400, "ValidationError", "speed: expected a number from 0 to 1000000");
  if (ms) orch_vclock_advance(sim->vclock, ms);
  if (speed) orch_vclock_set_speed(sim->vclock, json_number_value(speed));
  return reply(status, out, 200, clock_json(sim));
}

static json_t *sns_json(const struct orch_sim_world *w, const char *topic) {
  json_t *all = json_array();
  for (size_t i = 0; all && i < w->envs.n; i++) {
    const struct orch_sim_env *e = w->envs.items[i];
    size_t k;
    json_t *m;
    json_array_foreach(e->sns, k, m) {
      const char *t = json_string_value(json_object_get(m, "TopicArn"));
      if (topic && (!t || strcmp(t, topic) != 0)) continue;
      json_array_append(all, m);
    }
  }
  return all ? json_pack("{s:o}", "messages", all) : NULL;
}

/* "topic=<arn>" from a query string (decoded), into out. */
static const char *query_topic(const char *query, struct orch_buf *out) {
  const char *p = query ? strstr(query, "topic=") : NULL;
  if (!p || (p != query && p[-1] != '&')) return NULL;
  p += 6;
  size_t n = strcspn(p, "&");
  if (orch_str_uri_decode(out, p, n, true)) return NULL;
  return orch_buf_cstr(out);
}

int orch_sim_admin_handle(struct orch_sim *sim, const char *method, const char *path, const char *query,
                          const char *body, size_t len, int *status, json_t **out) {
  struct orch_error err = {0};
  bool get = strcmp(method, "GET") == 0, put = strcmp(method, "PUT") == 0, post = strcmp(method, "POST") == 0;
  int rc;
  if (strcmp(path, "/_sim/state") == 0 && get) {
    pthread_mutex_lock(&sim->mu);
    json_t *s = orch_sim_world_state_json(sim->world, orch_clock_now_ms(orch_vclock_clock(sim->vclock)));
    pthread_mutex_unlock(&sim->mu);
    return reply(status, out, 200, s);
  }
  if (strcmp(path, "/_sim/calls") == 0 && get) {
    pthread_mutex_lock(&sim->mu);
    json_t *s = orch_sim_calls_json(&sim->world->calls);
    pthread_mutex_unlock(&sim->mu);
    return reply(status, out, 200, s);
  }
  if (strcmp(path, "/_sim/sns") == 0 && get) {
    struct orch_buf topic = ORCH_BUF_INIT(4096);
    const char *t = query_topic(query, &topic);
    pthread_mutex_lock(&sim->mu);
    json_t *s = sns_json(sim->world, t);
    pthread_mutex_unlock(&sim->mu);
    orch_buf_free(&topic);
    return reply(status, out, 200, s);
  }
  if (strcmp(path, "/_sim/faults") == 0 && (get || put)) {
    json_t *in = NULL;
    static const char *const keys[] = {"throttling", "errors", "latency", "failures", "consistency", NULL};
    if (put) {
      in = parse_body(body, len, &err);
      if (!in) return error_reply(status, out, 400, "ValidationError", err.message);
      if (!json_is_object(in) || orch_json_check_keys(in, "", keys, &err)) {
        json_decref(in);
        return error_reply(status, out, 400, "ValidationError", err.message[0] ? err.message : "expected an object");
      }
    }
    pthread_mutex_lock(&sim->mu);
    rc = in ? orch_sim_faults_parse(in, "", &sim->world->faults, &err) : 0;
    json_t *f = rc ? NULL : orch_sim_faults_json(&sim->world->faults);
    pthread_mutex_unlock(&sim->mu);
    json_decref(in);
    if (rc) {
      char msg[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
      return error_reply(status, out, 400, "ValidationError", orch_error_format(&err, msg, sizeof msg));
    }
    return reply(status, out, 200, f);
  }
  if (strcmp(path, "/_sim/clock") == 0 && (get || post)) {
    if (get) return reply(status, out, 200, clock_json(sim));
    json_t *in = parse_body(body, len, &err);
    if (!json_is_object(in)) {
      json_decref(in);
      return error_reply(status, out, 400, "ValidationError", err.message[0] ? err.message : "expected an object");
    }
    rc = admin_clock(sim, in, status, out);
    json_decref(in);
    return rc;
  }
  if (strcmp(path, "/_sim/reset") == 0 && post) {
    json_t *in = parse_body(body, len, &err);
    json_t *seed = json_object_get(in, "seed");
    if (!json_is_object(in) || (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))) {
      json_decref(in);
      return error_reply(status, out, 400, "ValidationError", "expected {} or {\"seed\": N}");
    }
    pthread_mutex_lock(&sim->mu);
    rc = orch_sim_rebuild_locked(sim, seed ? (uint64_t)json_integer_value(seed) : sim->seed, &err);
    pthread_mutex_unlock(&sim->mu);
    json_decref(in);
    if (rc) return error_reply(status, out, 500, "ResetFailed", err.message);
    return reply(status, out, 200, clock_json(sim));
  }
  static const char *const known[] = {"/_sim/state", "/_sim/calls", "/_sim/sns", "/_sim/faults", "/_sim/clock",
                                      "/_sim/reset", NULL};
  for (size_t i = 0; known[i]; i++)
    if (strcmp(path, known[i]) == 0) return error_reply(status, out, 405, "MethodNotAllowed", "method not allowed");
  return error_reply(status, out, 404, "NotFound", "no such admin endpoint");
}
