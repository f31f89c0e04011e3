/* cli_aws: `drsorch aws SERVICE OPERATION [JSON | @file.json]`: one AWS call through the engine's own
 * pipeline (model, SigV4, credentials chain, endpoints, retries), every page merged unless
 * --no-paginate; the output JSON on stdout, or the error record as JSON on stderr (exit 1).
 * Uses orch_aws_client, orch_aws_creds, orch_aws_endpoint, orch_aws_profile, cli_common. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_client.h"
#include "aws/orch_aws_creds.h"
#include "aws/orch_aws_endpoint.h"
#include "aws/orch_aws_profile.h"
#include "cli/cli.h"
#include "core/orch_json.h"

#define AWS_INPUT_MAX ((size_t)8 * 1024 * 1024)

static const char aws_help[] =
    "Usage: drsorch aws SERVICE OPERATION [JSON | @FILE.json] [OPTIONS]\n"
    "\n"
    "Call one AWS operation the way the engine does (same models, signing, credentials, endpoints,\n"
    "retries) and print its result as JSON. SERVICE is the model name (drs, ec2, ssm, sns, sts,\n"
    "service-quotas, dynamodb); OPERATION as in the API reference (DescribeJobs). The input is a JSON\n"
    "object, inline or read from a file with @path. Paginated operations are followed to the last page\n"
    "and their lists merged.\n"
    "\n"
    "Options:\n"
    "  --region REGION       region (else AWS_REGION, AWS_DEFAULT_REGION, the profile, aws.region)\n"
    "  --profile NAME        shared-config profile (else aws.profile, AWS_PROFILE, 'default')\n"
    "  --endpoint-url URL    send the call here (the simulator: http://127.0.0.1:4566)\n"
    "  --no-paginate         return only the first page\n" CLI_COMMON_HELP
    "\n"
    "Exit status: 0 success; 1 the call failed (the error as JSON on stderr); 2 usage.\n"
    "Example: drsorch aws drs DescribeJobs '{\"filters\":{}}' --region us-east-1\n";

/* {"error": {...}} on stderr: the AWS error record when there is one, else the engine's code. */
static int print_error(int rc, const struct orch_aws_error *aerr, const struct orch_error *err) {
  json_t *e = aerr && aerr->code[0] ? orch_aws_error_to_json(aerr)
                                    : json_pack("{s:s, s:s}", "code", orch_error_name(rc), "message", err->message);
  if (e && aerr && aerr->code[0] && err->message[0] && strcmp(aerr->message, err->message) != 0)
    json_object_set_new(e, "detail", json_string(err->message));
  if (e && err->context[0]) json_object_set_new(e, "context", json_string(err->context));
  json_t *doc = e ? json_pack("{s:o}", "error", e) : NULL;
  struct orch_buf out = ORCH_BUF_INIT(0);
  if (doc && !orch_json_dump(&out, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) && !orch_buf_putc(&out, '\n'))
    fputs(orch_buf_cstr(&out), stderr);
  else
    fprintf(stderr, "drsorch aws: %s\n", err->message);
  orch_buf_free(&out);
  json_decref(doc);
  return CLI_EXIT_FAIL;
}

/* The input argument: inline JSON or @file. NULL with a usage error printed. */
static json_t *read_input(const char *arg) {
  struct orch_buf text = ORCH_BUF_INIT(AWS_INPUT_MAX);
  struct orch_error err = {0};
  json_t *j = NULL;
  if (arg[0] == '@') {
    FILE *f = fopen(arg + 1, "rb");
    if (!f) {
      cli_usage_error("aws", "cannot read input file '%s': %s", arg + 1, strerror(errno));
      goto out;
    }
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = orch_buf_append(&text, chunk, n);
    fclose(f);
    if (rc) {
      cli_usage_error("aws", "input file '%s' is larger than %zu bytes", arg + 1, AWS_INPUT_MAX);
      goto out;
    }
  } else if (orch_buf_puts(&text, arg)) {
    cli_usage_error("aws", "input is larger than %zu bytes", AWS_INPUT_MAX);
    goto out;
  }
  j = orch_json_parse(text.data ? text.data : "", text.len, 0, &err);
  if (!j) cli_usage_error("aws", "input is not valid JSON: %s", err.message);
  else if (!json_is_object(j)) {
    cli_usage_error("aws", "input must be a JSON object, not %s", orch_json_type_name(j));
    json_decref(j);
    j = NULL;
  }
out:
  orch_buf_free(&text);
  return j;
}

