/* cli_lambda: `drsorch lambda invoke --event FILE [--context JSON]` (one invocation of the Lambda handler,
 * the code path the runtime takes, its response printed like `sam local invoke`) and `drsorch lambda
 * runtime` (the custom runtime's loop against AWS_LAMBDA_RUNTIME_API; what the package's bootstrap
 * starts). With lambda.store set, the function also has the engine's backends (the store, AWS, the REST API
 * router on Step Functions), set up once per runtime as Lambda's init phase would. Uses orch_lambda,
 * orch_lambda_runtime, orch_lambda_sfn, orch_api, orch_api_aws, orch_aws_curl, cli_session, cli_common. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/orch_api_aws.h"
#include "aws/orch_aws_curl.h"
#include "cli/cli.h"
#include "cli/cli_session.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "lambda/orch_lambda.h"
#include "lambda/orch_lambda_runtime.h"
#include "lambda/orch_lambda_sfn.h"

/* The Runtime API's next call waits for the next event however long that takes (Lambda freezes the
 * process in between): no practical total timeout. */
#define LAMBDA_NEXT_TIMEOUT_MS ((int64_t)366 * 24 * 3600 * 1000)

static const char lambda_help[] =
    "Usage: drsorch lambda invoke --event FILE [--context JSON] [OPTIONS]\n"
    "       drsorch lambda runtime [OPTIONS]\n"
    "\n"
    "The engine as an AWS Lambda function (custom runtime, provided.al2023; see docs/deploy.md).\n"
    "\n"
    "invoke    handle one event locally, exactly as the deployed function would, and print the response\n"
    "          (or the error report, exit 1). The event's shape chooses the handler: a CloudFormation\n"
    "          custom-resource request (its answer is sent to the request's ResponseURL), a Step\n"
    "          Functions task {\"action\", \"ExecutionId\"} (one engine step), an API Gateway proxy request\n"
    "          (the REST API). Tasks and requests need the store: lambda.store (DRSORCH_LAMBDA_STORE).\n"
    "  --event FILE        the event, a JSON document ('-' reads standard input)\n"
    "  --context JSON      the invocation context: {\"request_id\", \"function_arn\", \"trace_id\",\n"
    "                      \"log_group\", \"log_stream\", \"deadline_ms\" (epoch ms) or \"remaining_ms\"}\n"
    "runtime   the custom runtime's loop: fetch events from the Lambda Runtime API at\n"
    "          AWS_LAMBDA_RUNTIME_API, handle each, post the result; what the package's bootstrap runs.\n"
    "\nOptions:\n" CLI_COMMON_HELP
    "\nExit status: 0 response printed (invoke); 1 the invocation failed or the Runtime API went away;\n"
    "2 usage.\nExample: drsorch lambda invoke --event cfn-delete.json --context '{\"remaining_ms\": 60000}'\n";

/* The function's backends (lambda.store set): the store, the way to AWS, the API router on Step Functions. */
struct backend {
  struct cli_session s;
  struct orch_api_aws *aws;
  struct orch_api *api;
  struct orch_lambda_backend b;
};

static void backend_close(struct backend *bk) {
  orch_api_free(bk->api);
  orch_api_aws_free(bk->aws);
  cli_session_close(&bk->s);
  memset(bk, 0, sizeof *bk);
}

/* Set up what Step Functions tasks and API events use; *out stays NULL without lambda.store. */
static int backend_open(struct backend *bk, const struct orch_config *cfg, const struct orch_lambda_backend **out,
                        struct orch_error *err) {
  memset(bk, 0, sizeof *bk);
  *out = NULL;
  const char *store = orch_config_str(cfg, "lambda.store");
  if (!*store) return 0;
  struct cli_target t = {.db = store};
  int rc = cli_session_store(&bk->s, cfg, &t, err);
  if (!rc) rc = cli_session_aws(&bk->s, cfg, &t, NULL, err);
  const char *role = orch_config_str(cfg, "aws.role_name"), *external_id = orch_config_str(cfg, "aws.external_id");
  struct orch_api_aws_config ac = {.base = bk->s.creds, .home_account = bk->s.account, .region = bk->s.region,
                                   .endpoint_url = bk->s.endpoint[0] ? bk->s.endpoint : NULL,
                                   .role_name = *role ? role : NULL, .external_id = *external_id ? external_id : NULL,
                                   .store = bk->s.store};
  if (!rc) rc = orch_api_aws_new(&ac, &bk->aws, err);
  struct orch_api_config apc = {.settings = cfg, .store = bk->s.store, .listen_address = "lambda"};
  if (!rc) rc = orch_api_new(&apc, &bk->api, err);
  if (rc) {
    backend_close(bk);
    return rc;
  }
  bk->b = (struct orch_lambda_backend){
    .store = bk->s.store, .aws = orch_api_aws_exec_ops(), .aws_ctx = bk->aws, .api = bk->api,
    .default_account = bk->s.account, .default_region = bk->s.region,
    .poll_ms = orch_config_duration_ms(cfg, "scheduler.poll_interval"),
    .keep_for_ms = orch_config_duration_ms(cfg, "exec.keep_for"),
    .aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling"),
    .state_machine_arn = orch_config_str(cfg, "lambda.state_machine_arn")};
  struct orch_api_backends ab = {.engine = orch_lambda_sfn_engine_ops(), .engine_ctx = &bk->b,
                                 .aws = orch_api_aws_ops(), .aws_ctx = bk->aws,
                                 .default_account = bk->s.account, .default_region = bk->s.region};
  orch_api_attach(bk->api, &ab);
  *out = &bk->b;
  return 0;
}

