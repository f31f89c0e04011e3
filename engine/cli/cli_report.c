/* cli_report: an execution folded from its stored journal, its report and outcome (finding it by id,
 * short id or "latest" is cli_lookup's). The folding and the report are the API's (orch_api_views).
 * Uses orch_store, orch_api_views, orch_exec_report, orch_exec_state, orch_json. */
#include "cli/cli_report.h"

#include <string.h>

#include "api/orch_api_views.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

int cli_exec_load(struct orch_store *store, const char *id, struct cli_exec *x, struct orch_error *err) {
  memset(x, 0, sizeof *x);
  return orch_api_exec_fold(store, id, &x->st, &x->events, x->outcome, sizeof x->outcome, err);
}

void cli_exec_release(struct cli_exec *x) {
  if (!x) return;
  orch_exec_state_release(&x->st);
  orch_store_event_list_release(&x->events);
}

bool cli_exec_succeeded(const struct cli_exec *x) {
  if (strcmp(x->outcome, "COMPLETED") != 0) return false;
  return x->st.mode != ORCH_MODE_DRILL || x->st.status == ORCH_EXEC_CLEANED;
}

json_t *cli_exec_report_json(const struct cli_exec *x) {
  return orch_api_exec_report_json(&x->st, &x->events, x->outcome);
}

int cli_exec_report_print(const struct cli_exec *x, bool json, FILE *out, struct orch_error *err) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  json_t *r = cli_exec_report_json(x);
  int rc = r ? 0 : ORCH_ENOMEM;
  if (!rc && json) {
    rc = orch_json_dump(&b, r, JSON_INDENT(2)) || orch_buf_putc(&b, '\n') ? ORCH_ENOMEM : 0;
  } else if (!rc) {
    rc = orch_exec_report_text(r, &b);
    /* A drill's status is CLEANED once clean-up is over; say how the run itself went. */
    if (!rc && x->st.mode == ORCH_MODE_DRILL && x->outcome[0])
      rc = orch_buf_printf(&b, "  outcome: %s%s\n", x->outcome,
                           x->st.status == ORCH_EXEC_CLEANED ? ", recovery instances cleaned up"
                                                              : ", clean-up not finished");
  }
  if (rc) {
    orch_error_set(err, rc, "out of memory printing the report of %s", x->st.id);
  } else {
    fputs(orch_buf_cstr(&b), out);
    fflush(out);
  }
  json_decref(r);
  orch_buf_free(&b);
  return rc;
}
