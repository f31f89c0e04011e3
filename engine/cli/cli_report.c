/* cli_report: an execution folded from its stored journal, its report and outcome, and finding it by
 * id, prefix or "latest" (cli_lookup). Uses orch_store, orch_exec_report, orch_exec_state, orch_json. */
#include "cli/cli_report.h"

#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"


int cli_exec_load(struct orch_store *store, const char *id, struct cli_exec *x, struct orch_error *err) {
  memset(x, 0, sizeof *x);
  orch_exec_state_init(&x->st);
  int rc = orch_store_event_read(store, id, 1, 0, &x->events, err);
  if (!rc) rc = orch_exec_state_from_events(&x->st, &x->events, err);
  if (rc) return rc;
  if (!x->st.id[0]) return orch_error_set(err, ORCH_ESTATE, "execution %s has an empty journal", id);
  for (size_t i = x->events.count; i-- > 0;) {
    if (strcmp(x->events.items[i].type, "ExecutionEnded") != 0) continue;
    const char *status = json_string_value(json_object_get(x->events.items[i].data, "status"));
    snprintf(x->outcome, sizeof x->outcome, "%s", status ? status : orch_exec_status_name(x->st.status));
    break;
  }
  return 0;
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
  json_t *r = orch_exec_report_json(&x->st, &x->events);
  if (r && json_object_set_new(r, "outcome", x->outcome[0] ? json_string(x->outcome) : json_null())) {
    json_decref(r);
    return NULL;
  }
  return r;
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
