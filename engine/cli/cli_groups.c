/* cli_groups: `drsorch groups import FILE` (protection groups from a JSON array: every item checked, with
 * the JSON path of any problem, before anything is written; existing names are updated) and `drsorch
 * groups list`. Uses orch_store (groups, its input checks), orch_json, cli_session (the store). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_session.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_time.h"
#include "store/orch_store_valid.h"
#include "core/orch_str.h"

#define GROUPS_FILE_MAX ((size_t)16 * 1024 * 1024)

static const char groups_help[] =
    "Usage: drsorch groups import FILE [OPTIONS]\n"
    "       drsorch groups list [OPTIONS]\n"
    "\n"
    "Protection groups: named sets of DRS source servers in one account and region, chosen by explicit\n"
    "ids or by tags (resolved when an execution starts). Plans select them with group \"name\".\n"
    "\n"
    "import FILE   read a JSON array of groups and store them; a group whose name exists is updated.\n"
    "              Every item is checked first (problems name the JSON path, e.g. [2].server_ids[0]);\n"
    "              with any problem nothing is written. An item:\n"
    "                {\"name\": \"orders-db\", \"account\": \"111122223333\", \"region\": \"us-east-1\",\n"
    "                 \"server_ids\": [\"s-0123456789abcdef0\"] | \"tags\": {\"App\": \"orders\"},\n"
    "                 \"launch_overrides\": {...}}            (launch_overrides is optional)\n"
    "list          every group: name, account, region and selector\n"
    "\nOptions:\n"
    "  --db PATH|SPEC        the store: a SQLite file (default <storage.data_dir>/drsorch.db) or\n"
    "                        dynamodb:PREFIX?region=R[&endpoint=URL] (docs/store.md)\n"
    "  --json                list: print JSON\n" CLI_COMMON_HELP
    "\nExit status: 0 done; 1 problems in FILE or an error; 2 usage.\n";

static const char *const item_keys[] = {"name", "account", "region", "server_ids", "tags", "launch_overrides", NULL};

/* "FILE: [1].server_ids[0]" as the error's context: the store names a field ("selector.tags", "account");
 * the file has the selector's members at the item's top level. */
static void at_path(struct orch_error *err, const char *file, size_t i, const char *field) {
  char base[ORCH_JSON_PATH_MAX], path[ORCH_JSON_PATH_MAX];
  orch_json_path_index(base, "", i);
  if (field && strncmp(field, "selector.", 9) == 0) field += 9;
  if (field && *field && strcmp(field, "selector") != 0) orch_str_fmt(path, sizeof path, "%s.%s", base, field);
  else orch_str_fmt(path, sizeof path, "%s", base);
  orch_str_fmt(err->context, sizeof err->context, "%s: %s", file, path);
}

/* The error's context prefixed with the file it is in ("FILE: [1].account"). */
static void in_file(struct orch_error *err, const char *file) {
  char ctx[ORCH_ERROR_CONTEXT_MAX];
  memcpy(ctx, err->context, sizeof ctx);
  ctx[sizeof ctx - 1] = '\0';
  orch_str_fmt(err->context, sizeof err->context, "%s: %s", file, ctx);
}

/* One problem: printed at once ("drsorch: FILE: [1].account: ..."), counted, and the error cleared for
 * the next check, so that a file's every problem is reported in one go. */
static void problem(struct orch_error *err, size_t *problems) {
  cli_fail(err);
  (*problems)++;
  orch_error_clear(err);
}

/* The spec of item `i` (selector built into *sel, caller decrefs), checked as the store will check it;
 * every problem of the item is printed and counted. */
