/* cli_validate: `drsorch validate FILE [--format text|json] [--group NAME]...`: loads a recovery plan in the
 * same sandbox, under the same limits, as an execution, and prints every problem with file:line:column
 * and a hint (text), or the report the REST API returns (json). Exit 0 when clean, 1 with problems.
 * Uses orch_plan_compile, cli. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/orch_json.h"
#include "plan/orch_plan_compile.h"

#define VALIDATE_MAX_GROUPS 64

static const char validate_help[] =
    "Usage: drsorch validate FILE [--format text|json] [--group NAME]...\n"
    "\n"
    "Check a recovery plan written in Lua: syntax, unknown keys (with the nearest known one), types,\n"
    "durations, duplicate or unknown waves, dependency cycles, unreachable and empty waves, server ids.\n"
    "The plan runs in the execution sandbox with the execution limits; its modules (require \"lib.x\")\n"
    "are read from the plan's directory. Exit status: 0 clean, 1 problems, 2 usage.\n"
    "\n"
    "  --format FORMAT   text (default: FILE:LINE:COLUMN: error: message, then a hint) or json (the\n"
    "                    report the REST API returns: {file, ok, problems, plan})\n"
    "  --group NAME      a protection group that exists (repeatable); with any, `group \"x\"` selectors\n"
    "                    naming others are reported\n"
    CLI_COMMON_HELP;

int cli_validate(int argc, char **argv) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           {"format", required_argument, NULL, 'f'},
                                           {"group", required_argument, NULL, 'g'},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  const char *groups[VALIDATE_MAX_GROUPS + 1];
  size_t ngroups = 0;
  int json = 0, opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int used = cli_common_option(&common, opt, optarg, "validate");
    if (used < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if (opt == 'h') return fputs(validate_help, stdout), CLI_EXIT_OK;
    if (opt == 'f') {
      if (strcmp(optarg, "json") == 0) json = 1;
      else if (strcmp(optarg, "text") == 0) json = 0;
      else return cli_usage_error("validate", "unknown format '%s' (expected text or json)", optarg);
    } else if (opt == 'g') {
      if (ngroups == VALIDATE_MAX_GROUPS) return cli_usage_error("validate", "too many --group options");
      groups[ngroups++] = optarg;
    } else {
      return cli_usage_error("validate", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) return cli_usage_error("validate", "expected exactly one FILE");
  groups[ngroups] = NULL;
  struct orch_plan_source src = {.file = argv[optind]};
  struct orch_plan_options opts = {.known_groups = ngroups ? groups : NULL};
  struct orch_plan_report *report = NULL;
  struct orch_error err = {0};
  /* The operators' ceiling on aws_allow comes from the configuration, as for run and serve. */
  struct orch_config *cfg = cli_common_load(&common, "validate");
  if (!cfg) return CLI_EXIT_FAIL;
  struct orch_plan_sandbox_config sc = {.aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling")};
  int vrc = orch_plan_validate(&sc, &src, &opts, &report, &err);
  orch_config_free(cfg);
  if (vrc) return cli_fail(&err);
  struct orch_buf out = ORCH_BUF_INIT(0);
  json_t *j = NULL;
  int rc;
  if (json) {
    j = orch_plan_report_json(report);
    rc = !j || orch_json_dump(&out, j, JSON_INDENT(2) | JSON_SORT_KEYS) || orch_buf_putc(&out, '\n');
  } else {
    rc = orch_plan_report_text(report, &out);
  }
  int status = orch_plan_report_count(report) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
  if (rc) {
    fprintf(stderr, "drsorch validate: out of memory\n");
    status = CLI_EXIT_FAIL;
  } else {
    fputs(orch_buf_cstr(&out), stdout);
  }
  json_decref(j);
  orch_buf_free(&out);
  orch_plan_report_free(report);
  return status;
}
