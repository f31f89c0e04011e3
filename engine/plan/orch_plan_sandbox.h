/* orch_plan_sandbox: one execution's Lua 5.4 state and its limits: a memory-capped allocator, only the
 * libraries plans may use (orch_plan_stdlib), strict read-only globals, text-only load and require, an
 * instruction budget charged by the VM, by allocations and by C functions' work, and a wall-clock limit,
 * through a count hook whose kill is sticky (a pcall cannot swallow it) and runs no plan code on the way
 * out. Every entry into Lua is a coroutine resume whose failure becomes an orch_error naming the plan file
 * and line. Uses Lua 5.4, orch_plan_stdlib, orch_plan_modules, orch_opset, orch_clock, orch_buf. */
#ifndef ORCH_PLAN_SANDBOX_H
#define ORCH_PLAN_SANDBOX_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_clock.h"
#include "core/orch_error.h"

/* The limits of one execution. Zero fields take the defaults of orch_plan_limits_default. */
struct orch_plan_limits {
  size_t memory;            /* bytes of Lua heap for the whole execution (32 MiB) */
  uint64_t instructions;    /* VM instructions per entry: a plan load, or one hook run (50 M) */
  int64_t wall_ms;          /* time spent running Lua per entry, summed over its resumes (2 s) */
  size_t pattern_subject;   /* bytes of a string.find/match/gmatch/gsub subject (1 MiB) */
  uint64_t pattern_steps;   /* matcher steps per pattern call (4 M) */
  size_t json_bytes;        /* bytes of JSON text in and out of json.decode/encode (1 MiB) */
  int json_depth;           /* nesting of JSON values (64) */
  size_t source_bytes;      /* bytes of one chunk: the plan, a module, a load() string (1 MiB) */
  size_t modules;           /* distinct modules one execution may require (64) */
  size_t call_bytes;        /* bytes of one host call's canonical JSON arguments (256 KiB) */
  size_t calls;             /* host calls per hook run (100,000) */
  size_t result_bytes;      /* bytes of one host call's result as JSON (4 MiB) */
};

void orch_plan_limits_default(struct orch_plan_limits *l);
/* Fill the zero fields of `l` from the defaults. */
void orch_plan_limits_complete(struct orch_plan_limits *l);

/* Where `print` and engine diagnostics go: `where` is "file:line" of the plan code (may be ""). */
typedef void (*orch_plan_print_fn)(void *ctx, const char *where, const char *msg);

/* Where the plan's own modules come from: `require "lib.hooks"` asks for "lib.hooks". Fill `out` with
 * the text and `path` with the name used in messages ("plans/lib/hooks.lua"); return 0, ORCH_ENOTFOUND
 * when there is no such module, or another error. */
struct orch_plan_modsrc_ops {
  int (*read)(void *ctx, const char *name, struct orch_buf *out, char *path, size_t pathsz,
              struct orch_error *err);
};

struct orch_plan_sandbox_config {
  struct orch_plan_limits limits;          /* zero fields: defaults */
  const struct orch_clock *clock;          /* for wall-clock limits; NULL: the real clock */
  const char *module_dir;                  /* plan modules are <module_dir>/a/b.lua; NULL: none */
  const struct orch_plan_modsrc_ops *modsrc; /* overrides module_dir when set */
  void *modsrc_ctx;
  orch_plan_print_fn print;                /* NULL: orch_log at info level */
  void *print_ctx;
  /* The operator's ceiling on aws_allow and w:aws (the plans.aws_allow_ceiling setting, orch_opset
   * syntax). NULL or "": the default ceiling, ORCH_OPSET_DEFAULT_CEILING. Validation refuses a plan whose
   * aws_allow exceeds it; a w:aws call beyond it fails with EPERM. */
  const char *aws_allow_ceiling;
};

struct orch_plan_sandbox;

