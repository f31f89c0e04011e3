/* test_compile: every class of validation problem with its place and hint, and the compiled plan's
 * shape (edges, levels, order, gates, hook references). Uses orch_plan_compile. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "plan_test_util.h"

static void setup(void) { orch_json_init(); }
TestSuite(compile, .init = setup);

#define W(body) "return plan { name = 'p', waves = {\n" body "\n} }\n"

Test(compile, problem_classes) {
  pt_expect_problem("return plan { name = 'p', waves = { wave 'a' { servers = group 'g' } }", "syntax", "expected", 1);
  pt_expect_problem("local x = 1\n", "not_a_plan", "returns nothing", 0);
  pt_expect_problem("return { name = 'p' }\n", "not_a_plan", "must return plan", 0);
  pt_expect_problem("return plan { waves = { wave 'a' { servers = group 'g' } } }\n", "missing", "needs 'name'", 1);
  pt_expect_problem(W("wave 'a' { servers = group 'g', dependson = 'b' }"), "unknown_key", "dependson", 2);
  pt_expect_problem(W("wave 'a' { servers = group 'g' },\nwave 'a' { servers = group 'h' }"), "duplicate_wave", "'a'", 3);
  pt_expect_problem(W("wave 'a' { servers = group 'g', depends_on = { 'bb' } },\nwave 'b' { servers = group 'h' }"),
                    "unknown_dependency", "'bb'", 2);
  pt_expect_problem(W("wave 'a' { servers = group 'g', depends_on = 'b' },\nwave 'b' { servers = group 'h', depends_on = 'a' }"),
                    "cycle", "cycle", 0);
  pt_expect_problem(W("wave 'a' {}"), "empty_wave", "no servers", 2);
  pt_expect_problem(W("wave 'a' { servers = {} }"), "empty_wave", "empty server list", 2);
  pt_expect_problem(W("wave 'a' { servers = group 'g', timeout = '10 minutes' }"), "bad_duration", "timeout", 2);
  pt_expect_problem(W("wave 'a' { servers = group 'g', timeout = 600 }"), "type", "duration string", 2);
  pt_expect_problem(W("wave 'a' { servers = { 's-1234567890abcdef0' } },\nwave 'b' { servers = { 's-1234567890abcdef0' } }"),
                    "duplicate_server", "waves 'a' and 'b'", 3);
  pt_expect_problem(W("wave 'a' { servers = group 'g', on_failure = 'retry' }"), "bad_value", "not a policy", 2);
  pt_expect_problem(W("wave 'a' { servers = group 'g', after = 'check' }"), "type", "must be a function", 2);
  pt_expect_problem(W("wave 'a' { servers = group 'g', launch = { instance_typ = 'm5.large' } }"), "unknown_key",
                    "instance_typ", 2);
  pt_expect_problem(W("wave 'a'"), "type", "no body", 2);
}

Test(compile, cycle_is_printed_and_unreachable_reported) {
  struct orch_plan_report *r = pt_validate(W("wave 'a' { servers = group 'g', depends_on = 'c' },\n"
                                             "wave 'b' { servers = group 'g', depends_on = 'a' },\n"
                                             "wave 'c' { servers = group 'g', depends_on = 'b' },\n"
                                             "wave 'd' { servers = group 'g', depends_on = 'c' }"),
                                           NULL);
  const json_t *ps = orch_plan_report_problems(r);
  cr_assert_eq(json_array_size(ps), 2);
  cr_expect(strstr(pt_field(json_array_get(ps, 0), "message"), "a -> b -> c -> a") ||
                strstr(pt_field(json_array_get(ps, 0), "message"), "c -> a -> b -> c") ||
                strstr(pt_field(json_array_get(ps, 0), "message"), "b -> c -> a -> b"),
            "%s", pt_field(json_array_get(ps, 0), "message"));
  cr_expect_str_eq(pt_field(json_array_get(ps, 1), "code"), "unreachable_wave");
  orch_plan_report_free(r);
}

Test(compile, hints_suggest_the_nearest_name) {
  struct orch_plan_report *r = pt_validate(W("wave 'database' { servers = group 'g' },\n"
                                             "wave 'app' { servers = group 'g', depends_on = { 'databse' } }"),
                                           NULL);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_str_eq(pt_field(p, "hint"), "did you mean 'database'?");
  cr_expect_eq(pt_int(p, "line"), 3);
  cr_expect_eq(pt_int(p, "column"), 50);
  orch_plan_report_free(r);
}

Test(compile, known_groups) {
  struct orch_plan_source src = {.file = "g.lua", .text = W("wave 'a' { servers = group 'orders-bd' }")};
  src.len = strlen(src.text);
  const char *groups[] = {"orders-db", "orders-web", NULL};
  struct orch_plan_options opt = {.known_groups = groups};
  struct orch_plan_report *r = NULL;
  cr_assert_eq(orch_plan_validate(NULL, &src, &opt, &r, NULL), 0);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_str_eq(pt_field(p, "code"), "unknown_group");
  cr_expect_str_eq(pt_field(p, "hint"), "did you mean 'orders-db'?");
  orch_plan_report_free(r);
}

Test(compile, compiled_shape) {
  struct orch_plan_report *r = pt_validate(
      "return plan { name = 'p', rto_target = '1h', waves = {\n"
      "  wave 'db' { servers = group 'g', after = function(w) end },\n"
      "  wave 'app' { depends_on = 'db', servers = tags { App = 'x' }, approval = 'ok?', on_failure = 'retry(2)' },\n"
      "  wave 'batch' { depends_on = { 'db' }, servers = { 's-1234567890abcdef0' }, snapshot = '2026-11-30T01:00:00Z' },\n"
      "}, cleanup = function(x) end }\n",
      NULL);
  const json_t *plan = orch_plan_report_plan(r);
  cr_assert(plan, "problems: %zu", orch_plan_report_count(r));
  cr_expect_eq(json_integer_value(json_object_get(plan, "rto_target_ms")), 3600000);
  cr_expect_eq(json_array_size(json_object_get(plan, "edges")), 2);
  cr_expect_eq(json_array_size(json_object_get(plan, "levels")), 2);
  cr_expect_eq(json_array_size(json_array_get(json_object_get(plan, "levels"), 1)), 2);
  cr_expect_str_eq(json_string_value(json_array_get(json_object_get(plan, "order"), 0)), "db");
  const json_t *app = json_array_get(json_object_get(plan, "waves"), 1);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(app, "on_failure"), "policy")), "retry");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(app, "on_failure"), "retries")), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(app, "servers"), "kind")), "tags");
  const json_t *batch = json_array_get(json_object_get(plan, "waves"), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(batch, "snapshot"), "at")), "2026-11-30T01:00:00.000Z");
  cr_expect_eq(json_array_size(json_object_get(plan, "gates")), 1);
  const json_t *hooks = json_object_get(plan, "hooks");
  cr_expect_eq(json_array_size(hooks), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(hooks, 0), "id")), "db/after");
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(hooks, 0), "line")), 2);
  cr_expect(json_is_array(json_object_get(json_array_get(json_object_get(plan, "waves"), 0), "depends_on")));
  orch_plan_report_free(r);
}

Test(compile, modules_from_the_plan_directory) {
  char dir[] = "/tmp/orch_plan_modXXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/lib", dir);
  cr_assert_eq(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/lib/util.lua", dir);
  FILE *f = fopen(path, "w");
  fputs("local M = {}\nfunction M.db(name) return wave(name) { servers = group 'g' } end\nreturn M\n", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/main.lua", dir);
  f = fopen(path, "w");
  fputs("local util = require 'lib.util'\nlocal checks = require 'drs.checks'\nassert(checks.http_ok)\n"
        "return plan { name = 'm', waves = { util.db('a'), util.db('a') } }\n",
        f);
  fclose(f);
  struct orch_plan_source src = {.file = path};
  struct orch_plan_report *r = NULL;
  cr_assert_eq(orch_plan_validate(NULL, &src, NULL, &r, NULL), 0);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_str_eq(pt_field(p, "code"), "duplicate_wave");
  cr_expect(strstr(pt_field(p, "file"), "lib/util.lua"), "%s", pt_field(p, "file"));
  cr_expect_eq(pt_int(p, "line"), 2);
  orch_plan_report_free(r);
  /* leave nothing behind */
  cr_expect_eq(remove(path), 0);
  snprintf(path, sizeof path, "%s/lib/util.lua", dir);
  cr_expect_eq(remove(path), 0);
  snprintf(path, sizeof path, "%s/lib", dir);
  cr_expect_eq(remove(path), 0);
  cr_expect_eq(remove(dir), 0);
}

