/* stub_check: the LuaLS annotation stubs in lua/types/ must document exactly the API plan code has:
 * every DSL global (`function plan(`), every hook context method (`function Context:aws(`) and every
 * json member (`function json.encode(`, `json.null =`), and nothing the engine does not provide.
 * Usage: stub_check DIR. Uses orch_plan_api. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"
#include "plan/orch_plan_api.h"
#include "plan/orch_plan_compile.h"

/* The identifier at s (letters, digits, '_') into out. */
static void ident(const char *s, char *out, size_t outsz) {
  size_t n = 0;
  while (n + 1 < outsz && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
                           s[n] == '_'))
    n++;
  snprintf(out, outsz, "%.*s", (int)n, s);
}

static int add_unique(json_t *arr, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), name) == 0) return 0;
  return json_array_append_new(arr, json_string(name));
}

static int scan(const char *path, json_t *globals, json_t *context, json_t *jsonm) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  struct orch_error err = {0};
  if (orch_plan_read_file(path, 1 << 20, &b, &err)) {
    fprintf(stderr, "%s: %s\n", path, err.message);
    return 1;
  }
  const char *p = orch_buf_cstr(&b);
  char name[128];
  while (*p) {
    const char *nl = strchr(p, '\n');
    if (orch_str_starts_with(p, "function Context:")) {
      ident(p + 17, name, sizeof name);
      if (add_unique(context, name)) return 1;
    } else if (orch_str_starts_with(p, "function json.")) {
      ident(p + 14, name, sizeof name);
      if (add_unique(jsonm, name)) return 1;
    } else if (orch_str_starts_with(p, "json.null =")) {
      if (add_unique(jsonm, "null")) return 1;
    } else if (orch_str_starts_with(p, "function ")) {
      ident(p + 9, name, sizeof name);
      if (p[9 + strlen(name)] == '(' && add_unique(globals, name)) return 1;
    }
    if (!nl) break;
    p = nl + 1;
  }
  orch_buf_free(&b);
  return 0;
}

static int compare(const char *what, const json_t *engine, const json_t *stubs) {
  int bad = 0;
  size_t i;
  json_t *v;
  json_array_foreach(engine, i, v) {
    int found = 0;
    size_t k;
    json_t *s;
    json_array_foreach(stubs, k, s) found |= json_equal(s, v);
    if (!found) {
      fprintf(stderr, "lua/types: %s '%s' is not documented\n", what, json_string_value(v));
      bad++;
    }
  }
  json_array_foreach(stubs, i, v) {
    int found = 0;
    size_t k;
    json_t *s;
    json_array_foreach(engine, k, s) found |= json_equal(s, v);
    if (!found) {
      fprintf(stderr, "lua/types: %s '%s' is documented but the engine has no such thing\n", what,
              json_string_value(v));
      bad++;
    }
  }
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: stub_check DIR\n");
    return 2;
  }
  orch_json_init();
  json_t *api = NULL;
  struct orch_error err = {0};
  if (orch_plan_api_describe(&api, &err)) {
    fprintf(stderr, "describe: %s\n", err.message);
    return 1;
  }
  json_t *globals = json_array(), *context = json_array(), *jsonm = json_array();
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "%s: cannot open\n", argv[1]);
    return 1;
  }
  int bad = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!orch_str_ends_with(de->d_name, ".lua")) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
    bad += scan(path, globals, context, jsonm);
  }
  closedir(d);
  bad += compare("global", json_object_get(api, "globals"), globals);
  bad += compare("context method", json_object_get(api, "context"), context);
  bad += compare("json member", json_object_get(api, "json"), jsonm);
  size_t total = json_array_size(globals) + json_array_size(context) + json_array_size(jsonm);
  printf("lua/types: %zu documented names checked, %d problem%s\n", total, bad, bad == 1 ? "" : "s");
  printf("%d passed, %d failed\n", bad ? 0 : 1, bad ? 1 : 0);
  json_decref(api);
  json_decref(globals);
  json_decref(context);
  json_decref(jsonm);
  return bad ? 1 : 0;
}
