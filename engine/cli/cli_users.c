/* cli_users: `drsorch users add|list|disable|enable` and `drsorch tokens create|list|revoke`, working on the
 * store directly (no server needed), so a script can bootstrap one: `tokens create` prints only the token.
 * Passwords are hashed with scrypt as the API does. Uses orch_store, orch_api_users, orch_api_secret,
 * orch_api_roles, cli_session (the store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/orch_api_roles.h"
#include "api/orch_api_secret.h"
#include "api/orch_api_users.h"
#include "cli/cli.h"
#include "cli/cli_session.h"
#include "core/orch_json.h"
#include "core/orch_time.h"

static const char users_help[] =
    "Usage: drsorch users add NAME --role ROLE [--password-stdin] [OPTIONS]\n"
    "       drsorch users list [--json] [OPTIONS]\n"
    "       drsorch users disable NAME | enable NAME [OPTIONS]\n"
    "\n"
    "Local users of the REST API and the console, in the store. ROLE is Admin, PlanAuthor, Operator,\n"
    "Approver or Viewer. With --password-stdin the first line of standard input is the password (at least\n"
    "12 characters); without it the user cannot sign in with a password. Disabling a user ends their\n"
    "sessions.\n"
    "\nOptions:\n"
    "  --db PATH             the store (default <storage.data_dir>/drsorch.db)\n"
    "  --role ROLE           add: the user's role\n"
    "  --password-stdin      add: read the password from standard input\n"
    "  --json                list: print JSON\n" CLI_COMMON_HELP;

static const char tokens_help[] =
    "Usage: drsorch tokens create --role ROLE [--name NAME] [--expires DURATION] [OPTIONS]\n"
    "       drsorch tokens list [--json] [OPTIONS]\n"
    "       drsorch tokens revoke ID|NAME [OPTIONS]\n"
    "\n"
    "API tokens, in the store. create prints only the token (send it as Authorization: Bearer <token>);\n"
    "it is stored hashed and cannot be shown again.\n"
    "\nOptions:\n"
    "  --db PATH             the store (default <storage.data_dir>/drsorch.db)\n"
    "  --role ROLE           create: Admin, PlanAuthor, Operator, Approver or Viewer\n"
    "  --name NAME           create: a unique name (default cli-<time>)\n"
    "  --expires DURATION    create: valid for this long (90d, 12h); default: no expiry\n"
    "  --json                list: print JSON\n" CLI_COMMON_HELP;

struct args {
  const char *cmd, *role, *name;
  bool password_stdin, json;
  int64_t expires_ms;
  struct cli_target target;
};

static int print_json(json_t *j, struct orch_error *err) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  int rc = !j || orch_json_dump(&b, j, JSON_INDENT(2)) || orch_buf_putc(&b, '\n');
  if (rc) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  else fputs(orch_buf_cstr(&b), stdout);
  orch_buf_free(&b);
  json_decref(j);
  return rc;
}

/* The audit entry of a change made here, as the API records its own: the actor is "cli:" and the login
 * name, the source "cli" (the CLI has the store, not a role). A failure to record is reported, and the
 * change stands (it is already committed). */
static void audit(struct orch_store *store, const char *action, const char *kind, const char *id, json_t *after) {
  const char *login = getenv("USER") ? getenv("USER") : getenv("LOGNAME");
  char actor[ORCH_STORE_ACTOR_MAX + 1], target[96];
  snprintf(actor, sizeof actor, "cli:%s", login && *login ? login : "unknown");
  snprintf(target, sizeof target, "%s/%s", kind, id);
  json_t *details = after ? json_pack("{s:o}", "after", after) : NULL;
  struct orch_store_audit_spec spec = {.actor = actor, .source = "cli", .action = action, .target = target,
                                       .details = details};
  struct orch_error err = {0};
  if (orch_store_audit_append(store, &spec, NULL, &err))
    fprintf(stderr, "drsorch: warning: %s on %s was done but not recorded in the audit log: %s\n", action, target,
            err.message);
  json_decref(details);
}