static void check_item(const json_t *item, size_t i, const char *file, struct orch_store_group_spec *spec, json_t **sel,
                       size_t *problems, struct orch_error *err) {
  char base[ORCH_JSON_PATH_MAX];
  orch_json_path_index(base, "", i);
  json_t *ids = NULL, *tags = NULL, *overrides = NULL;
  if (orch_json_expect(item, base, JSON_OBJECT, err)) goto bad_json;
  /* Each lookup on its own: one wrong member does not hide the next. */
  const char *names[] = {"name", "account", "region"};
  const char **outs[] = {&spec->name, &spec->account, &spec->region};
  bool broken = false;
  if (orch_json_check_keys(item, base, item_keys, err)) {
    in_file(err, file);
    problem(err, problems);
  }
  for (size_t k = 0; k < 3; k++)
    if (orch_json_get_str(item, base, names[k], true, outs[k], err)) {
      in_file(err, file);
      problem(err, problems);
      broken = true;
    }
  if (orch_json_get_array(item, base, "server_ids", false, &ids, err) ||
      orch_json_get_object(item, base, "tags", false, &tags, err) ||
      orch_json_get_object(item, base, "launch_overrides", false, &overrides, err))
    goto bad_json;
  if (!ids == !tags) {
    orch_error_set(err, ORCH_EVALIDATION, ids ? "has both server_ids and tags; give one" : "needs server_ids or tags");
    at_path(err, file, i, NULL);
    problem(err, problems);
    return;
  }
  *sel = ids ? json_pack("{s:O}", "server_ids", ids) : json_pack("{s:O}", "tags", tags);
  if (!*sel) {
    orch_error_set(err, ORCH_ENOMEM, "out of memory");
    problem(err, problems);
    return;
  }
  spec->selector = *sel;
  spec->launch_overrides = overrides;
  if (!broken && orch_store_valid_name(spec->name, "name", err)) at_path(err, file, i, err->context), problem(err, problems);
  if (!broken && orch_store_valid_account(spec->account, "account", err)) at_path(err, file, i, err->context), problem(err, problems);
  if (!broken && orch_store_valid_region(spec->region, "region", err)) at_path(err, file, i, err->context), problem(err, problems);
  if (orch_store_valid_selector(spec->selector, err)) at_path(err, file, i, err->context), problem(err, problems);
  if (orch_store_valid_object(spec->launch_overrides, true, "launch_overrides", err))
    at_path(err, file, i, err->context), problem(err, problems);
  return;
bad_json:
  in_file(err, file);
  problem(err, problems);
}

int cli_groups_import(struct orch_store *store, const char *file, struct orch_error *err) {
  struct orch_buf text = ORCH_BUF_INIT(GROUPS_FILE_MAX);
  json_t *doc = NULL, **sels = NULL;
  struct orch_store_group_spec *specs = NULL;
  size_t n = 0, created = 0, updated = 0;
  FILE *f = fopen(file, "rb");
  int rc = 0;
  if (!f) return orch_error_setc(err, ORCH_EIO, file, "cannot open: %s", strerror(errno));
  char chunk[8192];
  size_t got;
  while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0) rc = orch_buf_append(&text, chunk, got);
  if (!rc && ferror(f)) rc = ORCH_EIO;
  fclose(f);
  if (rc) {
    rc = orch_error_setc(err, rc == ORCH_EIO ? ORCH_EIO : ORCH_ETOOBIG, file,
                         rc == ORCH_EIO ? "read error" : "larger than %zu bytes", GROUPS_FILE_MAX);
    goto out;
  }
  if (!(doc = orch_json_parse(text.data ? text.data : "", text.len, 0, err))) {
    snprintf(err->context, sizeof err->context, "%s", file);
    rc = err->code;
    goto out;
  }
  if ((rc = orch_json_expect(doc, "", JSON_ARRAY, err))) {
    snprintf(err->context, sizeof err->context, "%s", file);
    orch_error_prefix(err, "a JSON array of groups is expected");
    goto out;
  }
  n = json_array_size(doc);
  specs = orch_calloc(n ? n : 1, sizeof *specs);
  sels = orch_calloc(n ? n : 1, sizeof *sels);
  if (!specs || !sels) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  size_t problems = 0;
  for (size_t i = 0; i < n; i++) {
    check_item(json_array_get(doc, i), i, file, &specs[i], &sels[i], &problems, err);
    for (size_t j = 0; specs[i].name && j < i; j++) {
      if (!specs[j].name || strcmp(specs[j].name, specs[i].name) != 0) continue;
      orch_error_set(err, ORCH_EVALIDATION, "'%s' is also the name of [%zu]", specs[i].name, j);
      at_path(err, file, i, "name");
      problem(err, &problems);
      break;
    }
  }
  if (problems) {
    rc = orch_error_setc(err, ORCH_EVALIDATION, file, "%zu problem%s (each above): nothing was imported", problems,
                         problems == 1 ? "" : "s");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    struct orch_store_group g = {0};
    rc = orch_store_group_find(store, specs[i].name, &g, err);
    if (rc == ORCH_ENOTFOUND) {
      rc = orch_store_group_create(store, &specs[i], NULL, err);
      created += !rc;
    } else if (!rc) {
      rc = orch_store_group_update(store, g.id, &specs[i], NULL, err);
      updated += !rc;
    }
    orch_store_group_release(&g);
    if (rc) {
      at_path(err, file, i, err->context);
      if (created + updated)
        orch_error_prefix(err, "%zu group(s) before it were stored", created + updated);
      goto out;
    }
  }
  printf("%zu group(s) imported from %s: %zu created, %zu updated\n", n, file, created, updated);
out:
  for (size_t i = 0; sels && i < n; i++) json_decref(sels[i]);
  orch_free(sels);
  orch_free(specs);
  json_decref(doc);
  orch_buf_free(&text);
  return rc;
}