/* A fresh state. Caller frees with orch_plan_sandbox_free (accepts NULL), which returns every byte. */
int orch_plan_sandbox_new(const struct orch_plan_sandbox_config *cfg, struct orch_plan_sandbox **out,
                          struct orch_error *err) ORCH_MUST_CHECK;
void orch_plan_sandbox_free(struct orch_plan_sandbox *sb);

/* Bytes the state holds now / at most since creation. */
size_t orch_plan_sandbox_memory(const struct orch_plan_sandbox *sb);
size_t orch_plan_sandbox_memory_peak(const struct orch_plan_sandbox *sb);
/* Bytes held by every live sandbox of the process (tests check it returns to zero). */
size_t orch_plan_sandbox_live_bytes(void);
const struct orch_plan_limits *orch_plan_sandbox_limits(const struct orch_plan_sandbox *sb);
/* Run a full garbage collection (between hooks: returns a finished hook's memory). */
void orch_plan_sandbox_collect(struct orch_plan_sandbox *sb);

/* ---- For the other modules of engine/plan ---- */

enum orch_plan_status { ORCH_PLAN_DONE, ORCH_PLAN_YIELDED, ORCH_PLAN_ERROR, ORCH_PLAN_KILLED };
const char *orch_plan_status_name(enum orch_plan_status s);

#define ORCH_PLAN_WHERE_MAX 256

/* One activation under one budget: a plan load, or one hook run (over all its resumes). Lives in the
 * caller (the hook, the loader); each coroutine's extra space points at its entry. */
struct orch_plan_entry {
  struct orch_plan_sandbox *sb;
  void *owner;               /* the orch_plan_hook for hooks, NULL for loads */
  uint64_t instructions;     /* used, including charges from C functions */
  int64_t run_ns;            /* Lua running time so far */
  int64_t resumed_ns;        /* monotonic time of the current resume */
  int abort_code;            /* sticky: ORCH_ELIMIT, ORCH_ECANCELLED, ORCH_ENONDETERMINISM */
  char abort_msg[ORCH_ERROR_MESSAGE_MAX];
  char hint[ORCH_ERROR_MESSAGE_MAX]; /* a fix hint for the last error ("did you mean 'wave'?") */
  char where[ORCH_PLAN_WHERE_MAX];   /* "file:line" of the innermost plan frame at the failure */
  char *traceback;           /* owned: the failing stack, innermost first (orch_free) */
  lua_State *co;             /* the coroutine last resumed under this entry */
  bool running;
};

void orch_plan_entry_init(struct orch_plan_entry *e, struct orch_plan_sandbox *sb, void *owner);
/* Release what an entry owns (its traceback). */
void orch_plan_entry_clear(struct orch_plan_entry *e);
/* The entry of the running coroutine (NULL outside any entry, e.g. on the main thread). */
struct orch_plan_entry *orch_plan_entry_of(lua_State *L);
/* Every thread of a sandbox state carries its entry, so this is never NULL. */
struct orch_plan_sandbox *orch_plan_sandbox_of(lua_State *L) __attribute__((returns_nonnull));
lua_State *orch_plan_sandbox_lua(struct orch_plan_sandbox *sb);
const struct orch_clock *orch_plan_sandbox_clock(const struct orch_plan_sandbox *sb);

/* Abort the running entry: sticky, so every later instruction raises again until the coroutine ends.
 * Never returns. */
int orch_plan_abort(lua_State *L, int code, const char *fmt, ...) ORCH_PRINTF(3, 4);
/* Mark an entry aborted from outside Lua (the scheduler cancelling a hook); takes effect at the next
 * instruction it runs. */
void orch_plan_entry_kill(struct orch_plan_entry *e, int code, const char *msg);
/* A C function doing work proportional to `cost` charges it to the instruction budget; aborts the
 * entry when the budget (or the time limit) is spent. */
void orch_plan_charge(lua_State *L, uint64_t cost);
/* The same for C code holding resources that a raise would leak: never raises. Returns 0, or the sticky
 * abort code (ORCH_ELIMIT) after marking the entry: release what you hold, then orch_plan_abort. */
