/* api_rig: the simulated region and the store under the API's tests and benchmarks, on a clock that runs
 * at a fixed speed (people use a server as it runs: exec_rig's discrete-event clock would jump over the
 * waits an API client observes, such as a drill's keep-for). The AWS access is the API's own
 * (orch_api_aws), so the rig makes none. Header-only, without criterion. Uses orch_sim, orch_store,
 * orch_aws_creds, exec_rig's struct harness. */
#ifndef API_RIG_H
#define API_RIG_H

#include <stdio.h>

#include "../exec/exec_rig.h"

/* Start the simulator from `scenario` at `speed` and open the store in h->dir. NULL, or what failed
 * ("simulator", "store", "credentials") with err filled (but for credentials). */
static inline const char *api_rig_start(struct harness *h, const char *scenario, double speed, struct orch_error *err) {
  struct orch_sim_options so = {.scenario_path = scenario, .listen = "127.0.0.1:0", .speed = speed, .seed = 1};
  if (orch_sim_start(&so, &h->sim, err)) return "simulator";
  char spec[512];
  snprintf(spec, sizeof spec, "sqlite:%s/drsorch.db", h->dir);
  if (orch_store_open(spec, NULL, &h->store, err)) return "store";
  if (orch_aws_creds_static(ORCH_SIM_ACCESS_KEY_ID, ORCH_SIM_SECRET_ACCESS_KEY, NULL, &h->creds)) return "credentials";
  return NULL;
}

#endif
