/* orch_api_server: the REST API over HTTP(S) with CivetWeb: each request under /api/ becomes an
 * orch_api_request for the router and its answer goes out in one write (status line, headers and body
 * together, TCP_NODELAY set: no Nagle + delayed-ACK stall on kept-alive connections); event streams are
 * written as chunks. Body and header caps, request time-outs, optional TLS (server.tls_cert/tls_key via
 * OpenSSL), CivetWeb's own error pages replaced by the error envelope. Every other path is the console's
 * (orch_api_static). Uses CivetWeb, OpenSSL, orch_api, orch_api_static. */
#ifndef ORCH_API_SERVER_H
#define ORCH_API_SERVER_H

#include "api/orch_api.h"

#define ORCH_API_HEADERS_MAX 16384 /* bytes in a request's line and headers; more is 431 */

struct orch_api_server;

/* Listen on server.listen with server.threads workers (each open event stream holds one). A port in
 * use is ORCH_EADDRINUSE naming the address; unreadable TLS files are ORCH_ECONFIG naming the setting.
 * `api` is borrowed and must outlive the server. Caller owns *out. */
int orch_api_server_start(struct orch_api *api, const struct orch_config *cfg, struct orch_api_server **out,
                          struct orch_error *err) ORCH_MUST_CHECK;
/* End the event streams, stop accepting, finish in-flight requests, free. Accepts NULL. */
void orch_api_server_stop(struct orch_api_server *srv);
/* "127.0.0.1:43817": the address actually bound (port 0 resolved). */
const char *orch_api_server_address(const struct orch_api_server *srv);
int orch_api_server_port(const struct orch_api_server *srv);
/* The directory of the console it serves (server.web_dir or the built web/dist), "" when none is built. */
void orch_api_server_console(const struct orch_api_server *srv, char *out, size_t n);
/* "http" or "https". */
const char *orch_api_server_scheme(const struct orch_api_server *srv);

#endif
