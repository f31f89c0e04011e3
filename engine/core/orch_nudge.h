/* orch_nudge: stop a server promptly whose accept loop only looks at its stop flag between polls of the
 * listening socket (CivetWeb's master thread polls for 2 s at a time): while `stop` runs, a helper thread
 * connects to the listening address every 5 ms, which wakes the poll at once. Used by the REST API's
 * server and the simulated region, so SIGTERM, `drsorch test` and every test stop in milliseconds rather
 * than up to 2 s. Uses pthreads and BSD sockets. */
#ifndef ORCH_NUDGE_H
#define ORCH_NUDGE_H

/* Run stop(ctx) while nudging host:port (a numeric address as the server listens on it: "0.0.0.0" and
 * "::" are reached through loopback, brackets are allowed). A port <= 0 or an address that does not
 * resolve only runs stop(ctx). */
void orch_nudge_stop(void (*stop)(void *ctx), void *ctx, const char *host, int port);

#endif