static int read_password(char *out, size_t n, struct orch_error *err) {
  if (!fgets(out, (int)n, stdin)) return orch_error_setc(err, ORCH_EINVAL, "password", "nothing on standard input");
  out[strcspn(out, "\r\n")] = '\0';
  return 0;
}

static int user_add(struct orch_store *store, const struct args *a, const char *name, struct orch_error *err) {
  char password[ORCH_API_PASSWORD_MAX + 2] = "", hash[ORCH_STORE_SECRET_HASH_MAX + 1] = "";
  int rc = 0;
  if (a->password_stdin && (rc = read_password(password, sizeof password, err))) return rc;
  if (password[0] && (rc = orch_api_password_hash(password, hash, sizeof hash, err))) return rc;
  struct orch_store_user_spec spec = {.name = name, .role = a->role, .password_hash = hash[0] ? hash : NULL};
  struct orch_store_user u;
  if ((rc = orch_store_user_create(store, &spec, &u, err))) return rc;
  audit(store, "user.create", "user", u.id, json_pack("{s:s, s:s}", "name", u.name, "role", u.role));
  printf("user %s added (%s, %s)\n", u.name, u.role, hash[0] ? "can sign in" : "no password: cannot sign in");
  return 0;
}

static int user_list(struct orch_store *store, bool as_json, struct orch_error *err) {
  struct orch_store_user_list l = {0};
  struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX};
  int rc = orch_store_user_list(store, &page, &l, err);
  if (rc) return rc;
  json_t *all = as_json ? json_array() : NULL;
  if (!as_json) printf("%-24s  %-10s  %-9s  %s\n", "NAME", "ROLE", "STATE", "LAST SIGN-IN");
  for (size_t i = 0; i < l.count; i++) {
    const struct orch_store_user *u = &l.items[i];
    char last[ORCH_TIME_ISO_MAX] = "never";
    if (u->last_login_ms) orch_time_iso8601_s(last, u->last_login_ms);
    if (all) json_array_append_new(all, orch_api_user_json(u));
    else printf("%-24s  %-10s  %-9s  %s\n", u->name, u->role, u->disabled ? "disabled" : "enabled", last);
  }
  orch_store_user_list_release(&l);
  return as_json ? print_json(all, err) : 0;
}

static int user_set(struct orch_store *store, const char *name, bool disable, struct orch_error *err) {
  struct orch_store_user u;
  int rc = orch_store_user_find(store, name, &u, err);
  struct orch_store_user_update upd = {.disabled = disable ? 1 : 0};
  if (!rc) rc = orch_store_user_update(store, u.id, &upd, NULL, err);
  if (!rc && disable) rc = orch_store_session_delete_user(store, u.id, err);
  if (!rc) audit(store, "user.update", "user", u.id, json_pack("{s:b}", "disabled", disable));
  if (!rc) printf("user %s %s\n", name, disable ? "disabled (signed out everywhere)" : "enabled");
  return rc;
}

static int token_create(struct orch_store *store, const struct args *a, struct orch_error *err) {
  char name[ORCH_STORE_NAME_MAX + 1], stamp[ORCH_ID_UUID_LEN + 1], secret[ORCH_API_TOKEN_LEN + 1];
  int64_t now = orch_clock_now_ms(orch_clock_real());
  int rc = orch_id_uuid7(stamp, now);
  if (rc) return orch_error_set(err, rc, "no random bytes");
  snprintf(name, sizeof name, "%s", a->name ? a->name : "");
  if (!a->name) snprintf(name, sizeof name, "cli-%.8s%.4s", stamp, stamp + 9);
  struct orch_store_token t;
  rc = orch_api_token_issue(store, name, a->role, a->expires_ms ? now + a->expires_ms : 0, "cli", &t, secret,
                            sizeof secret, err);
  if (!rc) audit(store, "token.create", "token", t.id, json_pack("{s:s, s:s}", "name", t.name, "role", t.role));
  if (!rc) printf("%s\n", secret);
  return rc;
}

