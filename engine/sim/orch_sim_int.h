/* orch_sim_int: the simulator's shared insides, for its own files only (orch_sim.c, orch_sim_front.c,
 * orch_sim_admin.c): the world behind one mutex, the sim clock, the SigV4 key cache, the scenario kept
 * for POST /_sim/reset. Uses orch_sim_world, orch_sigv4, orch_clock, pthreads. */
#ifndef ORCH_SIM_INT_H
#define ORCH_SIM_INT_H

#include <civetweb.h>
#include <pthread.h>

#include "aws/orch_sigv4.h"
#include "core/orch_clock.h"
#include "sim/orch_sim.h"
#include "sim/orch_sim_world.h"

struct orch_sim {
  pthread_mutex_t mu; /* guards world (and everything it holds) */
  struct orch_sim_world *world;
  json_t *scenario; /* as loaded, for reset */
  char source[256]; /* scenario file name, for messages */
  uint64_t seed;
  struct orch_vclock *vclock;
  struct orch_sigv4_cache *sigcache;
  struct mg_context *mg;
  bool lib_ready;
  int port;
  char url[96];
};

/* The AWS request path (orch_sim_front.c). */
int orch_sim_front_handle(struct orch_sim *sim, const struct orch_http_request *req, struct orch_http_response *resp)
    ORCH_MUST_CHECK;
/* The admin API (orch_sim_admin.c). */
int orch_sim_admin_handle(struct orch_sim *sim, const char *method, const char *path, const char *query,
                          const char *body, size_t len, int *status, json_t **out) ORCH_MUST_CHECK;
/* Rebuild the world from the kept scenario (orch_sim.c); caller holds mu. */
int orch_sim_rebuild_locked(struct orch_sim *sim, uint64_t seed, struct orch_error *err) ORCH_MUST_CHECK;

#endif
