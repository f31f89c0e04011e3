/* cli_config: `drsorch config check FILE` (validate a configuration file) and `drsorch config show`
 * (effective values and where each came from). Uses orch_config, cli_common. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/orch_json.h"

static const char config_help[] =
    "Usage: drsorch config check FILE\n"
    "       drsorch config show [--json] [OPTIONS]\n"
    "\n"
    "check  validate FILE: every key known, every value of the right type; exit 0 when clean,\n"
    "       1 with the first problem as FILE:LINE: message\n"
    "show   print every setting's effective value, its source (default, file, env, flag) and\n"
    "       where it came from; with --json as one JSON object\n"
    "\nOptions for show:\n" CLI_COMMON_HELP "  --json                print JSON\n";

static int config_check(int argc, char **argv) {
  if (argc != 2) return cli_usage_error("config check", "expected exactly one FILE");
  struct orch_config *cfg = NULL;
  struct orch_error err = {0};
  if (orch_config_new(&cfg)) return cli_fail(&(struct orch_error){.code = ORCH_ENOMEM, .message = "out of memory"});
  int rc = orch_config_load_file(cfg, argv[1], &err);
  orch_config_free(cfg);
  if (rc) return cli_fail(&err);
  printf("%s: ok\n", argv[1]);
  return CLI_EXIT_OK;
}

static int config_show(int argc, char **argv) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
  struct cli_common common = {0};
  int json = 0, opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int used = cli_common_option(&common, opt, optarg, "config show");
    if (used < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if (opt == 'j') json = 1;
    else if (opt == 'h') return fputs(config_help, stdout), CLI_EXIT_OK;
    else return cli_usage_error("config show", "unknown option '%s'", argv[optind - 1]);
  }
  if (optind < argc) return cli_usage_error("config show", "unexpected argument '%s'", argv[optind]);
  struct orch_config *cfg = cli_common_load(&common, "config show");
  if (!cfg) return CLI_EXIT_FAIL;
  int rc = CLI_EXIT_OK;
  struct orch_buf out = ORCH_BUF_INIT(0);
  json_t *j = NULL;
  if (json) {
    j = orch_config_show_json(cfg);
    if (!j || orch_json_dump(&out, j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || orch_buf_putc(&out, '\n')) rc = CLI_EXIT_FAIL;
  } else if (orch_config_show_text(cfg, &out)) {
    rc = CLI_EXIT_FAIL;
  }
  if (rc == CLI_EXIT_OK) fputs(orch_buf_cstr(&out), stdout);
  else fprintf(stderr, "drsorch config show: out of memory\n");
  json_decref(j);
  orch_buf_free(&out);
  orch_config_free(cfg);
  return rc;
}

int cli_config(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("config", "expected 'check FILE' or 'show'");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return fputs(config_help, stdout), CLI_EXIT_OK;
  if (strcmp(argv[1], "check") == 0) return config_check(argc - 1, argv + 1);
  if (strcmp(argv[1], "show") == 0) return config_show(argc - 1, argv + 1);
  return cli_usage_error("config", "unknown subcommand '%s' (expected check or show)", argv[1]);
}