int cli_aws(int argc, char **argv) {
  enum { OPT_REGION = 0x200, OPT_PROFILE, OPT_ENDPOINT, OPT_NO_PAGINATE };
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           {"region", required_argument, NULL, OPT_REGION},
                                           {"profile", required_argument, NULL, OPT_PROFILE},
                                           {"endpoint-url", required_argument, NULL, OPT_ENDPOINT},
                                           {"no-paginate", no_argument, NULL, OPT_NO_PAGINATE},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  const char *region_opt = NULL, *profile_opt = NULL, *endpoint_opt = NULL;
  bool paginate = true;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int used = cli_common_option(&common, opt, optarg, "aws");
    if (used < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    switch (opt) {
      case OPT_REGION: region_opt = optarg; break;
      case OPT_PROFILE: profile_opt = optarg; break;
      case OPT_ENDPOINT: endpoint_opt = optarg; break;
      case OPT_NO_PAGINATE: paginate = false; break;
      case 'h': return fputs(aws_help, stdout), CLI_EXIT_OK;
      default: return cli_usage_error("aws", "unknown option '%s'", argv[optind - 1]);
    }
  }
  int npos = argc - optind;
  if (npos < 2 || npos > 3)
    return cli_usage_error("aws", "expected SERVICE OPERATION [JSON | @FILE.json], got %d argument%s", npos,
                           npos == 1 ? "" : "s");
  const char *service = argv[optind], *operation = argv[optind + 1];
  json_t *input = NULL;
  if (npos == 3 && !(input = read_input(argv[optind + 2]))) return CLI_EXIT_USAGE;

  struct orch_config *cfg = cli_common_load(&common, "aws");
  if (!cfg) {
    json_decref(input);
    return CLI_EXIT_FAIL;
  }
  struct orch_error err = {0};
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_aws_profiles *profiles = NULL;
  struct orch_aws_creds *creds = NULL;
  struct orch_aws_client *client = NULL;
  json_t *output = NULL;
  int rc, exit_code = CLI_EXIT_FAIL;
  const char *cfg_profile = orch_config_str(cfg, "aws.profile");
  const char *explicit_profile = profile_opt ? profile_opt : (cfg_profile && *cfg_profile ? cfg_profile : NULL);
  const char *endpoint = endpoint_opt ? endpoint_opt : orch_config_str(cfg, "aws.endpoint_url");
  char region[ORCH_AWS_REGION_MAX];

  if ((rc = orch_aws_profiles_load(NULL, NULL, &profiles, &err))) goto fail;
  const char *profile = orch_aws_profile_name(explicit_profile);
  if ((rc = orch_aws_region_resolve(region_opt, profiles, profile, orch_config_str(cfg, "aws.region"), region, &err)))
    goto fail;
  struct orch_aws_creds_options co = {.profile = explicit_profile, .profiles = profiles, .region = region,
                                      .endpoint_url = endpoint && *endpoint ? endpoint : NULL};
  if ((rc = orch_aws_creds_chain(&co, &creds, &err))) goto fail;
  struct orch_aws_client_config cc = {.region = region, .creds = creds, .endpoint_url = co.endpoint_url,
                                      .profiles = profiles, .profile = profile};
  if ((rc = orch_aws_client_new(&cc, &client, &err))) goto fail;
  rc = paginate ? orch_aws_paginate(client, service, operation, input, &output, &aerr, &err)
                : orch_aws_call(client, service, operation, input, &output, &aerr, &err);
  if (rc) goto fail;
  struct orch_buf out = ORCH_BUF_INIT(0);
  if (orch_json_dump(&out, output, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || orch_buf_putc(&out, '\n')) {
    orch_buf_free(&out);
    rc = orch_error_set(&err, ORCH_ENOMEM, "out of memory writing the output");
    goto fail;
  }
  fputs(orch_buf_cstr(&out), stdout);
  orch_buf_free(&out);
  exit_code = CLI_EXIT_OK;
  goto out;
fail:
  print_error(rc, &aerr, &err);
out:
  json_decref(output);
  json_decref(input);
  orch_aws_client_free(client);
  orch_aws_creds_free(creds);
  orch_aws_profiles_free(profiles);
  orch_config_free(cfg);
  return exit_code;
}