static void real_sleep(void *ctx, int64_t ms) {
  (void)ctx;
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Read FILE ('-' = stdin) into `out`; usage error printed on failure. */
static int read_event(const char *file, struct orch_buf *out) {
  FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
  if (!f) return cli_usage_error("lambda invoke", "cannot read event file '%s': %s", file, strerror(errno));
  char chunk[8192];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = orch_buf_append(out, chunk, n);
  if (!rc && ferror(f)) rc = ORCH_EIO;
  if (f != stdin) fclose(f);
  if (rc == ORCH_EIO) return cli_usage_error("lambda invoke", "read error on '%s'", file);
  if (rc) return cli_usage_error("lambda invoke", "event file '%s' is over the %zu-byte limit", file, ORCH_LAMBDA_EVENT_MAX);
  return 0;
}

static const char *const context_keys[] = {"request_id", "function_arn", "trace_id", "log_group", "log_stream",
                                           "deadline_ms", "remaining_ms", NULL};

/* --context JSON into `ctx`; usage error printed on failure. */
static int parse_context(const char *text, struct orch_lambda_context *ctx) {
  struct orch_error err = {0};
  json_t *j = orch_json_parse(text, strlen(text), 0, &err);
  const char *s[5] = {0};
  long long deadline = 0, remaining = -1;
  bool has_deadline = false;
  int rc = j ? orch_json_expect(j, "context", JSON_OBJECT, &err) : err.code;
  if (!rc) rc = orch_json_check_keys(j, "context", context_keys, &err);
  for (int i = 0; i < 5 && !rc; i++) rc = orch_json_get_str(j, "context", context_keys[i], false, &s[i], &err);
  if (!rc) rc = orch_json_get_int(j, "context", "remaining_ms", false, 0, INT32_MAX, &remaining, &err);
  if (!rc && json_object_get(j, "deadline_ms")) {
    has_deadline = true;
    rc = orch_json_get_int(j, "context", "deadline_ms", true, 1, INT64_MAX, &deadline, &err);
  }
  if (!rc && has_deadline && remaining >= 0)
    rc = orch_error_setc(&err, ORCH_EINVAL, "context", "give deadline_ms or remaining_ms, not both");
  if (rc) {
    json_decref(j);
    char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 8];
    return cli_usage_error("lambda invoke", "--context: %s", orch_error_format(&err, line, sizeof line));
  }
  snprintf(ctx->request_id, sizeof ctx->request_id, "%s", s[0] ? s[0] : "local-invoke");
  snprintf(ctx->function_arn, sizeof ctx->function_arn, "%s", s[1] ? s[1] : "");
  snprintf(ctx->trace_id, sizeof ctx->trace_id, "%s", s[2] ? s[2] : "");
  snprintf(ctx->log_group, sizeof ctx->log_group, "%s", s[3] ? s[3] : "");
  snprintf(ctx->log_stream, sizeof ctx->log_stream, "%s", s[4] ? s[4] : "");
  ctx->deadline_ms = has_deadline ? deadline : remaining >= 0 ? orch_clock_now_ms(orch_clock_real()) + remaining : 0;
  json_decref(j); /* the strings above were borrowed from it */
  return 0;
}

