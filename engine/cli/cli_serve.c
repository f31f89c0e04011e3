/* cli_serve: `drsorch serve`: prepare the data directory, start the HTTP server, log the bound address,
 * and run until SIGINT or SIGTERM. Uses orch_api, orch_config, orch_log. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/orch_api.h"
#include "cli/cli.h"
#include "core/orch_log.h"

static const char serve_help[] =
    "Usage: drsorch serve [OPTIONS]\n"
    "\n"
    "Run the engine: the REST API (and console) on server.listen until SIGINT or SIGTERM.\n"
    "\nOptions:\n"
    "  --listen ADDR:PORT    address to listen on (server.listen; port 0 picks a free one)\n"
    "  --data-dir DIR        engine state directory (storage.data_dir)\n" CLI_COMMON_HELP;

/* mkdir -p for the data directory, then prove it writable by creating and removing a file. */
static int prepare_data_dir(const char *dir, struct orch_error *err) {
  char path[4096];
  if (!*dir) return orch_error_setc(err, ORCH_ECONFIG, "storage.data_dir", "is empty");
  if (strlen(dir) >= sizeof path - 32) return orch_error_setc(err, ORCH_ECONFIG, "storage.data_dir", "path too long");
  snprintf(path, sizeof path, "%s", dir);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
      return orch_error_setc(err, ORCH_EPERM, "storage.data_dir", "cannot create '%s': %s", path, strerror(errno));
    *p = '/';
  }
  if (mkdir(path, 0750) != 0 && errno != EEXIST)
    return orch_error_setc(err, ORCH_EPERM, "storage.data_dir", "cannot create '%s': %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/.write-test-%ld", dir, (long)getpid());
  FILE *f = fopen(path, "w");
  if (!f) return orch_error_setc(err, ORCH_EPERM, "storage.data_dir", "'%s' is not writable: %s", dir, strerror(errno));
  fclose(f);
  unlink(path);
  return 0;
}

int cli_serve(int argc, char **argv) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           {"listen", required_argument, NULL, 'l'},
                                           {"data-dir", required_argument, NULL, 'd'},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int used = cli_common_option(&common, opt, optarg, "serve");
    if (used < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    bool ok = true;
    switch (opt) {
      case 'l':
        if (cli_listen_check(optarg, "serve")) return CLI_EXIT_USAGE;
        ok = cli_common_flag(&common, "server.listen", optarg, "--listen");
        break;
      case 'd': ok = cli_common_flag(&common, "storage.data_dir", optarg, "--data-dir"); break;
      case 'h': fputs(serve_help, stdout); return CLI_EXIT_OK;
      case ':': return cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
    }
    if (!ok) return cli_usage_error("serve", "too many options");
  }
  if (optind < argc) return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);

  struct orch_config *cfg = cli_common_load(&common, "serve");
  if (!cfg) return CLI_EXIT_FAIL;
  int rc = CLI_EXIT_OK;
  struct orch_error err = {0};
  struct orch_api_server *srv = NULL;

  /* Block the stop signals before any thread starts so only sigwait below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  if (prepare_data_dir(orch_config_str(cfg, "storage.data_dir"), &err) || orch_api_start(cfg, &srv, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  struct orch_log_field f[] = {{"address", orch_api_address(srv)}, {"version", ORCH_VERSION}};
  orch_log_write(ORCH_LOG_INFO, f, 2, "listening on http://%s", orch_api_address(srv));
  int sig = 0;
  sigwait(&stop, &sig);
  orch_log_info("received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
out:
  orch_api_stop(srv);
  orch_config_free(cfg);
  return rc;
}
