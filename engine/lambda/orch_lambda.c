/* orch_lambda: one invocation: parse the event, find the shape that recognises it, run its handler, and
 * turn the outcome into a response document or a typed error. Uses orch_lambda_cfn (shapes), orch_json,
 * orch_alloc, orch_log. */
#include "lambda/orch_lambda.h"

#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "lambda/orch_lambda_int.h"
#include "lambda/orch_lambda_sfn.h"

static const struct orch_lambda_shape *const shapes[] = {
  &orch_lambda_shape_cfn,
  &orch_lambda_shape_sfn,
  &orch_lambda_shape_api,
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

const char *const *orch_lambda_shapes(void) {
  static const char *names[NSHAPES + 1];
  for (size_t i = 0; i < NSHAPES; i++) names[i] = shapes[i]->name;
  names[NSHAPES] = NULL;
  return names;
}

const char *orch_lambda_error_type(int rc) {
  switch (rc) {
  case ORCH_ETIMEDOUT:
  case ORCH_ECONN:
  case ORCH_ECONFLICT:
  case ORCH_EQUOTA:
  case ORCH_ENOMEM:
    return ORCH_LAMBDA_ERR_RETRYABLE;
  default:
    return ORCH_LAMBDA_ERR_FAILED;
  }
}

json_t *orch_lambda_error_document(const char *type, const struct orch_error *err) {
  char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 8];
  const char *msg = err && (err->message[0] || err->context[0]) ? orch_error_format(err, line, sizeof line)
                                                                  : "unknown error";
  return json_pack("{s:s, s:s, s:[]}", "errorMessage", msg, "errorType", type ? type : ORCH_LAMBDA_ERR_FAILED,
                   "stackTrace");
}

void orch_lambda_result_release(struct orch_lambda_result *r) {
  if (!r) return;
  orch_free(r->response);
  memset(r, 0, sizeof *r);
}

/* "an object with keys a, b, c" (at most a few) or "a JSON array": what the event looked like, for the
 * message that says no shape matched. */
static void describe_event(json_t *event, char *out, size_t n) {
  if (!json_is_object(event)) {
    snprintf(out, n, "a JSON %s", orch_json_type_name(event));
    return;
  }
  size_t used = (size_t)snprintf(out, n, "an object with keys");
  const char *key;
  json_t *v;
  int shown = 0;
  json_object_foreach(event, key, v) {
    (void)v;
    if (shown == 6 || used >= n) break;
    used += (size_t)snprintf(out + used, n - used, "%s '%s'", shown ? "," : "", key);
    shown++;
  }
  if (!shown) snprintf(out, n, "an empty object");
}

static int fail(struct orch_lambda_result *out, const char *type, int rc) {
  out->error_type = type ? type : orch_lambda_error_type(rc);
  if (!out->error.code) out->error.code = rc;
  return rc;
}

int orch_lambda_invoke(const struct orch_lambda_env *env, const char *event_text, size_t len,
                       const struct orch_lambda_context *ctx, struct orch_lambda_result *out) {
  memset(out, 0, sizeof *out);
  static const struct orch_lambda_context no_ctx;
  if (!ctx) ctx = &no_ctx;
  if (len > ORCH_LAMBDA_EVENT_MAX) {
    orch_error_set(&out->error, ORCH_ETOOBIG, "event of %zu bytes is over Lambda's limit of %zu", len,
                   ORCH_LAMBDA_EVENT_MAX);
    return fail(out, ORCH_LAMBDA_ERR_BAD_EVENT, ORCH_ETOOBIG);
  }
  json_t *event = orch_json_parse(event_text ? event_text : "", len, 0, &out->error);
  if (!event) {
    orch_error_prefix(&out->error, "event is not JSON");
    return fail(out, ORCH_LAMBDA_ERR_BAD_EVENT, out->error.code ? out->error.code : ORCH_EPARSE);
  }
  int rc = 0;
  const struct orch_lambda_shape *shape = NULL;
  for (size_t i = 0; i < NSHAPES && json_is_object(event) && !shape; i++)
    if (shapes[i]->matches(event)) shape = shapes[i];
  if (!shape) {
    char what[256];
    describe_event(event, what, sizeof what);
    struct orch_buf known = ORCH_BUF_INIT(1024);
    for (size_t i = 0; i < NSHAPES; i++)
      if (orch_buf_printf(&known, "%s%s", i ? "; " : "", shapes[i]->name)) break;
    orch_error_set(&out->error, ORCH_EINVAL, "event not recognised: %s; this function handles: %s", what,
                   orch_buf_cstr(&known));
    orch_buf_free(&known);
    rc = fail(out, ORCH_LAMBDA_ERR_BAD_EVENT, ORCH_EINVAL);
    goto done;
  }
  json_t *response = NULL;
  const char *type = NULL;
  rc = shape->handle(env, event, ctx, &response, &type, &out->error);
  if (rc) {
    fail(out, type, rc);
    goto done;
  }
  struct orch_buf body = ORCH_BUF_INIT(ORCH_LAMBDA_RESPONSE_MAX);
  rc = orch_json_dump(&body, response ? response : json_null(), 0);
  json_decref(response);
  if (rc) {
    orch_buf_free(&body);
    orch_error_set(&out->error, rc, rc == ORCH_ETOOBIG ? "response is over Lambda's limit of %zu bytes"
                                                       : "out of memory writing the response (limit %zu bytes)",
                   ORCH_LAMBDA_RESPONSE_MAX);
    fail(out, ORCH_LAMBDA_ERR_FAILED, rc);
    goto done;
  }
  out->response = orch_buf_take(&body, &out->response_len);
  if (!out->response) rc = fail(out, ORCH_LAMBDA_ERR_RETRYABLE, ORCH_ENOMEM);
done:
  if (rc) {
    struct orch_log_field f[] = {{"shape", shape ? shape->name : "none"}, {"error_type", out->error_type}};
    orch_log_write(ORCH_LOG_ERROR, f, 2, "invocation failed: %s", out->error.message);
  }
  json_decref(event);
  return rc;
}