static int run_invoke(struct cli_common *common, const char *event_file, const char *context) {
  struct orch_lambda_context ctx = {0};
  snprintf(ctx.request_id, sizeof ctx.request_id, "local-invoke");
  if (context && parse_context(context, &ctx)) return CLI_EXIT_USAGE;
  struct orch_buf event = ORCH_BUF_INIT(ORCH_LAMBDA_EVENT_MAX);
  if (read_event(event_file, &event)) {
    orch_buf_free(&event);
    return CLI_EXIT_USAGE;
  }
  struct orch_config *cfg = cli_common_load(common, "lambda invoke");
  struct orch_http_transport http = {0};
  struct orch_error err = {0};
  struct backend bk = {0};
  const struct orch_lambda_backend *backend = NULL;
  int status = CLI_EXIT_FAIL;
  if (!cfg) goto out;
  if (orch_aws_curl_new(NULL, &http, &err) || backend_open(&bk, cfg, &backend, &err)) {
    cli_fail(&err);
    goto out;
  }
  struct orch_lambda_env env = {.cfg = cfg, .clock = orch_clock_real(), .http = &http, .sleep_ms = real_sleep,
                                .backend = backend};
  struct orch_lambda_result res;
  int rc = orch_lambda_invoke(&env, event.data, event.len, &ctx, &res);
  json_t *doc = rc ? orch_lambda_error_document(res.error_type, &res.error)
                   : orch_json_parse(res.response, res.response_len, 0, &err);
  struct orch_buf out = ORCH_BUF_INIT(0);
  if (doc && !orch_json_dump(&out, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) && !orch_buf_putc(&out, '\n')) {
    fputs(orch_buf_cstr(&out), stdout);
    status = rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
  } else {
    fprintf(stderr, "drsorch lambda invoke: out of memory printing the result\n");
  }
  orch_buf_free(&out);
  json_decref(doc);
  orch_lambda_result_release(&res);
out:
  backend_close(&bk);
  if (http.ops) http.ops->destroy(http.ctx);
  orch_config_free(cfg);
  orch_buf_free(&event);
  return status;
}

static int run_runtime(struct cli_common *common) {
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !*api)
    return cli_usage_error("lambda runtime", "AWS_LAMBDA_RUNTIME_API is not set: this runs inside Lambda (or an "
                                             "emulator of its Runtime API)");
  struct orch_http_transport to_runtime = {0}, http = {0};
  struct orch_error err = {0};
  struct orch_aws_curl_config long_waits = {.timeout_ms = LAMBDA_NEXT_TIMEOUT_MS};
  if (orch_aws_curl_new(&long_waits, &to_runtime, &err)) return cli_fail(&err);
  struct orch_lambda_runtime_config rcfg = {.api = api, .transport = &to_runtime,
                                            .log_group = getenv("AWS_LAMBDA_LOG_GROUP_NAME"),
                                            .log_stream = getenv("AWS_LAMBDA_LOG_STREAM_NAME")};
  struct orch_config *cfg = cli_common_load_err(common, &err);
  struct backend bk = {0};
  const struct orch_lambda_backend *backend = NULL;
  int rc = cfg ? orch_aws_curl_new(NULL, &http, &err) : err.code;
  if (!rc) rc = backend_open(&bk, cfg, &backend, &err);
  if (rc) {
    struct orch_error perr = {0};
    if (orch_lambda_runtime_init_error(&rcfg, "Runtime.InitError", &err, &perr)) cli_fail(&perr);
    cli_fail(&err);
    goto out;
  }
  struct orch_lambda_env env = {.cfg = cfg, .clock = orch_clock_real(), .http = &http, .sleep_ms = real_sleep,
                                .backend = backend};
  rcfg.env = &env;
  orch_log_info("drsorch %s Lambda runtime ready (Runtime API %s)", ORCH_VERSION, api);
  rc = orch_lambda_runtime_run(&rcfg, &err);
  if (rc) cli_fail(&err);
out:
  backend_close(&bk);
  if (http.ops) http.ops->destroy(http.ctx);
  to_runtime.ops->destroy(to_runtime.ctx);
  orch_config_free(cfg);
  return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_lambda(int argc, char **argv) {
  static const struct option longopts[] = {
    {"event", required_argument, NULL, 'e'},
    {"context", required_argument, NULL, 'c'},
    CLI_COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
  };
  struct cli_common common = {0};
  const char *event = NULL, *context = NULL;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int c = cli_common_option(&common, opt, optarg, "lambda");
    if (c < 0) return CLI_EXIT_USAGE;
    if (c > 0) continue;
    switch (opt) {
    case 'h':
      fputs(lambda_help, stdout);
      return CLI_EXIT_OK;
    case 'e':
      event = optarg;
      break;
    case 'c':
      context = optarg;
      break;
    default:
      return cli_usage_error("lambda", "unknown option");
    }
  }
  if (optind >= argc) return cli_usage_error("lambda", "a subcommand is required: invoke or runtime");
  const char *sub = argv[optind];
  if (optind + 1 < argc) return cli_usage_error("lambda", "unexpected argument '%s'", argv[optind + 1]);
  if (strcmp(sub, "invoke") == 0) {
    if (!event) return cli_usage_error("lambda invoke", "--event FILE is required");
    return run_invoke(&common, event, context);
  }
  if (strcmp(sub, "runtime") == 0) {
    if (event || context) return cli_usage_error("lambda runtime", "--event and --context are for 'invoke'");
    return run_runtime(&common);
  }
  return cli_usage_error("lambda", "unknown subcommand '%s' (invoke, runtime)", sub);
}
