/* orch_plan_embedded: the Lua half of the engine (the modules in lua/plan and lua/drs) compiled into the
 * binary as text by embed_lua.cmake, and a lookup by module name. Uses nothing. */
#ifndef ORCH_PLAN_EMBEDDED_H
#define ORCH_PLAN_EMBEDDED_H

#include <stddef.h>

struct orch_plan_embedded {
  const char *name;          /* module name: "drs.checks", "plan.dsl" */
  const char *path;          /* "lua/drs/checks.lua", for messages */
  const unsigned char *src;  /* the file's bytes (NUL after the last one) */
  size_t len;
};

/* Terminated by an entry whose name is NULL. Generated at build time. */
extern const struct orch_plan_embedded orch_plan_embedded_modules[];

/* The module called `name`, or NULL. */
const struct orch_plan_embedded *orch_plan_embedded_find(const char *name);

#endif
