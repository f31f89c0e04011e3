/* orch_plan_modules: `require` inside the sandbox. Names are dotted identifiers only ("lib.hooks",
 * "drs.checks"): "drs.*" resolves to the engine library embedded from lua/drs, anything else to the plan's
 * own modules (<module_dir>/lib/hooks.lua, or a caller-supplied source such as the store). Modules load as
 * text, once per execution, each with its own strict environment; "plan.*" modules are the engine's
 * internals and load only from C. Uses orch_plan_sandbox, orch_plan_embedded, orch_buf, orch_str. */
#ifndef ORCH_PLAN_MODULES_H
#define ORCH_PLAN_MODULES_H

#include <lua.h>
#include <stddef.h>

#include "core/orch_error.h"
#include "plan/orch_plan_sandbox.h"

#define ORCH_PLAN_MODULE_NAME_MAX 128

struct orch_plan_modules {
  char *dir; /* owned; NULL when the plan has no module directory */
  const struct orch_plan_modsrc_ops *ops;
  void *ctx;
  size_t count; /* modules loaded so far */
};

int orch_plan_modules_init(struct orch_plan_modules *m, const char *dir, const struct orch_plan_modsrc_ops *ops,
                           void *ctx, struct orch_error *err) ORCH_MUST_CHECK;
void orch_plan_modules_free(struct orch_plan_modules *m);

/* Install `require` into the globals table at `base` and `orch.require` into the internals. */
void orch_plan_modules_open(lua_State *L, int base);
/* Push the value of engine module `name` ("plan.dsl", "drs.checks"), loading it once. Raises on error. */
void orch_plan_modules_require_internal(lua_State *L, const char *name);
/* Whether `name` is a well-formed module name. */
int orch_plan_module_name_ok(const char *name);

/* The module source that reads <dir>/<a>/<b>.lua, refusing paths that leave `dir` (ctx: the dir string). */
extern const struct orch_plan_modsrc_ops orch_plan_modsrc_dir;

#endif
