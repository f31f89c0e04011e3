/* exec_rig: the real engine against the real simulated region, as the engine's tests (exec_harness.h)
 * and benchmarks (bench/exec/bench_exec_env.h) both stand it up: a simulator on a loopback port (so every
 * call crosses HTTP with SigV4, as with AWS), a SQLite store in a scratch directory, the production AWS
 * access (orch_exec_aws) and the engine on the simulator's discrete-event clock with its effects inline, so
 * a run is the same for the same seed whatever the machine's load. Header-only and without criterion: each
 * caller reports a failure its own way. Uses orch_sim, orch_exec, orch_store, orch_aws_creds. */
#ifndef EXEC_RIG_H
#define EXEC_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aws/orch_aws_creds.h"
#include "exec/orch_exec_aws.h"
#include "exec/orch_exec_engine.h"
#include "sim/orch_sim.h"
#include "store/orch_store.h"

struct harness {
  char dir[256]; /* the scratch directory: the caller makes and removes it */
  struct orch_sim *sim;
  struct orch_store *store;
  struct orch_aws_creds *creds;
  struct orch_exec_aws *aws;
  struct orch_exec_engine *eng;
  char plan_id[ORCH_ID_UUID_LEN + 1]; /* the plan the tests stored last */
};

/* Start the simulator with `so`, open the store in h->dir and the AWS access to the simulator. NULL, or
 * what failed ("simulator", "store", "credentials", "AWS access") with err filled (but for credentials). */
static inline const char *exec_rig_start(struct harness *h, const struct orch_sim_options *opts,
                                         struct orch_error *err) {
  struct orch_sim_options so = *opts;
  so.discrete = true;
  if (orch_sim_start(&so, &h->sim, err)) return "simulator";
  char spec[512];
  snprintf(spec, sizeof spec, "sqlite:%s/drsorch.db", h->dir);
  if (orch_store_open(spec, NULL, &h->store, err)) return "store";
  if (orch_aws_creds_static(ORCH_SIM_ACCESS_KEY_ID, ORCH_SIM_SECRET_ACCESS_KEY, NULL, &h->creds)) return "credentials";
  struct orch_exec_aws_config ac = {.base = h->creds, .home_account = ORCH_SIM_ACCOUNT_ID,
                                    .endpoint_url = orch_sim_url(h->sim), .no_ratelimit = true,
                                    .clock = orch_sim_clock(h->sim), .jitter_seed = so.seed ? so.seed : 1};
  if (orch_exec_aws_new(&ac, &h->aws, err)) return "AWS access";
  return NULL;
}

/* Create and start the engine on the simulator's clock. NULL, or "engine" with err filled. */
static inline const char *exec_rig_engine(struct harness *h, bool approve_all, int64_t poll_ms,
                                          struct orch_error *err) {
  struct orch_exec_engine_config ec = {.store = h->store, .aws = orch_exec_aws_ops(), .aws_ctx = h->aws,
                                       .clock = orch_sim_clock(h->sim), .inline_effects = true, .resume = true,
                                       .poll_ms = poll_ms, .default_account = ORCH_SIM_ACCOUNT_ID,
                                       .default_region = "us-east-1", .approve_all = approve_all};
  if (orch_exec_engine_new(&ec, &h->eng, err) || orch_exec_engine_start(h->eng, err)) return "engine";
  return NULL;
}

static inline void exec_rig_stop_engine(struct harness *h) {
  orch_exec_engine_free(h->eng);
  h->eng = NULL;
}

/* Free everything but the scratch directory. */
static inline void exec_rig_stop(struct harness *h) {
  orch_exec_engine_free(h->eng);
  orch_exec_aws_free(h->aws);
  orch_aws_creds_free(h->creds);
  orch_store_close(h->store);
  orch_sim_stop(h->sim);
}

#endif