static int token_list(struct orch_store *store, bool as_json, struct orch_error *err) {
  struct orch_store_token_list l = {0};
  struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX};
  int rc = orch_store_token_list(store, &page, &l, err);
  if (rc) return rc;
  int64_t now = orch_clock_now_ms(orch_clock_real());
  json_t *all = as_json ? json_array() : NULL;
  if (!as_json) printf("%-36s  %-24s  %-10s  %-8s  %-14s  %s\n", "ID", "NAME", "ROLE", "STATUS", "PREFIX", "LAST USE");
  for (size_t i = 0; i < l.count; i++) {
    const struct orch_store_token *t = &l.items[i];
    char last[ORCH_TIME_ISO_MAX] = "never";
    if (t->last_used_ms) orch_time_iso8601_s(last, t->last_used_ms);
    if (all) json_array_append_new(all, orch_api_token_json(t, now));
    else printf("%-36s  %-24s  %-10s  %-8s  %-14s  %s\n", t->id, t->name, t->role, orch_api_token_status(t, now), t->prefix, last);
  }
  orch_store_token_list_release(&l);
  return as_json ? print_json(all, err) : 0;
}

/* By id, or by name among the listed tokens. */
static int token_revoke(struct orch_store *store, const char *ref, struct orch_error *err) {
  struct orch_store_token_list l = {0};
  struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX};
  char id[ORCH_STORE_ID_MAX + 1] = "";
  int rc = orch_store_token_list(store, &page, &l, err);
  for (size_t i = 0; !rc && i < l.count && !id[0]; i++)
    if (strcmp(l.items[i].id, ref) == 0 || strcmp(l.items[i].name, ref) == 0) snprintf(id, sizeof id, "%s", l.items[i].id);
  orch_store_token_list_release(&l);
  if (!rc && !id[0]) rc = orch_error_set(err, ORCH_ENOTFOUND, "no API token has the id or name '%s'", ref);
  if (!rc) rc = orch_store_token_revoke(store, id, err);
  if (!rc) audit(store, "token.revoke", "token", id, NULL);
  if (!rc) printf("token %s revoked\n", ref);
  return rc;
}

enum { OPT_ROLE = 0x800, OPT_NAME, OPT_EXPIRES, OPT_PASSWORD_STDIN, OPT_JSON };

/* Options of both commands; returns the index of the subcommand in argv, or -1 (exit status in *status). */
static int parse(int argc, char **argv, struct args *a, struct cli_common *common, const char *help, int *status) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           {"db", required_argument, NULL, CLI_OPT_DB},
                                           {"role", required_argument, NULL, OPT_ROLE},
                                           {"name", required_argument, NULL, OPT_NAME},
                                           {"expires", required_argument, NULL, OPT_EXPIRES},
                                           {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {0, 0, 0, 0}};
  int opt, used;
  optind = 1;
  opterr = 0;
  *status = CLI_EXIT_USAGE;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(common, opt, optarg, a->cmd)) < 0) return -1;
    if (used) continue;
    switch (opt) {
      case CLI_OPT_DB:
        if (cli_target_option(&a->target, opt, optarg, a->cmd) < 0) return -1;
        break;
      case OPT_ROLE:
        if (!orch_api_role_parse(optarg))
          return cli_usage_error(a->cmd, "--role must be one of %s, not '%s'", orch_api_role_names(), optarg), -1;
        a->role = orch_api_role_name(orch_api_role_parse(optarg));
        break;
      case OPT_NAME: a->name = optarg; break;
      case OPT_EXPIRES:
        if (cli_duration_option(optarg, "--expires", a->cmd, &a->expires_ms)) return -1;
        if (a->expires_ms <= 0) return cli_usage_error(a->cmd, "--expires must be longer than 0"), -1;
        break;
      case OPT_PASSWORD_STDIN: a->password_stdin = true; break;
      case OPT_JSON: a->json = true; break;
      case 'h': fputs(help, stdout); *status = CLI_EXIT_OK; return -1;
      case ':': return cli_usage_error(a->cmd, "option '%s' needs a value", argv[optind - 1]), -1;
      default: return cli_usage_error(a->cmd, "unknown option '%s'", argv[optind - 1]), -1;
    }
  }
  if (optind == argc) return cli_usage_error(a->cmd, "a subcommand is needed (see --help)"), -1;
  return optind;
}

