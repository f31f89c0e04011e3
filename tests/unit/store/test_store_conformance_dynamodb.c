/* test_store_conformance_dynamodb: runs the store conformance suite (store_conformance.inc) against the
 * DynamoDB backend talking to dynalite (npm, tests/deploy's lockfile) started on 127.0.0.1 for each test,
 * on a fresh table, and stopped afterwards. Skips (exit 77) only when node is not installed.
 * Uses orch_store_dynamodb, dynalite_local.h, Criterion. */
#include "dynalite_local.h"
#include "store_test_util.h"

#include "core/orch_log.h"
#include "store/orch_store_dynamodb.h"
#include "store_conformance.h"

static struct dynalite dl;
static char dy_spec[256];

static void dy_setup(void) {
  char why[512];
  int rc = dynalite_start(&dl, why, sizeof why);
  if (rc == 77) cr_skip_test("%s", why);
  cr_assert_eq(rc, 0, "%s", why);
  orch_log_configure(ORCH_LOG_WARN, ORCH_LOG_TEXT, stderr); /* each test creates its table: no news */
  dynalite_pin_env(); /* dynalite takes any credentials; never reach for the machine's own */
  snprintf(dy_spec, sizeof dy_spec, "dynamodb:conf-%d?region=us-east-1&endpoint=http://127.0.0.1:%d&create=true",
           (int)getpid(), dl.port);
}

static int dy_open(const struct orch_store_options *opts, struct orch_store **out, struct orch_error *err) {
  return orch_store_open(dy_spec, opts, out, err);
}

static void dy_teardown(void) { dynalite_stop(&dl); }

const struct store_factory store_factory = {
  .name = "dynamodb",
  .setup = dy_setup,
  .open = dy_open,
  .teardown = dy_teardown,
};

#include "store_conformance.inc"