int orch_plan_charge_soft(lua_State *L, uint64_t cost) ORCH_MUST_CHECK;
/* Instructions the running entry may still use (UINT64_MAX outside an entry). */
uint64_t orch_plan_budget_left(lua_State *L);
/* Charge parsing `len` bytes of Lua source (load, require, the plan file). */
void orch_plan_charge_parse(lua_State *L, size_t len);
/* Raise a plain error whose message is `msg` with a fix hint kept for the report. Never returns. */
int orch_plan_raise_hint(lua_State *L, const char *hint, const char *fmt, ...) ORCH_PRINTF(3, 4);
/* "file:line" of the innermost plan frame (a chunk loaded from a plan file, not the engine) at stack
 * level >= `level` of L; "" when none. Returns the line (0 when none). */
int orch_plan_where(lua_State *L, int level, char *out, size_t outsz);

/* A new coroutine bound to `e`, anchored in the registry (*ref). On failure (memory) returns an error. */
int orch_plan_thread_new(struct orch_plan_sandbox *sb, struct orch_plan_entry *e, lua_State **co, int *ref,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* Close a coroutine's pending to-be-closed variables, drop its anchor. Accepts co == NULL. */
void orch_plan_thread_release(struct orch_plan_sandbox *sb, struct orch_plan_entry *e, lua_State *co, int ref);
/* Call `setup(co, ud)` protected on `co`; its results stay on co's stack (use it to push the function and
 * arguments of the first resume: pushing may raise out of memory). */
int orch_plan_thread_setup(struct orch_plan_sandbox *sb, lua_State *co, lua_CFunction setup, void *ud,
                           struct orch_error *err) ORCH_MUST_CHECK;
/* Resume `co` under entry `e` with `nargs` values on its stack. Returns the status; on ERROR or KILLED
 * `err` holds the code (ELUA, ELIMIT, ENONDETERMINISM, ECANCELLED), the message, and "file:line" of the
 * plan as context; e->traceback the stack. `*nres` receives the number of results (DONE, YIELDED). */
enum orch_plan_status orch_plan_resume(struct orch_plan_entry *e, lua_State *co, int nargs, int *nres,
                                       struct orch_error *err);
/* Call `fn(L)` protected on the main thread with `ud` as its light userdata argument. */
int orch_plan_protect(struct orch_plan_sandbox *sb, lua_CFunction fn, void *ud, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Load `len` bytes of Lua text as a chunk named `chunkname` ("@plans/x.lua" for plan files, "=..." for
 * engine code), with `env` (stack index, 0: a fresh strict environment) as its _ENV. Pushes the function,
 * or raises (syntax errors, size limit). Text only. */
void orch_plan_load_chunk(lua_State *L, const char *text, size_t len, const char *chunkname, int env);
/* Push a fresh strict environment for plan code (reads fall through to the read-only globals; unknown
 * reads and every write raise). With `privileged`, the engine's internal table `orch` is visible too. */
void orch_plan_push_env(lua_State *L, bool privileged);
/* The table of engine internals seen by privileged (lua/plan) modules as `orch`; C modules of this
 * layer add their functions to it (pushes it). */
void orch_plan_push_internals(lua_State *L);
/* Send a line to the print sink. */
void orch_plan_print(struct orch_plan_sandbox *sb, const char *where, const char *msg);
/* Suppress print() while a hook replays its journal. */
void orch_plan_sandbox_quiet(struct orch_plan_sandbox *sb, bool quiet);
/* The require state of this sandbox (orch_plan_modules). */
struct orch_plan_modules;
struct orch_plan_modules *orch_plan_sandbox_modules(struct orch_plan_sandbox *sb);
/* The aws_allow ceiling in force (never NULL once the sandbox exists). */
struct orch_opset;
const struct orch_opset *orch_plan_sandbox_ceiling(const struct orch_plan_sandbox *sb);

#endif
