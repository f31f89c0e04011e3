/* orch_config: the engine's settings. Every setting has a name ("server.listen"), a type, a default and
 * a one-line meaning, all in one table. Values come from, in rising precedence: the default, a config
 * file, DRSORCH_* environment variables, and command-line flags. Unknown keys are rejected with the
 * nearest valid name. File format: docs/configuration.md. Uses orch_str, orch_time, orch_buf, jansson. */
#ifndef ORCH_CONFIG_H
#define ORCH_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

enum orch_config_type {
  ORCH_CFG_STRING,
  ORCH_CFG_INT,      /* decimal, within [min, max] */
  ORCH_CFG_BOOL,     /* true/false, yes/no, on/off, 1/0 */
  ORCH_CFG_DURATION, /* "5s", "1h30m" (orch_duration_parse) */
  ORCH_CFG_ENUM,     /* one of `choices` ("a|b|c") */
  ORCH_CFG_ADDR,     /* HOST:PORT, port 0..65535 */
  ORCH_CFG_OPLIST,   /* AWS operation patterns, "ec2:Describe*, drs:StartRecovery" (orch_opset) */
};

enum orch_config_source { ORCH_CFG_SRC_DEFAULT, ORCH_CFG_SRC_FILE, ORCH_CFG_SRC_ENV, ORCH_CFG_SRC_FLAG };

struct orch_config_setting {
  const char *name;
  enum orch_config_type type;
  const char *def;
  const char *doc;
  const char *choices; /* ORCH_CFG_ENUM */
  long long min, max;  /* ORCH_CFG_INT */
};

struct orch_config;

/* The settings table (NULL-name terminated) and its length. */
const struct orch_config_setting *orch_config_settings(size_t *count);

/* A configuration holding every default. Caller frees with orch_config_free (accepts NULL). */
int orch_config_new(struct orch_config **out) ORCH_MUST_CHECK;
void orch_config_free(struct orch_config *cfg);

/* Apply a config file. Errors name "path:line" in err->context and stop at the first problem. */
int orch_config_load_file(struct orch_config *cfg, const char *path, struct orch_error *err) ORCH_MUST_CHECK;
/* Apply DRSORCH_<SECTION>_<KEY> variables from `envp` (NULL-terminated "K=V" strings). Unknown
 * DRSORCH_* names are rejected, but for the reserved DRSORCH_CONFIG (the config file path) and
 * DRSORCH_URL / DRSORCH_TOKEN (the server `drsorch ctl` talks to). */
int orch_config_load_env(struct orch_config *cfg, char *const *envp, struct orch_error *err) ORCH_MUST_CHECK;
/* Set one value, checked against the setting's type. `origin` says where it came from ("--listen"). */
int orch_config_set(struct orch_config *cfg, const char *name, const char *value,
                    enum orch_config_source src, const char *origin, struct orch_error *err) ORCH_MUST_CHECK;
/* "KEY=VALUE" as given to --set. */
int orch_config_set_pair(struct orch_config *cfg, const char *pair, const char *origin,
                         struct orch_error *err) ORCH_MUST_CHECK;

/* Typed reads of a known setting (an unknown name aborts in debug builds: it is a programming error).
 * Strings live as long as the configuration. */
const char *orch_config_str(const struct orch_config *cfg, const char *name);
long long orch_config_int(const struct orch_config *cfg, const char *name);
bool orch_config_bool(const struct orch_config *cfg, const char *name);
int64_t orch_config_duration_ms(const struct orch_config *cfg, const char *name);

/* Effective values with where each came from, as text lines or as a JSON object. */
int orch_config_show_text(const struct orch_config *cfg, struct orch_buf *out) ORCH_MUST_CHECK;
json_t *orch_config_show_json(const struct orch_config *cfg);

#endif
