/* Tests for orch_config: defaults, file format, environment and flag precedence, typed validation,
 * unknown keys with suggestions, and the settings table matching docs/configuration.md. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/orch_config.h"
#include "core/orch_json.h"

static struct orch_config *cfg;
static char path[64];

static void setup(void) {
  orch_json_init();
  cr_assert_eq(orch_config_new(&cfg), 0);
  snprintf(path, sizeof path, "/tmp/orch-config-test-%d.conf", (int)getpid());
}

static void teardown(void) {
  orch_config_free(cfg);
  unlink(path);
}

TestSuite(config, .init = setup, .fini = teardown);

static void write_file(const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

Test(config, defaults) {
  cr_assert_str_eq(orch_config_str(cfg, "server.listen"), "127.0.0.1:8080");
  cr_assert_eq(orch_config_int(cfg, "server.threads"), 8);
  cr_assert_eq(orch_config_duration_ms(cfg, "server.request_timeout"), 30000);
  cr_assert_str_eq(orch_config_str(cfg, "log.level"), "info");
}

Test(config, file_sections_quotes_comments) {
  write_file("# a comment\n"
             "[server]\n"
             "listen = \"127.0.0.1:9090\"   # trailing comment\n"
             "threads=4\n"
             "\n"
             "[log]\n"
             "level = debug\n"
             "storage.data_dir = \"/tmp/with # hash\"\n");
  struct orch_error err = {0};
  cr_assert_eq(orch_config_load_file(cfg, path, &err), ORCH_EUNKNOWNKEY,
               "a dotted key inside [log] becomes log.storage.data_dir, which is unknown");
  orch_config_free(cfg);
  cr_assert_eq(orch_config_new(&cfg), 0);
  write_file("[server]\nlisten = \"127.0.0.1:9090\"   # trailing\nthreads=4\n[log]\nlevel = debug\n"
             "[storage]\ndata_dir = \"/tmp/with # hash\"\n");
  cr_assert_eq(orch_config_load_file(cfg, path, &err), 0, "%s", err.message);
  cr_assert_str_eq(orch_config_str(cfg, "server.listen"), "127.0.0.1:9090");
  cr_assert_eq(orch_config_int(cfg, "server.threads"), 4);
  cr_assert_str_eq(orch_config_str(cfg, "log.level"), "debug");
  cr_assert_str_eq(orch_config_str(cfg, "storage.data_dir"), "/tmp/with # hash");
}

Test(config, unknown_key_names_line_and_suggests) {
  write_file("[server]\nlisten = \"127.0.0.1:1\"\nthreds = 4\n");
  struct orch_error err = {0};
  cr_assert_eq(orch_config_load_file(cfg, path, &err), ORCH_EUNKNOWNKEY);
  char want[128];
  snprintf(want, sizeof want, "%s:3", path);
  cr_assert_str_eq(err.context, want);
  cr_assert_str_eq(err.message, "unknown setting 'server.threds'; did you mean 'server.threads'?");
}

Test(config, malformed_lines) {
  struct orch_error err = {0};
  const char *bad[] = {"[server\nlisten=x:1\n", "just words\n", "= 3\n", "[server]\nlisten = \"unterminated\n",
                       "[server]\nlisten = \"a\" b\n", "[server]\nthreads = lots\n", "[server]\nthreads = 0\n",
                       "[server]\nlisten = nohost\n", "[server]\nlisten = h:70000\n", "[log]\nlevel = loud\n",
                       "[server]\nrequest_timeout = 5 minutes\n"};
  const char *msgs[] = {"malformed section header (expected [name])",
                        "expected 'key = value', got 'just words'",
                        "missing key before '='",
                        "unterminated quoted value",
                        "unexpected text after quoted value",
                        "server.threads: expected an integer from 1 to 2048, got 'lots'",
                        "server.threads: expected an integer from 1 to 2048, got '0'",
                        "server.listen: expected HOST:PORT with a port from 0 to 65535, got 'nohost'",
                        "server.listen: expected HOST:PORT with a port from 0 to 65535, got 'h:70000'",
                        "log.level: expected one of debug|info|warn|error, got 'loud'",
                        "server.request_timeout: duration '5 minutes': unknown unit at ' minutes' (use d, h, m, s, ms)"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_file(bad[i]);
    cr_assert_neq(orch_config_load_file(cfg, path, &err), 0, "case %zu accepted", i);
    cr_assert_str_eq(err.message, msgs[i], "case %zu", i);
    cr_assert(strncmp(err.context, path, strlen(path)) == 0, "case %zu: context '%s'", i, err.context);
  }
}

Test(config, missing_file) {
  struct orch_error err = {0};
  cr_assert_eq(orch_config_load_file(cfg, "/nonexistent/drsorch.conf", &err), ORCH_EIO);
  cr_assert_str_eq(err.message, "cannot open config file: No such file or directory");
}

Test(config, precedence_file_then_env_then_flag) {
  write_file("[server]\nthreads = 2\nlisten = 127.0.0.1:1\n[log]\nformat = json\n");
  struct orch_error err = {0};
  cr_assert_eq(orch_config_load_file(cfg, path, &err), 0);
  char *env[] = {"PATH=/bin", "DRSORCH_SERVER_THREADS=3", "DRSORCH_SERVER_LISTEN=127.0.0.1:2", "DRSORCH_CONFIG=x", NULL};
  cr_assert_eq(orch_config_load_env(cfg, env, &err), 0, "%s", err.message);
  cr_assert_eq(orch_config_set(cfg, "server.threads", "5", ORCH_CFG_SRC_FLAG, "--set", &err), 0);
  cr_assert_eq(orch_config_int(cfg, "server.threads"), 5, "flag beats env");
  cr_assert_str_eq(orch_config_str(cfg, "server.listen"), "127.0.0.1:2", "env beats file");
  cr_assert_str_eq(orch_config_str(cfg, "log.format"), "json", "file beats default");
  json_t *shown = orch_config_show_json(cfg);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(shown, "server.threads"), "source")), "flag");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(shown, "server.listen"), "source")), "env");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(shown, "server.listen"), "origin")),
                   "DRSORCH_SERVER_LISTEN");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(shown, "log.format"), "source")), "file");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(shown, "log.level"), "source")), "default");
  json_decref(shown);
}

Test(config, unknown_env_rejected_with_suggestion) {
  char *env[] = {"DRSORCH_SERVER_LISTN=127.0.0.1:1", NULL};
  struct orch_error err = {0};
  cr_assert_eq(orch_config_load_env(cfg, env, &err), ORCH_EUNKNOWNKEY);
  cr_assert_str_eq(err.message, "unknown variable DRSORCH_SERVER_LISTN; did you mean DRSORCH_SERVER_LISTEN?");
  char *bad_value[] = {"DRSORCH_SERVER_THREADS=many", NULL};
  cr_assert_eq(orch_config_load_env(cfg, bad_value, &err), ORCH_ECONFIG);
  cr_assert_str_eq(err.context, "DRSORCH_SERVER_THREADS");
}

Test(config, set_pair) {
  struct orch_error err = {0};
  cr_assert_eq(orch_config_set_pair(cfg, "log.level=warn", "--set", &err), 0);
  cr_assert_str_eq(orch_config_str(cfg, "log.level"), "warn");
  cr_assert_eq(orch_config_set_pair(cfg, "log.level", "--set", &err), ORCH_ECONFIG);
  cr_assert_str_eq(err.message, "expected KEY=VALUE, got 'log.level'");
  cr_assert_eq(orch_config_set_pair(cfg, "=x", "--set", &err), ORCH_ECONFIG);
  cr_assert_eq(orch_config_set_pair(cfg, "log.levl=warn", "--set", &err), ORCH_EUNKNOWNKEY);
}

/* Every setting is documented in docs/configuration.md with its default: the doc cannot drift. */
Test(config, every_setting_is_documented) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  cr_assert_not_null(src, "ORCH_SOURCE_DIR is not set (run through ctest)");
  char doc_path[1024];
  snprintf(doc_path, sizeof doc_path, "%s/docs/configuration.md", src);
  FILE *f = fopen(doc_path, "r");
  cr_assert_not_null(f, "cannot open %s", doc_path);
  static char doc[65536];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  doc[n] = '\0';
  size_t count = 0;
  const struct orch_config_setting *s = orch_config_settings(&count);
  cr_assert_gt(count, 0);
  for (size_t i = 0; i < count; i++) {
    char needle[256];
    snprintf(needle, sizeof needle, "| `%s` |", s[i].name);
    cr_assert_not_null(strstr(doc, needle), "docs/configuration.md has no row for %s", s[i].name);
    cr_expect(s[i].doc && *s[i].doc, "%s has no one-line meaning", s[i].name);
  }
}
