/* main: drsorch's entry point: global set-up (JSON allocator, locale-free C), then dispatch to the
 * subcommand named by argv[1]. Uses cli, orch_json. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

static const struct cli_command commands[] = {
  {"serve", cli_serve, "run the engine: REST API and console"},
  {"config", cli_config, "check a configuration file or show effective settings"},
  {"validate", cli_validate, "check a recovery plan: every problem with file:line:column and a hint"},
  {"version", cli_version, "print the version"},
  {"aws", cli_aws, "call an AWS operation through the engine's client (JSON in, JSON out)"},
  {"sim", cli_sim, "run a simulated AWS region from a scenario"},
  {"run", cli_run, "run a recovery plan (drill, recovery or dry run) with live progress and a report"},
  {"test", cli_test, "test a plan: a drill against a simulated region in simulated time, PASS or FAIL"},
  {"resume", cli_resume, "carry on every unfinished execution in the store to its end"},
  {"executions", cli_executions, "list executions, show one's state, print its report"},
  {"groups", cli_groups, "import protection groups from JSON, list them"},
  {"lambda", cli_lambda, "the engine as an AWS Lambda function: invoke one event locally, or run the runtime loop"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
  fprintf(out, "Usage: drsorch COMMAND [OPTIONS]\n\nDisaster-recovery orchestration for AWS Elastic Disaster Recovery.\n\nCommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nRun 'drsorch COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv) {
  orch_json_init();
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) return cli_version(1, argv);
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (strcmp(argv[1], commands[i].name) == 0) {
      char name[64];
      snprintf(name, sizeof name, "drsorch %s", commands[i].name);
      argv[1] = name;
      return commands[i].run(argc - 1, argv + 1);
    }
  }
  const char *names[NCOMMANDS + 1];
  for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
  names[NCOMMANDS] = NULL;
  const char *near = orch_str_nearest(argv[1], names);
  if (near) fprintf(stderr, "drsorch: unknown command '%s'; did you mean '%s'?\n", argv[1], near);
  else fprintf(stderr, "drsorch: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return CLI_EXIT_USAGE;
}
