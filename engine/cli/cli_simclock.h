/* cli_simclock: a clock that follows a standalone `drsorch sim`'s simulated clock, for runs against one
 * with --endpoint-url: the simulator is asked for its time and speed (GET /_sim/clock on its admin API)
 * and a virtual clock runs from there at the same speed; a thread asks again every half second, so a
 * speed change or a hand advance (POST /_sim/clock) is followed within that. It never goes back: when
 * the simulator is behind, the clock waits for it at its speed. So RTOs, timestamps and the engine's waits
 * are in the simulator's time, not the machine's. Uses orch_aws_curl (HTTP), orch_clock (vclock),
 * orch_json, pthreads. */
#ifndef ORCH_CLI_SIMCLOCK_H
#define ORCH_CLI_SIMCLOCK_H

#include "core/orch_clock.h"
#include "core/orch_error.h"

struct cli_simclock;

/* Ask `endpoint` ("http://127.0.0.1:4566") for its simulated clock. ORCH_ENOTFOUND when the endpoint is
 * not a drsorch simulator (no /_sim/clock, or not its answer); another error when it cannot be reached.
 * Caller frees with cli_simclock_free. */
int cli_simclock_new(const char *endpoint, struct cli_simclock **out, struct orch_error *err) ORCH_MUST_CHECK;
/* The following clock; valid while `c` lives. */
const struct orch_clock *cli_simclock_clock(struct cli_simclock *c);
/* The simulator's speed as last asked (sim seconds per real second; 0 = stopped). */
double cli_simclock_speed(struct cli_simclock *c);
/* Stops the thread and frees. Accepts NULL. */
void cli_simclock_free(struct cli_simclock *c);

#endif
