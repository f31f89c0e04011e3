/* cli_common: configuration loading shared by subcommands, usage errors and failure messages.
 * Uses orch_config, orch_log. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_log.h"
#include "core/orch_str.h"

extern char **environ;

bool cli_common_flag(struct cli_common *c, const char *name, const char *value, const char *flag) {
  if (c->nflags >= CLI_MAX_FLAGS) return false;
  c->flags[c->nflags].name = name;
  c->flags[c->nflags].value = value;
  c->flags[c->nflags].flag = flag;
  c->nflags++;
  return true;
}

int cli_common_option(struct cli_common *c, int opt, const char *arg, const char *cmd) {
  bool ok = true;
  switch (opt) {
    case 0x100: c->config_path = arg; return 1;
    case 0x101: ok = cli_common_flag(c, NULL, arg, "--set"); break;
    case 0x102: ok = cli_common_flag(c, "log.level", arg, "--log-level"); break;
    case 0x103: ok = cli_common_flag(c, "log.format", arg, "--log-format"); break;
    default: return 0;
  }
  if (!ok) {
    cli_usage_error(cmd, "too many settings on the command line (at most %d)", CLI_MAX_FLAGS);
    return -1;
  }
  return 1;
}

struct orch_config *cli_common_load_err(struct cli_common *c, struct orch_error *err) {
  struct orch_config *cfg = NULL;
  if (orch_config_new(&cfg)) {
    orch_error_set(err, ORCH_ENOMEM, "out of memory");
    return NULL;
  }
  const char *path = c->config_path ? c->config_path : getenv("DRSORCH_CONFIG");
  if (path && *path && orch_config_load_file(cfg, path, err)) goto fail;
  if (orch_config_load_env(cfg, environ, err)) goto fail;
  for (size_t i = 0; i < c->nflags; i++) {
    int rc = c->flags[i].name
                 ? orch_config_set(cfg, c->flags[i].name, c->flags[i].value, ORCH_CFG_SRC_FLAG, c->flags[i].flag, err)
                 : orch_config_set_pair(cfg, c->flags[i].value, c->flags[i].flag, err);
    if (rc) goto fail;
  }
  enum orch_log_level level = ORCH_LOG_INFO;
  enum orch_log_format format = ORCH_LOG_TEXT;
  /* Both were validated as enum settings, so these parses cannot fail. */
  if (orch_log_level_parse(orch_config_str(cfg, "log.level"), &level) ||
      orch_log_format_parse(orch_config_str(cfg, "log.format"), &format)) {
    orch_error_set(err, ORCH_ECONFIG, "log settings are inconsistent");
    goto fail;
  }
  orch_log_configure(level, format, NULL);
  return cfg;
fail:
  orch_config_free(cfg);
  return NULL;
}

struct orch_config *cli_common_load(struct cli_common *c, const char *cmd) {
  struct orch_error err = {0};
  struct orch_config *cfg = cli_common_load_err(c, &err);
  if (!cfg && err.code == ORCH_ENOMEM) fprintf(stderr, "drsorch %s: out of memory\n", cmd);
  else if (!cfg) cli_fail(&err);
  return cfg;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "drsorch%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'drsorch%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
  return CLI_EXIT_USAGE;
}

int cli_listen_check(const char *arg, const char *cmd) {
  const char *colon = strrchr(arg, ':');
  long long port;
  if (!colon || colon == arg || orch_str_to_ll(colon + 1, 0, 65535, &port)) {
    cli_usage_error(cmd, "--listen needs HOST:PORT with a port from 0 to 65535 (0 picks a free one), not '%s'", arg);
    return -1;
  }
  return 0;
}

int cli_fail(const struct orch_error *err) {
  char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
  fprintf(stderr, "drsorch: %s\n", orch_error_format(err, line, sizeof line));
  return CLI_EXIT_FAIL;
}