static json_t *group_json(const struct orch_store_group *g) {
  char created[ORCH_TIME_ISO_MAX], updated[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(created, g->created_ms);
  orch_time_iso8601(updated, g->updated_ms);
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", g->id, "name", g->name, "account", g->account, "region",
                        g->region, "created_at", created, "updated_at", updated);
  const char *k;
  json_t *v;
  json_object_foreach(g->selector, k, v) {
    if (o && json_object_set(o, k, v)) {
      json_decref(o);
      return NULL;
    }
  }
  if (o && g->launch_overrides && json_object_set(o, "launch_overrides", g->launch_overrides)) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* "12 servers" or "tags App=orders,Tier=db". */
static void selector_text(json_t *sel, char *out, size_t n) {
  json_t *ids = json_object_get(sel, "server_ids"), *tags = json_object_get(sel, "tags");
  if (ids) {
    snprintf(out, n, "%zu server%s", json_array_size(ids), json_array_size(ids) == 1 ? "" : "s");
    return;
  }
  size_t used = (size_t)snprintf(out, n, "tags ");
  const char *k;
  json_t *v;
  json_object_foreach(tags, k, v) {
    if (used >= n) break;
    int w = snprintf(out + used, n - used, "%s%s=%s", used > 5 ? "," : "", k, json_string_value(v) ? json_string_value(v) : "");
    if (w < 0) break;
    used += (size_t)w;
  }
}

static int list_groups(struct orch_store *store, bool as_json, struct orch_error *err) {
  json_t *all = json_array();
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  int rc = all ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!rc && !as_json) printf("%-32s %-12s %-15s %s\n", "NAME", "ACCOUNT", "REGION", "SERVERS");
  while (!rc) {
    struct orch_store_group_list list = {0};
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    if ((rc = orch_store_group_list(store, &page, &list, err))) break;
    for (size_t i = 0; !rc && i < list.count; i++) {
      const struct orch_store_group *g = &list.items[i];
      if (as_json) {
        json_t *o = group_json(g);
        if (!o || json_array_append_new(all, o)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      } else {
        char sel[256];
        selector_text(g->selector, sel, sizeof sel);
        printf("%-32s %-12s %-15s %s%s\n", g->name, g->account, g->region, sel, g->launch_overrides ? " (launch overrides)" : "");
      }
    }
    snprintf(cursor, sizeof cursor, "%s", list.next_cursor);
    orch_store_group_list_release(&list);
    if (!cursor[0]) break;
  }
  if (!rc && as_json) {
    struct orch_buf b = ORCH_BUF_INIT(0);
    if (orch_json_dump(&b, all, JSON_INDENT(2)) || orch_buf_putc(&b, '\n')) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    else fputs(orch_buf_cstr(&b), stdout);
    orch_buf_free(&b);
  }
  json_decref(all);
  return rc;
}

int cli_groups(int argc, char **argv) {
  enum { OPT_JSON = 0x500 };
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           {"db", required_argument, NULL, CLI_OPT_DB},
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  struct cli_target target = {0};
  bool as_json = false;
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "groups")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    switch (opt) {
      case CLI_OPT_DB:
        if (cli_target_option(&target, opt, optarg, "groups") < 0) return CLI_EXIT_USAGE;
        break;
      case OPT_JSON: as_json = true; break;
      case 'h': return fputs(groups_help, stdout), CLI_EXIT_OK;
      case ':': return cli_usage_error("groups", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("groups", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc) return cli_usage_error("groups", "expected 'import FILE' or 'list'");
  const char *sub = argv[optind];
  bool import = strcmp(sub, "import") == 0;
  if (!import && strcmp(sub, "list") != 0) return cli_usage_error("groups", "unknown subcommand '%s' (import or list)", sub);
  if (import && argc - optind != 2) return cli_usage_error("groups", "import needs exactly one FILE");
  if (!import && argc - optind != 1) return cli_usage_error("groups", "list takes no argument, not '%s'", argv[optind + 1]);
  if (import && as_json) return cli_usage_error("groups", "--json applies to list");
  target.db_must_exist = !import; /* listing a mistyped --db must not make an empty store */

  struct orch_config *cfg = cli_common_load(&common, "groups");
  if (!cfg) return CLI_EXIT_FAIL;
  struct cli_session s = {0};
  struct orch_error err = {0};
  int status = CLI_EXIT_OK;
  if (cli_session_store(&s, cfg, &target, &err) ||
      (import ? cli_groups_import(s.store, argv[optind + 1], &err) : list_groups(s.store, as_json, &err)))
    status = cli_fail(&err);
  cli_session_close(&s);
  orch_config_free(cfg);
  return status;
}