/* Open the store and run fn. */
static int with_store(const struct args *a, struct cli_common *common,
                      int (*fn)(struct orch_store *, const struct args *, char **, struct orch_error *), char **rest) {
  struct orch_config *cfg = cli_common_load(common, a->cmd);
  if (!cfg) return CLI_EXIT_FAIL;
  struct cli_session s = {0};
  struct orch_error err = {0};
  int status = CLI_EXIT_OK;
  if (cli_session_store(&s, cfg, &a->target, &err) || fn(s.store, a, rest, &err)) status = cli_fail(&err);
  cli_session_close(&s);
  orch_config_free(cfg);
  return status;
}

static int users_run(struct orch_store *store, const struct args *a, char **rest, struct orch_error *err) {
  if (strcmp(rest[0], "add") == 0) return user_add(store, a, rest[1], err);
  if (strcmp(rest[0], "list") == 0) return user_list(store, a->json, err);
  return user_set(store, rest[1], strcmp(rest[0], "disable") == 0, err);
}

int cli_users(int argc, char **argv) {
  struct args a = {.cmd = "users"};
  struct cli_common common = {0};
  int status, i = parse(argc, argv, &a, &common, users_help, &status);
  if (i < 0) return status;
  const char *sub = argv[i];
  int nargs = argc - i - 1;
  bool add = strcmp(sub, "add") == 0, list = strcmp(sub, "list") == 0;
  bool set = strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0;
  if (!add && !list && !set) return cli_usage_error("users", "unknown subcommand '%s' (add, list, disable, enable)", sub);
  if (list ? nargs != 0 : nargs != 1) return cli_usage_error("users", "%s takes %s", sub, list ? "no argument" : "one NAME");
  if (add && !a.role) return cli_usage_error("users", "add needs --role");
  if (!add && (a.role || a.password_stdin)) return cli_usage_error("users", "--role and --password-stdin apply to add");
  return with_store(&a, &common, users_run, argv + i);
}

static int tokens_run(struct orch_store *store, const struct args *a, char **rest, struct orch_error *err) {
  if (strcmp(rest[0], "create") == 0) return token_create(store, a, err);
  if (strcmp(rest[0], "list") == 0) return token_list(store, a->json, err);
  return token_revoke(store, rest[1], err);
}

int cli_tokens(int argc, char **argv) {
  struct args a = {.cmd = "tokens"};
  struct cli_common common = {0};
  int status, i = parse(argc, argv, &a, &common, tokens_help, &status);
  if (i < 0) return status;
  const char *sub = argv[i];
  int nargs = argc - i - 1;
  bool create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0, revoke = strcmp(sub, "revoke") == 0;
  if (!create && !list && !revoke) return cli_usage_error("tokens", "unknown subcommand '%s' (create, list, revoke)", sub);
  if (revoke ? nargs != 1 : nargs != 0) return cli_usage_error("tokens", "%s takes %s", sub, revoke ? "one ID or NAME" : "no argument");
  if (create && !a.role) return cli_usage_error("tokens", "create needs --role");
  if (!create && (a.role || a.name || a.expires_ms)) return cli_usage_error("tokens", "--role, --name and --expires apply to create");
  if (a.password_stdin) return cli_usage_error("tokens", "--password-stdin applies to users add");
  return with_store(&a, &common, tokens_run, argv + i);
}
