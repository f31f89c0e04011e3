/* orch_sim_scenario_docs: a scenario region's own SSM documents ("documents": name, type, platforms,
 * format, status, description): what DescribeDocument reports beside the AWS-owned ones, and what
 * SendCommand and StartAutomationExecution accept by name. Validated with the JSON path of each problem.
 * Uses orch_sim_world, orch_json, orch_str, orch_alloc. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "sim/orch_sim_scenario.h"
#include "sim/orch_sim_scenario_int.h"

static bool valid_document_name(const char *s) {
  size_t n = strlen(s);
  if (n < 3 || n > 128) return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '_' || s[i] == '-' || s[i] == '.'))
      return false;
  return true;
}

static bool starts_with_nocase(const char *s, const char *lower_prefix) {
  for (; *lower_prefix; s++, lower_prefix++) {
    char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
    if (c != *lower_prefix) return false;
  }
  return true;
}

static int document_platforms(const json_t *d, const char *path, unsigned *out, struct orch_error *err) {
  static const char *const names[] = {"Windows", "Linux", "MacOS", NULL};
  static const unsigned bits[] = {ORCH_SIM_PLATFORM_WINDOWS, ORCH_SIM_PLATFORM_LINUX, ORCH_SIM_PLATFORM_MACOS};
  json_t *arr = NULL, *v;
  char pp[ORCH_JSON_PATH_MAX], p[ORCH_JSON_PATH_MAX];
  size_t i;
  int rc = orch_json_get_array(d, path, "platforms", false, &arr, err);
  if (rc || !arr) return rc;
  orch_json_path_key(pp, path, "platforms");
  if (json_array_size(arr) == 0) return orch_error_setc(err, ORCH_EVALIDATION, pp, "name at least one platform");
  *out = 0;
  json_array_foreach(arr, i, v) {
    orch_json_path_index(p, pp, i);
    if ((rc = orch_json_expect(v, p, JSON_STRING, err))) return rc;
    const char *s = json_string_value(v);
    size_t k;
    for (k = 0; names[k] && strcmp(names[k], s) != 0; k++) continue;
    if (!names[k]) {
      const char *near = orch_str_nearest(s, names);
      if (near) return orch_error_setc(err, ORCH_EVALIDATION, p, "unknown platform '%s'; did you mean '%s'?", s, near);
      return orch_error_setc(err, ORCH_EVALIDATION, p, "unknown platform '%s' (Windows, Linux or MacOS)", s);
    }
    if (*out & bits[k]) return orch_error_setc(err, ORCH_EEXIST, p, "platform %s listed twice", s);
    *out |= bits[k];
  }
  return 0;
}

int orch_sim_scenario_documents(struct orch_sim_env *env, const json_t *r, const char *path, struct orch_error *err) {
  static const char *const keys[] = {"name", "type", "platforms", "format", "status", "description", NULL};
  static const char *const types[] = {"Command", "Automation", NULL};
  static const char *const formats[] = {"JSON", "YAML", NULL};
  static const char *const statuses[] = {"Active", "Creating", "Updating", "Deleting", "Failed", NULL};
  static const char *const reserved[] = {"aws", "amazon", "amzn", NULL};
  json_t *arr = NULL, *d;
  size_t i;
  char p[ORCH_JSON_PATH_MAX], dp[ORCH_JSON_PATH_MAX], fp[ORCH_JSON_PATH_MAX];
  int rc = orch_json_get_array(r, path, "documents", false, &arr, err);
  if (rc || !arr) return rc;
  orch_json_path_key(dp, path, "documents");
  if (json_array_size(arr) > ORCH_SIM_MAX_DOCUMENTS)
    return orch_error_setc(err, ORCH_ETOOBIG, dp, "at most %d documents", ORCH_SIM_MAX_DOCUMENTS);
  struct orch_sim_document *docs = orch_calloc(json_array_size(arr) + 1, sizeof *docs);
  size_t n = 0;
  if (!docs) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_array_foreach(arr, i, d) {
    const char *name = NULL, *desc = NULL;
    struct orch_sim_document *doc = &docs[n];
    orch_json_path_index(p, dp, i);
    if ((rc = orch_json_expect(d, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(d, p, keys, err)) ||
        (rc = orch_json_get_str(d, p, "name", true, &name, err)) ||
        (rc = orch_json_get_str(d, p, "description", false, &desc, err)))
      goto fail;
    orch_json_path_key(fp, p, "name");
    if (!valid_document_name(name)) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, fp,
                           "a document name is 3-128 letters, digits, '_', '-' or '.', not '%s'", name);
      goto fail;
    }
    for (size_t k = 0; reserved[k]; k++) {
      if (starts_with_nocase(name, reserved[k])) {
        rc = orch_error_setc(err, ORCH_EVALIDATION, fp,
                             "'%s': names starting with aws, amazon or amzn are reserved for AWS", name);
        goto fail;
      }
    }
    for (size_t k = 0; k < n; k++) {
      if (strcmp(docs[k].name, name) == 0) {
        rc = orch_error_setc(err, ORCH_EEXIST, fp, "document %s listed twice", name);
        goto fail;
      }
    }
    snprintf(doc->name, sizeof doc->name, "%s", name);
    snprintf(doc->type, sizeof doc->type, "Command");
    snprintf(doc->format, sizeof doc->format, "JSON");
    snprintf(doc->status, sizeof doc->status, "Active");
    n++;
    if ((rc = orch_sim_scenario_enum(d, p, "type", types, doc->type, sizeof doc->type, err)) ||
        (rc = orch_sim_scenario_enum(d, p, "format", formats, doc->format, sizeof doc->format, err)) ||
        (rc = orch_sim_scenario_enum(d, p, "status", statuses, doc->status, sizeof doc->status, err)))
      goto fail;
    /* Unnamed platforms: those of AWS-RunShellScript for a command, every platform for an automation. */
    doc->platforms = strcmp(doc->type, "Automation") == 0
                         ? ORCH_SIM_PLATFORM_WINDOWS | ORCH_SIM_PLATFORM_LINUX | ORCH_SIM_PLATFORM_MACOS
                         : ORCH_SIM_PLATFORM_LINUX | ORCH_SIM_PLATFORM_MACOS;
    if ((rc = document_platforms(d, p, &doc->platforms, err))) goto fail;
    doc->description = orch_strdup(desc ? desc : "");
    if (!doc->description) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      goto fail;
    }
  }
  env->docs = docs;
  env->ndocs = n;
  return 0;
fail:
  for (size_t k = 0; k < n; k++) orch_free(docs[k].description);
  orch_free(docs);
  return rc;
}
