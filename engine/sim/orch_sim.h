/* orch_sim: the simulated AWS region as a component: start it from a scenario (listening on loopback,
 * or in-process only), stop it, and reach it directly: hand it AWS wire requests, call its admin API,
 * advance its clock, read its state and call record, set faults. What `drsorch sim`, `run --sim`,
 * `serve --demo` and the tests use. Uses orch_sim_world/scenario/front/admin, CivetWeb, orch_core. */
#ifndef ORCH_SIM_H
#define ORCH_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_http.h"
#include "core/orch_clock.h"
#include "core/orch_error.h"

/* The credentials the simulator accepts when a scenario names none (also in `drsorch sim --help`). */
#define ORCH_SIM_ACCESS_KEY_ID "AKIASIMULATOREXAMPLE"
#define ORCH_SIM_SECRET_ACCESS_KEY "simulator/secret/EXAMPLEKEY"
#define ORCH_SIM_ACCOUNT_ID "111122223333"

struct orch_sim_options {
  const char *scenario_path;  /* a scenario file, or */
  const json_t *scenario;     /* an already parsed scenario (borrowed; copied); neither: an empty region */
  const char *listen;         /* "127.0.0.1:0"; NULL: no HTTP listener (in-process only) */
  double speed;               /* sim seconds per real second; 0 freezes the clock (advance by hand) */
  bool discrete;              /* a discrete-event clock instead (speed ignored): it stands still while its
                                 users hold work and jumps to the next deadline when all are idle */
  uint64_t seed;              /* ids, timings and outcomes; the same seed replays the same run */
  int threads;                /* CivetWeb workers (one per open connection); 0 means 32 */
  int64_t start_ms;           /* sim clock start when the scenario has no start_time; 0 means now */
};

struct orch_sim;

/* Load the scenario, build the world and (when `listen` is set) start serving. A bad scenario is
 * ORCH_EVALIDATION (or the JSON/IO error) with err->context the file and JSON path. Caller owns *out. */
int orch_sim_start(const struct orch_sim_options *opts, struct orch_sim **out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Stop serving, free everything. Accepts NULL. */
void orch_sim_stop(struct orch_sim *sim);

/* "http://127.0.0.1:43817" and 43817 (empty and 0 without a listener). */
const char *orch_sim_url(const struct orch_sim *sim);
int orch_sim_port(const struct orch_sim *sim);

/* Direct access (thread-safe). */
/* Answer one AWS request exactly as over HTTP (SigV4 verified, faults applied). `req` needs a Host
 * header; `resp` is filled (caller frees). Returns 0, or a negative code only when out of memory. */
int orch_sim_handle(struct orch_sim *sim, const struct orch_http_request *req, struct orch_http_response *resp)
    ORCH_MUST_CHECK;
/* The admin API: method, path ("/_sim/state"), optional query and body; *status and *out (a JSON body
 * the caller owns) are always set on return 0. */
int orch_sim_admin(struct orch_sim *sim, const char *method, const char *path, const char *query, const char *body,
                   size_t len, int *status, json_t **out) ORCH_MUST_CHECK;
/* The sim clock (valid while the simulator lives), and moving it by hand. */
const struct orch_clock *orch_sim_clock(struct orch_sim *sim);
void orch_sim_advance(struct orch_sim *sim, int64_t ms);
/* Snapshots as JSON (caller owns): what GET /_sim/state and GET /_sim/calls return. */
json_t *orch_sim_state(struct orch_sim *sim);
json_t *orch_sim_calls(struct orch_sim *sim);
/* Replace the faults named in `faults` (same form as PUT /_sim/faults). */
int orch_sim_set_faults(struct orch_sim *sim, const json_t *faults, struct orch_error *err) ORCH_MUST_CHECK;

#endif
