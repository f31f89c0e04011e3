/* test_store_conformance_sqlite: runs the store conformance suite (store_conformance.inc) against the
 * SQLite backend, one scratch database per test. Uses orch_store_sqlite, Criterion. */
#include "store_test_util.h"

#include "store/orch_store_sqlite.h"
#include "store_conformance.h"

static char sqlite_dir[4096];
static char sqlite_path[4200];

static void sqlite_setup(void) {
  store_test_mkdtemp(sqlite_dir, sizeof sqlite_dir, "conf");
  snprintf(sqlite_path, sizeof sqlite_path, "%s/orch.db", sqlite_dir);
}

static int sqlite_open(const struct orch_store_options *opts, struct orch_store **out, struct orch_error *err) {
  char spec[4300];
  snprintf(spec, sizeof spec, "sqlite:%s", sqlite_path);
  return orch_store_open(spec, opts, out, err);
}

static void sqlite_teardown(void) { store_test_rmtree(sqlite_dir); }

const struct store_factory store_factory = {
  .name = "sqlite",
  .setup = sqlite_setup,
  .open = sqlite_open,
  .teardown = sqlite_teardown,
};

#include "store_conformance.inc"
