/* cli_sim: `drsorch sim`: run the simulated AWS region from a scenario on loopback until SIGINT or
 * SIGTERM, printing one "listening on URL" line when ready. Uses orch_sim, orch_log, orch_str. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "sim/orch_sim.h"

static const char sim_help[] =
    "Usage: drsorch sim --scenario FILE [OPTIONS]\n"
    "\n"
    "Run a simulated AWS region (DRS, EC2, SSM, SNS, STS, Service Quotas) on loopback, speaking the real\n"
    "wire protocols with SigV4 verified. Prints 'listening on http://HOST:PORT' when ready; stops on\n"
    "SIGINT or SIGTERM. The admin API is on the same port under /_sim/ (see docs/simulator.md).\n"
    "\nOptions:\n"
    "  --scenario FILE       scenario (JSON) to load (required; examples in plans/scenarios/)\n"
    "  --listen ADDR:PORT    address to listen on (default 127.0.0.1:4566; port 0 picks a free one)\n"
    "  --speed N             sim seconds per real second (default 1; 60 = one minute per second;\n"
    "                        0 freezes the clock: advance it with POST /_sim/clock)\n"
    "  --seed S              seed for ids, timings and outcomes (default 1): same seed, same run\n"
    "  --threads N           HTTP worker threads, one per open connection (default 32)\n"
    "  --log-level LEVEL     debug, info, warn or error (default warn)\n"
    "  -h, --help            show this help\n"
    "\nCredentials: when the scenario names none, the simulator accepts\n"
    "  access key id  " ORCH_SIM_ACCESS_KEY_ID "\n"
    "  secret key     " ORCH_SIM_SECRET_ACCESS_KEY "\n"
    "  for account    " ORCH_SIM_ACCOUNT_ID " (any region).\n";

static int parse_speed(const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || !end || *end || end == s || v < 0 || v > 1e6) return ORCH_EPARSE;
  *out = v;
  return 0;
}

int cli_sim(int argc, char **argv) {
  static const struct option longopts[] = {{"scenario", required_argument, NULL, 's'},
                                           {"listen", required_argument, NULL, 'l'},
                                           {"speed", required_argument, NULL, 'x'},
                                           {"seed", required_argument, NULL, 'e'},
                                           {"threads", required_argument, NULL, 't'},
                                           {"log-level", required_argument, NULL, 'v'},
                                           {"help", no_argument, NULL, 'h'},
                                           {0, 0, 0, 0}};
  struct orch_sim_options o = {.listen = "127.0.0.1:4566", .speed = 1.0, .seed = 1};
  enum orch_log_level level = ORCH_LOG_WARN;
  long long v;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (opt) {
      case 's': o.scenario_path = optarg; break;
      case 'l':
        if (cli_listen_check(optarg, "sim")) return CLI_EXIT_USAGE;
        o.listen = optarg;
        break;
      case 'x':
        if (parse_speed(optarg, &o.speed)) return cli_usage_error("sim", "--speed needs a number from 0 to 1000000, not '%s'", optarg);
        break;
      case 'e':
        if (orch_str_to_ll(optarg, 0, INT64_MAX, &v)) return cli_usage_error("sim", "--seed needs a non-negative integer, not '%s'", optarg);
        o.seed = (uint64_t)v;
        break;
      case 't':
        if (orch_str_to_ll(optarg, 1, 256, &v)) return cli_usage_error("sim", "--threads needs 1 to 256, not '%s'", optarg);
        o.threads = (int)v;
        break;
      case 'v':
        if (orch_log_level_parse(optarg, &level)) return cli_usage_error("sim", "unknown log level '%s'", optarg);
        break;
      case 'h': fputs(sim_help, stdout); return CLI_EXIT_OK;
      case ':': return cli_usage_error("sim", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("sim", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("sim", "unexpected argument '%s'", argv[optind]);
  if (!o.scenario_path) return cli_usage_error("sim", "--scenario FILE is required");
  orch_log_configure(level, ORCH_LOG_TEXT, NULL);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  struct orch_error err = {0};
  struct orch_sim *sim = NULL;
  if (orch_sim_start(&o, &sim, &err)) {
    char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
    fprintf(stderr, "drsorch sim: %s\n", orch_error_format(&err, line, sizeof line));
    return CLI_EXIT_FAIL;
  }
  printf("listening on %s\n", orch_sim_url(sim));
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  orch_sim_stop(sim);
  return CLI_EXIT_OK;
}
