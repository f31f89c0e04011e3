/* orch_api_response: writing responses: JSON bodies and the one error envelope
 * {"error": {"code", "message", "details"?, "request_id"}}. Uses CivetWeb, jansson, orch_json. */
#ifndef ORCH_API_RESPONSE_H
#define ORCH_API_RESPONSE_H

#include <jansson.h>

#include "api/orch_api_ctx.h"

/* Send `body` (borrowed) as application/json with `status`. */
void orch_api_send_json(struct orch_api_req *req, int status, const json_t *body);
/* Send the error envelope. `code` is a stable machine word ("NotFound", "ValidationError");
 * `details` (borrowed, may be NULL) carries structured specifics. */
void orch_api_send_error(struct orch_api_req *req, int status, const char *code, const char *message,
                         const json_t *details);
/* The reason phrase for a status ("Not Found"). */
const char *orch_api_status_text(int status);

#endif