/* The plan-level lists the engine enforces: w:aws is limited to aws_allow within the operator's ceiling,
 * w:ssm_run to the declared ssm_documents (which preflight checks). */
Test(compile, aws_allow_and_ssm_documents) {
  pt_expect_problem("return plan { name = 'p', aws_allow = 'ec2:*', waves = { wave 'a' { servers = group 'g' } } }\n", "type",
                    "a list of strings", 1);
  pt_expect_problem("return plan { name = 'p',\n  aws_allow = { 'ec2 DescribeInstances' },\n"
                    "  waves = { wave 'a' { servers = group 'g' } } }\n",
                    "bad_value", "aws_allow[1]", 2);
  /* a prefix wildcard is for the operator's ceiling only: the engine matches plans' entries exactly */
  pt_expect_problem("return plan { name = 'p', aws_allow = { 'ec2:Describe*' }, waves = { wave 'a' { servers = group 'g' } } }\n",
                    "bad_value", "aws_allow[1]", 1);
  pt_expect_problem("return plan { name = 'p', ssm_documents = { 42 }, waves = { wave 'a' { servers = group 'g' } } }\n",
                    "bad_value", "ssm_documents[1]", 1);
  pt_expect_problem("return plan { name = 'p', aws_alow = { }, waves = { wave 'a' { servers = group 'g' } } }\n", "unknown_key",
                    "aws_alow", 1);
  struct orch_plan_report *r = pt_validate(
      "return plan { name = 'p', aws_allow = { 'ec2:DescribeInstances', 'drs:StartRecovery', 'ec2:*' },\n"
      "  ssm_documents = { 'Acme-HealthCheck' }, waves = { wave 'a' { servers = group 'g' } } }\n",
      NULL);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_assert_eq(orch_plan_report_count(r), 1, "only ec2:* exceeds the default ceiling");
  cr_expect_str_eq(pt_field(p, "code"), "not_permitted");
  cr_expect(strstr(pt_field(p, "message"), "aws_allow[3] 'ec2:*'"), "%s", pt_field(p, "message"));
  cr_expect(strstr(pt_field(p, "hint"), "ec2:Describe*"), "the hint says what the ceiling allows: %s", pt_field(p, "hint"));
  cr_expect_eq(pt_int(p, "column"), 87, "the column of the entry");
  orch_plan_report_free(r);
}

