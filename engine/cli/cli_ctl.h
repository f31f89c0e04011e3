/* cli_ctl: the HTTP side of `drsorch ctl`: a connection to a drsorch server (URL and bearer token), JSON
 * requests whose errors come back as one line from the error envelope, and `watch`, which folds the
 * execution's journal from the API and its event stream into a state for cli_progress. Uses libcurl,
 * cli_progress, orch_exec_state. */
#ifndef ORCH_CLI_CTL_H
#define ORCH_CLI_CTL_H

#include <jansson.h>

#include "core/orch_error.h"

struct ctl_conn;

int cli_ctl_open(const char *url, const char *token, struct ctl_conn **out, struct orch_error *err) ORCH_MUST_CHECK;
void cli_ctl_close(struct ctl_conn *c);

/* method path (under the URL) with an optional JSON body; a 2xx JSON answer into *out (caller owns; NULL
 * for 204). Anything else is an error saying "HTTP <status> <code>: <message>". */
int cli_ctl_request(struct ctl_conn *c, const char *method, const char *path, const json_t *body, json_t **out,
                    struct orch_error *err) ORCH_MUST_CHECK;

/* Follow execution `id` to its end with the progress display; the exit status. */
int cli_ctl_watch(struct ctl_conn *c, const char *id);

#endif