/* A report of the plan under an operator ceiling `ceiling`. */
static struct orch_plan_report *validate_under(const char *ceiling, const char *text, struct orch_error *err) {
  struct orch_plan_sandbox_config cfg = {.aws_allow_ceiling = ceiling};
  struct orch_plan_source src = {.file = "c.lua", .text = text, .len = strlen(text)};
  struct orch_plan_report *r = NULL;
  if (orch_plan_validate(&cfg, &src, NULL, &r, err)) return NULL;
  return r;
}

Test(compile, aws_allow_ceiling_is_the_operators) {
  const char *plan = "return plan { name = 'p', aws_allow = { 'ec2:TerminateInstances', 'dynamodb:*' },\n"
                     "  waves = { wave 'a' { servers = group 'g' } } }\n";
  struct orch_error err = {0};
  struct orch_plan_report *r = validate_under(NULL, plan, &err);
  cr_assert(r, "%s", err.message);
  cr_expect_eq(orch_plan_report_count(r), 2, "NULL is the default ceiling, enforced");
  orch_plan_report_free(r);
  r = validate_under("", plan, &err);
  cr_expect_eq(orch_plan_report_count(r), 2, "so is an empty one");
  orch_plan_report_free(r);
  r = validate_under("ec2:*, dynamodb:*", plan, &err);
  cr_assert(r);
  cr_expect_eq(orch_plan_report_count(r), 0, "a wider ceiling admits the plan");
  const json_t *compiled = orch_plan_report_plan(r);
  cr_expect_str_eq(json_string_value(json_array_get(json_object_get(compiled, "aws_allow"), 1)), "dynamodb:*");
  orch_plan_report_free(r);
  r = validate_under("dynamodb:*", plan, &err);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_eq(orch_plan_report_count(r), 1);
  cr_expect(strstr(pt_field(p, "message"), "'ec2:TerminateInstances'"), "%s", pt_field(p, "message"));
  cr_expect(strstr(pt_field(p, "hint"), "allows nothing"), "%s", pt_field(p, "hint"));
  orch_plan_report_free(r);
  /* a malformed ceiling is the operator's error, named as the setting */
  cr_expect_null(validate_under("ec2 DescribeInstances", plan, &err));
  cr_expect_eq(err.code, ORCH_ECONFIG);
  cr_expect(strstr(err.message, "plans.aws_allow_ceiling"), "%s", err.message);
}

/* An aws_allow entry the engine has no model for could never be called, whatever the ceiling: refused as
 * unsupported, with the services it can reach or the operation it may have meant. */
Test(compile, aws_allow_entries_the_engine_cannot_call_are_refused) {
  const char *plan = "return plan { name = 'p', aws_allow = { 'route53:ChangeResourceRecordSets', 'drs:StartRecovry', "
                     "'ec2:DescribeInstances', 'ssm:*' },\n  waves = { wave 'a' { servers = group 'g' } } }\n";
  struct orch_error err = {0};
  struct orch_plan_report *r = validate_under("*", plan, &err);
  cr_assert(r, "%s", err.message);
  cr_assert_eq(orch_plan_report_count(r), 2, "the embedded ones pass under a '*' ceiling");
  const json_t *a = json_array_get(orch_plan_report_problems(r), 0), *b = json_array_get(orch_plan_report_problems(r), 1);
  cr_expect_str_eq(pt_field(a, "code"), "unsupported");
  cr_expect(strstr(pt_field(a, "message"), "cannot call route53"), "%s", pt_field(a, "message"));
  cr_expect(strstr(pt_field(a, "hint"), "drs"), "%s", pt_field(a, "hint"));
  cr_expect_str_eq(pt_field(b, "code"), "unsupported");
  cr_expect(strstr(pt_field(b, "hint"), "drs:StartRecovery"), "%s", pt_field(b, "hint"));
  orch_plan_report_free(r);
}

/* A library the sandbox leaves out is said so, with what a plan uses instead (not "declare it with local"). */
Test(compile, a_left_out_library_says_what_to_use) {
  const char *plan = "local t = os.time()\nreturn plan { name = 'p', waves = { wave 'a' { servers = group 'g' } } }\n";
  struct orch_error err = {0};
  struct orch_plan_report *r = validate_under(NULL, plan, &err);
  cr_assert(r, "%s", err.message);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect(strstr(pt_field(p, "message"), "undefined global 'os'"), "%s", pt_field(p, "message"));
  cr_expect(strstr(pt_field(p, "hint"), "w:now()"), "%s", pt_field(p, "hint"));
  cr_expect_null(strstr(pt_field(p, "hint"), "local os"), "%s", pt_field(p, "hint"));
  orch_plan_report_free(r);
}

/* Durations are limits or targets: "0s" is refused, and a tag of the wrong type is that problem alone (not
 * also an "empty tag query"). */
Test(compile, zero_durations_and_bad_tags_are_one_problem_each) {
  const char *plan = "return plan { name = 'p', rto_target = '0s',\n"
                     "  waves = { wave 'a' { servers = tags { Tier = 5 }, timeout = '0s' } } }\n";
  struct orch_error err = {0};
  struct orch_plan_report *r = validate_under(NULL, plan, &err);
  cr_assert(r, "%s", err.message);
  cr_expect_eq(orch_plan_report_count(r), 3);
  size_t i;
  const json_t *p;
  json_array_foreach(orch_plan_report_problems(r), i, p) {
    cr_expect_neq(strcmp(pt_field(p, "code"), "empty_wave"), 0, "%s", pt_field(p, "message"));
    if (strcmp(pt_field(p, "code"), "bad_duration") == 0)
      cr_expect(strstr(pt_field(p, "message"), "must be longer than 0s"), "%s", pt_field(p, "message"));
  }
  orch_plan_report_free(r);
}

/* A wave's launch settings add to the plan's key by key (tags too): what the wave does not say, the plan's
 * settings give (issue 14 #12: they used to replace them). */
Test(compile, wave_launch_settings_merge_over_the_plan_s) {
  struct orch_plan_report *r = pt_validate(
      "return plan { name = 'p', launch = { copy_tags = true, instance_type = 'm5.large', tags = { Env = 'dr', Team = 'db' } },\n"
      "  waves = {\n"
      "    wave 'db' { servers = group 'g', launch = { instance_type = 'r5.xlarge', tags = { Team = 'dba' } } },\n"
      "    wave 'app' { servers = group 'h' },\n"
      "} }\n",
      NULL);
  const json_t *plan = orch_plan_report_plan(r);
  cr_assert(plan, "problems: %zu", orch_plan_report_count(r));
  const json_t *db = json_object_get(json_array_get(json_object_get(plan, "waves"), 0), "launch");
  cr_expect_str_eq(json_string_value(json_object_get(db, "instance_type")), "r5.xlarge", "the wave's own setting wins");
  cr_expect(json_is_true(json_object_get(db, "copy_tags")), "the plan's setting the wave does not name is kept");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(db, "tags"), "Env")), "dr");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(db, "tags"), "Team")), "dba");
  const json_t *app = json_object_get(json_array_get(json_object_get(plan, "waves"), 1), "launch");
  cr_expect_str_eq(json_string_value(json_object_get(app, "instance_type")), "m5.large", "a wave without launch: the plan's");
  orch_plan_report_free(r);
}
