/* orch_sim_ssm: Systems Manager handlers: SSM documents (the AWS-owned ones the simulator runs plus those a
 * scenario declares; DescribeDocument), managed instances (they come online some time after boot),
 * SendCommand (refused for unknown documents and unmanaged instances, as AWS does), invocations moving
 * Pending -> InProgress -> Success | Failed | TimedOut per the scenario's rules (InvocationDoesNotExist
 * right after sending), ListCommandInvocations, automations. Uses orch_sim_ops, orch_sim_world,
 * orch_sim_faults, orch_sigv4 (document hashes), jansson. */
#include <stdio.h>
#include <string.h>

#include "aws/orch_sigv4.h"
#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_time.h"
#include "sim/orch_sim_ops.h"

#define VISIBLE_AFTER_MS 1500 /* GetCommandInvocation says InvocationDoesNotExist until then */

static int internal(struct orch_aws_error *aerr) {
  return orch_sim_fail(aerr, 500, "InternalServerError", "An internal error occurred");
}

static int page_bounds(const json_t *in, size_t limit, size_t *start, size_t *max, struct orch_aws_error *aerr) {
  json_t *m = json_object_get(in, "MaxResults");
  *max = limit;
  if (json_is_integer(m) && json_integer_value(m) > 0 && (size_t)json_integer_value(m) < limit)
    *max = (size_t)json_integer_value(m);
  return orch_sim_page_start(orch_sim_str(in, "NextToken"), start, "InvalidNextToken", aerr);
}

static const char *platform_type(const struct orch_sim_instance *in) { return in->windows ? "Windows" : "Linux"; }

/* ---- documents ---- */

#define ALL_PLATFORMS (ORCH_SIM_PLATFORM_WINDOWS | ORCH_SIM_PLATFORM_LINUX | ORCH_SIM_PLATFORM_MACOS)
#define AWS_DOCS_CREATED_MS 1504137600000LL /* 2017-08-31T00:00:00Z: when the AWS-owned ones are dated */
#define ASSUME_ROLE_HELP "(Optional) The ARN of the role that allows Automation to perform the actions on your behalf."

struct doc_param {
  const char *name, *type, *description, *default_value; /* default_value NULL: none */
};

/* A document as DescribeDocument reports it: one of AWS's (the catalog below) or a scenario's. */
struct ssm_doc {
  const char *name, *type, *schema, *format, *status, *description, *target_type;
  unsigned platforms;
  bool aws_owned;
  const struct doc_param *params; /* NULL-name terminated, or NULL */
};

static const struct doc_param run_shell_params[] = {
    {"commands", "StringList", "(Required) Specify a shell script or a command to run.", NULL},
    {"workingDirectory", "String", "(Optional) The path to the working directory on your instance.", ""},
    {"executionTimeout", "String",
     "(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is "
     "3600 (1 hour). Maximum is 172800 (48 hours).",
     "3600"},
    {NULL, NULL, NULL, NULL},
};
static const struct doc_param run_powershell_params[] = {
    {"commands", "StringList",
     "(Required) Specify the commands to run or the paths to existing scripts on the instance.", NULL},
    {"workingDirectory", "String", "(Optional) The path to the working directory on your instance.", ""},
    {"executionTimeout", "String",
     "(Optional) The time in seconds for a command to be completed before it is considered to have failed. Default "
     "is 3600 (1 hour). Maximum is 172800 (48 hours).",
     "3600"},
    {NULL, NULL, NULL, NULL},
};
static const struct doc_param restart_params[] = {
    {"InstanceId", "StringList", "(Required) EC2 Instance(s) to restart", NULL},
    {"AutomationAssumeRole", "String", ASSUME_ROLE_HELP, ""},
    {NULL, NULL, NULL, NULL},
};
static const struct doc_param start_params[] = {
    {"InstanceId", "StringList", "(Required) EC2 Instance(s) to start", NULL},
    {"AutomationAssumeRole", "String", ASSUME_ROLE_HELP, ""},
    {NULL, NULL, NULL, NULL},
};
static const struct doc_param stop_params[] = {
    {"InstanceId", "StringList", "(Required) EC2 Instance(s) to stop", NULL},
    {"AutomationAssumeRole", "String", ASSUME_ROLE_HELP, ""},
    {NULL, NULL, NULL, NULL},
};

/* The AWS-owned documents the simulator runs: every account and region has them. */
static const struct ssm_doc aws_docs[] = {
    {.name = "AWS-RunShellScript", .type = "Command", .schema = "1.2", .format = "JSON", .status = "Active",
     .description = "Run a shell script or specify the commands to run.",
     .platforms = ORCH_SIM_PLATFORM_LINUX | ORCH_SIM_PLATFORM_MACOS, .aws_owned = true, .params = run_shell_params},
    {.name = "AWS-RunPowerShellScript", .type = "Command", .schema = "1.2", .format = "JSON", .status = "Active",
     .description = "Run a PowerShell script or specify the paths to scripts to run.",
     .platforms = ORCH_SIM_PLATFORM_WINDOWS, .aws_owned = true, .params = run_powershell_params},
    {.name = "AWS-RestartEC2Instance", .type = "Automation", .schema = "0.3", .format = "JSON", .status = "Active",
     .description = "Restart EC2 instances", .target_type = "/AWS::EC2::Instance", .platforms = ALL_PLATFORMS,
     .aws_owned = true, .params = restart_params},
    {.name = "AWS-StartEC2Instance", .type = "Automation", .schema = "0.3", .format = "JSON", .status = "Active",
     .description = "Start EC2 instances", .target_type = "/AWS::EC2::Instance", .platforms = ALL_PLATFORMS,
     .aws_owned = true, .params = start_params},
    {.name = "AWS-StopEC2Instance", .type = "Automation", .schema = "0.3", .format = "JSON", .status = "Active",
     .description = "Stop EC2 instances", .target_type = "/AWS::EC2::Instance", .platforms = ALL_PLATFORMS,
     .aws_owned = true, .params = stop_params},
};

/* Find a document by name or ARN (arn:aws:ssm:REGION:[ACCOUNT]:document/NAME) for the caller's region. */
static bool find_document(const struct orch_sim_call *c, const char *name, struct ssm_doc *out) {
  const char *at = name ? strstr(name, ":document/") : NULL;
  if (!name) return false;
  if (strncmp(name, "arn:", 4) == 0) {
    if (!at) return false;
    name = at + strlen(":document/");
  }
  for (size_t i = 0; i < sizeof aws_docs / sizeof aws_docs[0]; i++) {
    if (strcmp(aws_docs[i].name, name) == 0) {
      *out = aws_docs[i];
      return true;
    }
  }
  for (size_t i = 0; i < c->env->ndocs; i++) {
    const struct orch_sim_document *d = &c->env->docs[i];
    if (strcmp(d->name, name) != 0) continue;
    bool automation = strcmp(d->type, "Automation") == 0;
    *out = (struct ssm_doc){.name = d->name, .type = d->type, .schema = automation ? "0.3" : "2.2",
                            .format = d->format, .status = d->status, .description = d->description,
                            .platforms = d->platforms};
    return true;
  }
  return false;
}

/* The plugin an invocation reports: PowerShell for a Windows-only document, else the shell. */
static const char *doc_plugin(const struct ssm_doc *d) {
  return d->platforms == ORCH_SIM_PLATFORM_WINDOWS ? "aws:runPowerShellScript" : "aws:runShellScript";
}

static json_t *platforms_json(unsigned platforms) {
  static const struct {
    unsigned bit;
    const char *name;
  } order[] = {{ORCH_SIM_PLATFORM_WINDOWS, "Windows"}, {ORCH_SIM_PLATFORM_LINUX, "Linux"},
               {ORCH_SIM_PLATFORM_MACOS, "MacOS"}};
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < sizeof order / sizeof order[0]; i++) {
    if ((platforms & order[i].bit) && json_array_append_new(arr, json_string(order[i].name))) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static json_t *params_json(const struct doc_param *params) {
  json_t *arr = json_array();
  for (const struct doc_param *p = params; arr && p && p->name; p++) {
    json_t *e = json_pack("{s:s, s:s, s:s}", "Name", p->name, "Type", p->type, "Description", p->description);
    if (e && p->default_value) json_object_set_new(e, "DefaultValue", json_string(p->default_value));
    if (json_array_append_new(arr, e)) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

/* The document's content hash: SHA-256 over what the simulator knows of it (stable across runs). */
static int doc_hash(const struct ssm_doc *d, const char *owner, char hex[ORCH_SIGV4_SIG_HEX + 1]) {
  struct orch_buf b = ORCH_BUF_INIT(4096);
  int rc = orch_buf_printf(&b, "%s\n%s\n%s\n%s\n%s\n%u\n%s", d->name, d->type, d->schema, d->format, owner,
                           d->platforms, d->description);
  if (!rc) orch_sigv4_sha256_hex(hex, b.data, b.len);
  orch_buf_free(&b);
  return rc;
}

static int ssm_describe_document(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *name = orch_sim_str(in, "Name"), *version = orch_sim_str(in, "DocumentVersion");
  struct ssm_doc d;
  char hash[ORCH_SIGV4_SIG_HEX + 1];
  /* AWS's own words for an unknown name (and for a version name no version of it carries). */
  if (!find_document(c, name, &d))
    return orch_sim_fail(aerr, 400, "InvalidDocument", "No matching value was found for Name.");
  if (version && strcmp(version, "$LATEST") != 0 && strcmp(version, "$DEFAULT") != 0 && strcmp(version, "1") != 0)
    return orch_sim_fail(aerr, 400, "InvalidDocumentVersion", "The document version is not valid or does not exist.");
  if (orch_sim_str(in, "VersionName"))
    return orch_sim_fail(aerr, 400, "InvalidDocument", "No matching value was found for VersionName.");
  const char *owner = d.aws_owned ? "Amazon" : c->w->accounts[c->env->account].id;
  if (doc_hash(&d, owner, hash)) return internal(aerr);
  json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:[]}",
                          "Hash", hash, "HashType", "Sha256", "Name", d.name, "Owner", owner, "CreatedDate",
                          orch_sim_time_json(d.aws_owned ? AWS_DOCS_CREATED_MS : c->w->start_ms - 30LL * 86400000),
                          "Status", d.status, "DocumentVersion", "1", "Description", d.description, "Parameters",
                          params_json(d.params), "PlatformTypes", platforms_json(d.platforms), "DocumentType", d.type,
                          "SchemaVersion", d.schema, "LatestVersion", "1", "DefaultVersion", "1", "DocumentFormat",
                          d.format, "Tags");
  if (!doc) return internal(aerr);
  if (d.target_type && json_object_set_new(doc, "TargetType", json_string(d.target_type))) {
    json_decref(doc);
    return internal(aerr);
  }
  *out = json_pack("{s:o}", "Document", doc);
  return *out ? 0 : internal(aerr);
}

/* ---- DescribeInstanceInformation ---- */

static bool info_listed(const struct orch_sim_call *c, const struct orch_sim_instance *in, const char **ping) {
  enum orch_sim_ec2_state st = orch_sim_instance_state(in, c->now);
  if (st == ORCH_SIM_EC2_NONE || st == ORCH_SIM_EC2_TERMINATED) return false;
  if (in->server >= 0 && !ORCH_SIM_SERVER(c->env, in->server)->ssm_agent) return false;
  if (c->now < in->t_ssm_online && st != ORCH_SIM_EC2_STOPPED && st != ORCH_SIM_EC2_STOPPING) return false;
  if (in->t_ssm_online > in->t_stopping && c->now >= in->t_stopping) return false; /* never came online */
  *ping = orch_sim_instance_managed(c->env, in, c->now) ? "Online" : "ConnectionLost";
  return true;
}

static bool info_matches(const struct orch_sim_instance *in, const char *ping, const char *key, const json_t *values) {
  if (strcmp(key, "InstanceIds") == 0) return orch_sim_in_list(values, in->id);
  if (strcmp(key, "PingStatus") == 0) return orch_sim_in_list(values, ping);
  if (strcmp(key, "PlatformTypes") == 0) return orch_sim_in_list(values, platform_type(in));
  if (strcmp(key, "ResourceType") == 0) return orch_sim_in_list(values, "EC2Instance");
  if (strncmp(key, "tag:", 4) == 0) {
    json_t *v = json_object_get(in->tags, key + 4);
    return json_is_string(v) && orch_sim_in_list(values, json_string_value(v));
  }
  if (strcmp(key, "tag-key") == 0) {
    size_t i;
    json_t *k;
    json_array_foreach(orch_sim_json_mut(values), i, k) if (json_is_string(k) && json_object_get(in->tags, json_string_value(k))) return true;
    return false;
  }
  return true;
}

/* The agent pings every five minutes from the moment it came online until the instance stops running (stopping,
 * shutting down): the last ping at or before `now` in that period. Listed instances came online. */
static int64_t last_ping_ms(const struct orch_sim_instance *in, int64_t now) {
  int64_t end = now;
  if (in->t_stopping < end) end = in->t_stopping;
  if (in->t_shutting_down < end) end = in->t_shutting_down;
  if (end < in->t_ssm_online) return in->t_ssm_online;
  return end - (end - in->t_ssm_online) % 300000;
}

static int ssm_describe_instance_information(struct orch_sim_call *c, const json_t *in, json_t **out,
                                             struct orch_aws_error *aerr) {
  static const char *const keys[] = {"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ResourceType",
                                     "IamRole", "AssociationStatus", NULL};
  json_t *old = json_object_get(in, "InstanceInformationFilterList"), *filters = json_object_get(in, "Filters"), *f;
  size_t start, max, i;
  int rc = page_bounds(in, 50, &start, &max, aerr);
  if (rc) return rc;
  json_array_foreach(old, i, f) {
    const char *k = orch_sim_str(f, "key");
    bool known = false;
    for (size_t x = 0; keys[x] && k; x++) known = known || strcmp(keys[x], k) == 0;
    if (!known) return orch_sim_fail(aerr, 400, "InvalidInstanceInformationFilterValue", "Invalid filter key %s", k ? k : "");
  }
  json_array_foreach(filters, i, f) {
    const char *k = orch_sim_str(f, "Key");
    bool known = k && (strncmp(k, "tag:", 4) == 0 || strcmp(k, "tag-key") == 0);
    for (size_t x = 0; keys[x] && k && !known; x++) known = strcmp(keys[x], k) == 0;
    if (!known) return orch_sim_fail(aerr, 400, "InvalidFilterKey", "The specified key is not valid: %s", k ? k : "");
  }
  json_t *list = json_array(), *res = json_pack("{s:o}", "InstanceInformationList", list);
  if (!res) return internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = list, .token_key = "NextToken", .start = start, .max = max};
  for (size_t k = 0; k < c->env->instances.n && !pg.done; k++) {
    const struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, k);
    const char *ping = NULL;
    bool match = true;
    if (!info_listed(c, inst, &ping)) continue;
    json_array_foreach(old, i, f) match = match && info_matches(inst, ping, orch_sim_str(f, "key"), json_object_get(f, "valueSet"));
    json_array_foreach(filters, i, f) match = match && info_matches(inst, ping, orch_sim_str(f, "Key"), json_object_get(f, "Values"));
    if (!match || !orch_sim_page_take(&pg)) continue;
    const struct orch_sim_server *s = inst->server >= 0 ? ORCH_SIM_SERVER(c->env, inst->server) : NULL;
    int64_t last_ping = last_ping_ms(inst, c->now);
    orch_sim_page_add(&pg, json_pack("{s:s, s:s, s:o, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "InstanceId",
                                     inst->id, "PingStatus", ping, "LastPingDateTime", orch_sim_time_json(last_ping),
                                     "AgentVersion", "3.3.40.0", "IsLatestVersion", true, "PlatformType",
                                     platform_type(inst), "PlatformName", s ? s->os : "Amazon Linux",
                                     "PlatformVersion", inst->windows ? "10.0.17763" : "22.04", "ResourceType",
                                     "EC2Instance", "IPAddress", inst->ip, "ComputerName", s ? s->fqdn : inst->id));
  }
  return orch_sim_page_end(&pg, out) ? internal(aerr) : 0;
}

/* ---- commands ---- */

static const struct orch_sim_ssm_rule *ssm_rule(struct orch_sim_call *c, const char *document, const json_t *tags) {
  const struct orch_sim_faults *f = &c->w->faults;
  for (size_t i = 0; i < f->nssm; i++) {
    const struct orch_sim_ssm_rule *r = &f->ssm[i];
    if (r->document && strcmp(r->document, document) != 0) continue;
    if (!orch_sim_tags_match(tags, r->tags)) continue;
    if (!orch_sim_rng_chance(&c->w->rng, r->probability)) continue;
    return r;
  }
  return NULL;
}

/* Resolve InstanceIds or Targets to managed instance positions. */
static int command_targets(struct orch_sim_call *c, const json_t *in, int **out, size_t *nout,
                           struct orch_aws_error *aerr) {
  json_t *ids = json_object_get(in, "InstanceIds"), *targets = json_object_get(in, "Targets"), *t;
  size_t n = 0, i;
  int *idx = orch_calloc(c->env->instances.n + json_array_size(ids) + 1, sizeof *idx);
  if (!idx) return internal(aerr);
  if (json_array_size(ids)) {
    json_t *id;
    json_array_foreach(ids, i, id) {
      const char *s = json_string_value(id);
      int ii = s ? orch_sim_idx_get(c->env->instance_idx, s) : -1;
      if (ii < 0 || !orch_sim_instance_managed(c->env, ORCH_SIM_INSTANCE(c->env, ii), c->now)) {
        orch_free(idx);
        return orch_sim_fail(aerr, 400, "InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s",
                             s ? s : "", c->w->accounts[c->env->account].id);
      }
      for (size_t k = 0; k < n; k++)
        if (idx[k] == ii) {
          orch_free(idx);
          return orch_sim_fail(aerr, 400, "DuplicateInstanceId", "Instance %s appears more than once", s);
        }
      idx[n++] = ii;
    }
  } else if (json_array_size(targets)) {
    for (size_t k = 0; k < c->env->instances.n; k++) {
      const struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, k);
      bool match = orch_sim_instance_managed(c->env, inst, c->now);
      json_array_foreach(targets, i, t) {
        const char *key = orch_sim_str(t, "Key");
        json_t *values = json_object_get(t, "Values");
        if (!key) match = false;
        else if (strcmp(key, "InstanceIds") == 0) match = match && orch_sim_in_list(values, inst->id);
        else if (strncmp(key, "tag:", 4) == 0) {
          json_t *v = json_object_get(inst->tags, key + 4);
          match = match && json_is_string(v) && orch_sim_in_list(values, json_string_value(v));
        } else if (strcmp(key, "tag-key") == 0) {
          bool any = false;
          size_t q;
          json_t *tk;
          json_array_foreach(values, q, tk) any = any || (json_is_string(tk) && json_object_get(inst->tags, json_string_value(tk)));
          match = match && any;
        } else {
          orch_free(idx);
          return orch_sim_fail(aerr, 400, "InvalidTarget", "Target key %s is not supported", key);
        }
      }
      if (match) idx[n++] = (int)k;
    }
  } else {
    orch_free(idx);
    return orch_sim_fail(aerr, 400, "ValidationException", "Either InstanceIds or Targets must be specified");
  }
  *out = idx;
  *nout = n;
  return 0;
}

static const char *invocation_status(const struct orch_sim_invocation *v, int64_t now) {
  if (now < v->t_progress) return "Pending";
  if (now < v->t_done) return "InProgress";
  return v->status;
}

static const char *status_details(const char *status) {
  return strcmp(status, "TimedOut") == 0 ? "ExecutionTimedOut" : status;
}

static json_t *command_json(const struct orch_sim_call *c, const struct orch_sim_command *cmd) {
  json_t *ids = json_array();
  size_t done = 0, errors = 0;
  for (size_t i = 0; i < cmd->ninv; i++) {
    const struct orch_sim_invocation *v = &cmd->inv[i];
    json_array_append_new(ids, json_string(ORCH_SIM_INSTANCE(c->env, v->instance)->id));
    if (c->now >= v->t_done) {
      done++;
      if (strcmp(v->status, "Success") != 0) errors++;
    }
  }
  const char *status = done == cmd->ninv ? (errors ? "Failed" : "Success") : (c->now < cmd->sent_ms + VISIBLE_AFTER_MS ? "Pending" : "InProgress");
  if (cmd->ninv == 0) status = "Success";
  return json_pack("{s:s, s:s, s:s, s:s, s:o, s:O, s:o, s:[], s:o, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:I}",
                   "CommandId", cmd->id, "DocumentName", cmd->document, "DocumentVersion", "$DEFAULT", "Comment",
                   cmd->comment, "ExpiresAfter", orch_sim_time_json(cmd->sent_ms + (cmd->timeout_s + 3600) * 1000),
                   "Parameters", cmd->params, "InstanceIds", ids, "Targets", "RequestedDateTime",
                   orch_sim_time_json(cmd->sent_ms), "Status", status, "StatusDetails", status, "TargetCount",
                   (json_int_t)cmd->ninv, "CompletedCount", (json_int_t)done, "ErrorCount", (json_int_t)errors,
                   "DeliveryTimedOutCount", (json_int_t)0, "MaxConcurrency", "50", "MaxErrors", "0", "TimeoutSeconds",
                   (json_int_t)cmd->timeout_s);
}

static int ssm_send_command(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *doc = orch_sim_str(in, "DocumentName"), *comment = orch_sim_str(in, "Comment");
  json_t *params = json_object_get(in, "Parameters"), *timeout = json_object_get(in, "TimeoutSeconds");
  int *idx = NULL, rc;
  size_t n = 0;
  struct ssm_doc d;
  if (!find_document(c, doc, &d))
    return orch_sim_fail(aerr, 400, "InvalidDocument", "Document %s does not exist", doc ? doc : "");
  if (strcmp(d.type, "Command") != 0)
    return orch_sim_fail(aerr, 400, "InvalidDocument", "Document %s is of type %s; SendCommand runs Command documents",
                         d.name, d.type);
  if (strcmp(d.status, "Active") != 0)
    return orch_sim_fail(aerr, 400, "InvalidDocument", "Document %s is %s, not Active", d.name, d.status);
  if ((rc = command_targets(c, in, &idx, &n, aerr))) return rc;
  struct orch_sim_command *cmd = orch_calloc(1, sizeof *cmd);
  if (!cmd) goto fail;
  cmd->inv = orch_calloc(n ? n : 1, sizeof *cmd->inv);
  cmd->document = orch_strdup(d.name);
  cmd->plugin = doc_plugin(&d);
  cmd->comment = orch_strdup(comment ? comment : "");
  cmd->params = params ? json_deep_copy(params) : json_object();
  if (!cmd->inv || !cmd->document || !cmd->comment || !cmd->params) goto fail;
  orch_sim_rng_uuid(&c->w->rng, cmd->id);
  cmd->sent_ms = c->now;
  cmd->timeout_s = json_is_integer(timeout) ? json_integer_value(timeout) : 3600;
  for (size_t i = 0; i < n; i++) {
    struct orch_sim_invocation *v = &cmd->inv[i];
    const struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, idx[i]);
    const struct orch_sim_ssm_rule *r = ssm_rule(c, d.name, inst->tags);
    v->instance = idx[i];
    v->t_visible = c->now + VISIBLE_AFTER_MS;
    v->t_progress = v->t_visible + orch_sim_dist_sample(&c->w->timing.command_start, &c->w->rng);
    int64_t run = r && r->has_duration ? orch_sim_dist_sample(&r->duration, &c->w->rng)
                                       : orch_sim_dist_sample(&c->w->timing.command_run, &c->w->rng);
    snprintf(v->status, sizeof v->status, "%s", r ? r->status : "Success");
    if (strcmp(v->status, "TimedOut") == 0 && !(r && r->has_duration)) run = cmd->timeout_s * 1000;
    v->t_done = v->t_progress + run;
    v->response_code = r ? r->response_code : 0;
    v->output = orch_strdup(r ? r->output : "");
    cmd->ninv++;
    if (!v->output) goto fail;
  }
  if (orch_sim_vec_push_indexed(&c->env->commands, c->env->command_idx, cmd->id, cmd)) goto fail;
  orch_free(idx);
  *out = json_pack("{s:o}", "Command", command_json(c, cmd));
  return *out ? 0 : internal(aerr);
fail:
  if (cmd) {
    for (size_t i = 0; i < cmd->ninv; i++) orch_free(cmd->inv[i].output);
    orch_free(cmd->inv);
    orch_free(cmd->document);
    orch_free(cmd->comment);
    json_decref(cmd->params);
    orch_free(cmd);
  }
  orch_free(idx);
  return internal(aerr);
}

static json_t *invocation_json(const struct orch_sim_call *c, const struct orch_sim_command *cmd,
                               const struct orch_sim_invocation *v, bool get) {
  const char *st = invocation_status(v, c->now);
  bool done = c->now >= v->t_done;
  const struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, v->instance);
  char start[ORCH_TIME_ISO_MAX] = "", end[ORCH_TIME_ISO_MAX] = "", elapsed[32] = "";
  if (c->now >= v->t_progress) orch_time_iso8601(start, v->t_progress);
  if (done) {
    orch_time_iso8601(end, v->t_done);
    snprintf(elapsed, sizeof elapsed, "PT%lld.%03lldS", (long long)((v->t_done - v->t_progress) / 1000),
             (long long)((v->t_done - v->t_progress) % 1000));
  }
  const char *output = done && strcmp(v->status, "Success") == 0 ? v->output : "";
  const char *error = done && strcmp(v->status, "Success") != 0 ? v->output : "";
  int code = done ? v->response_code : -1;
  if (get)
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:b}}",
                     "CommandId", cmd->id, "InstanceId", inst->id, "Comment", cmd->comment, "DocumentName",
                     cmd->document, "DocumentVersion", "$DEFAULT", "PluginName", cmd->plugin,
                     "ResponseCode", code, "ExecutionStartDateTime", start, "ExecutionElapsedTime", elapsed,
                     "ExecutionEndDateTime", end, "Status", st, "StatusDetails", status_details(st),
                     "StandardOutputContent", output, "StandardOutputUrl", "", "StandardErrorContent", error,
                     "StandardErrorUrl", "", "CloudWatchOutputConfig", "CloudWatchLogGroupName", "",
                     "CloudWatchOutputEnabled", false);
  const struct orch_sim_server *s = inst->server >= 0 ? ORCH_SIM_SERVER(c->env, inst->server) : NULL;
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "CommandId", cmd->id,
                   "InstanceId", inst->id, "InstanceName", s ? s->fqdn : "", "Comment", cmd->comment, "DocumentName",
                   cmd->document, "DocumentVersion", "$DEFAULT", "RequestedDateTime",
                   orch_sim_time_json(cmd->sent_ms), "Status", st, "StatusDetails", status_details(st),
                   "StandardOutputUrl", "", "StandardErrorUrl", "", "ServiceRole", "");
}

static int ssm_get_command_invocation(struct orch_sim_call *c, const json_t *in, json_t **out,
                                      struct orch_aws_error *aerr) {
  const char *id = orch_sim_str(in, "CommandId"), *iid = orch_sim_str(in, "InstanceId");
  int ci = id ? orch_sim_idx_get(c->env->command_idx, id) : -1;
  if (ci >= 0) {
    const struct orch_sim_command *cmd = ORCH_SIM_COMMAND(c->env, ci);
    for (size_t i = 0; i < cmd->ninv; i++) {
      const struct orch_sim_invocation *v = &cmd->inv[i];
      if (!iid || strcmp(ORCH_SIM_INSTANCE(c->env, v->instance)->id, iid) != 0 || c->now < v->t_visible) continue;
      *out = invocation_json(c, cmd, v, true);
      return *out ? 0 : internal(aerr);
    }
  }
  return orch_sim_fail(aerr, 400, "InvocationDoesNotExist", "The command %s for instance %s does not exist.",
                       id ? id : "", iid ? iid : "");
}

static int ssm_list_command_invocations(struct orch_sim_call *c, const json_t *in, json_t **out,
                                        struct orch_aws_error *aerr) {
  const char *id = orch_sim_str(in, "CommandId"), *iid = orch_sim_str(in, "InstanceId");
  bool details = json_is_true(json_object_get(in, "Details"));
  size_t start, max;
  int rc = page_bounds(in, 50, &start, &max, aerr);
  if (rc) return rc;
  if (id && orch_sim_idx_get(c->env->command_idx, id) < 0)
    return orch_sim_fail(aerr, 400, "InvalidCommandId", "Command %s does not exist", id);
  json_t *list = json_array(), *res = json_pack("{s:o}", "CommandInvocations", list);
  if (!res) return internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = list, .token_key = "NextToken", .start = start, .max = max};
  for (size_t k = c->env->commands.n; !pg.done && k-- > 0;) {
    const struct orch_sim_command *cmd = ORCH_SIM_COMMAND(c->env, k);
    if (id && strcmp(cmd->id, id) != 0) continue;
    for (size_t i = 0; i < cmd->ninv && !pg.done; i++) {
      const struct orch_sim_invocation *v = &cmd->inv[i];
      if (c->now < v->t_visible) continue;
      if (iid && strcmp(ORCH_SIM_INSTANCE(c->env, v->instance)->id, iid) != 0) continue;
      if (!orch_sim_page_take(&pg)) continue;
      json_t *e = invocation_json(c, cmd, v, false);
      if (!e) goto fail;
      if (details) {
        json_t *g = invocation_json(c, cmd, v, true);
        const char *st = invocation_status(v, c->now);
        json_object_set_new(e, "CommandPlugins",
                            json_pack("[{s:s, s:s, s:s, s:O, s:O}]", "Name", cmd->plugin, "Status", st,
                                      "StatusDetails", status_details(st), "ResponseCode",
                                      json_object_get(g, "ResponseCode"), "Output",
                                      json_object_get(g, strcmp(v->status, "Success") == 0 ? "StandardOutputContent"
                                                                                           : "StandardErrorContent")));
        json_decref(g);
      }
      orch_sim_page_add(&pg, e);
    }
  }
  return orch_sim_page_end(&pg, out) ? internal(aerr) : 0;
fail:
  json_decref(res);
  return internal(aerr);
}

/* ---- automations ---- */

static int ssm_start_automation_execution(struct orch_sim_call *c, const json_t *in, json_t **out,
                                          struct orch_aws_error *aerr) {
  const char *doc = orch_sim_str(in, "DocumentName");
  json_t *params = json_object_get(in, "Parameters");
  const json_t *tags = NULL;
  struct ssm_doc d;
  if (!find_document(c, doc, &d) || strcmp(d.type, "Automation") != 0 || strcmp(d.status, "Active") != 0)
    return orch_sim_fail(aerr, 400, "AutomationDefinitionNotFoundException", "No automation document named %s",
                         doc ? doc : "");
  /* An InstanceId parameter lends that instance's tags to the outcome rules. */
  json_t *iid = json_array_get(json_object_get(params, "InstanceId"), 0);
  int ii = json_is_string(iid) ? orch_sim_idx_get(c->env->instance_idx, json_string_value(iid)) : -1;
  if (ii >= 0) tags = ORCH_SIM_INSTANCE(c->env, ii)->tags;
  const struct orch_sim_ssm_rule *r = ssm_rule(c, d.name, tags);
  struct orch_sim_automation *a = orch_calloc(1, sizeof *a);
  if (!a) return internal(aerr);
  a->document = orch_strdup(d.name);
  a->params = params ? json_deep_copy(params) : json_object();
  a->output = orch_strdup(r ? r->output : "");
  if (!a->document || !a->params || !a->output) goto fail;
  orch_sim_rng_uuid(&c->w->rng, a->id);
  a->t_start = c->now;
  a->t_progress = c->now + 1000;
  a->t_done = a->t_progress + (r && r->has_duration ? orch_sim_dist_sample(&r->duration, &c->w->rng)
                                                    : orch_sim_dist_sample(&c->w->timing.automation, &c->w->rng));
  snprintf(a->status, sizeof a->status, "%s", r ? r->status : "Success");
  if (orch_sim_vec_push_indexed(&c->env->automations, c->env->automation_idx, a->id, a)) goto fail;
  *out = json_pack("{s:s}", "AutomationExecutionId", a->id);
  return *out ? 0 : internal(aerr);
fail:
  orch_free(a->document);
  orch_free(a->output);
  json_decref(a->params);
  orch_free(a);
  return internal(aerr);
}

static int ssm_get_automation_execution(struct orch_sim_call *c, const json_t *in, json_t **out,
                                        struct orch_aws_error *aerr) {
  const char *id = orch_sim_str(in, "AutomationExecutionId");
  int ai = id ? orch_sim_idx_get(c->env->automation_idx, id) : -1;
  if (ai < 0)
    return orch_sim_fail(aerr, 400, "AutomationExecutionNotFoundException", "Automation execution %s not found",
                         id ? id : "");
  const struct orch_sim_automation *a = ORCH_SIM_AUTOMATION(c->env, ai);
  const char *st = c->now < a->t_progress ? "Pending" : c->now < a->t_done ? "InProgress" : a->status;
  json_t *ae = json_pack("{s:s, s:s, s:s, s:o, s:s, s:O, s:{}, s:s, s:[]}", "AutomationExecutionId", a->id,
                         "DocumentName", a->document, "DocumentVersion", "1", "ExecutionStartTime",
                         orch_sim_time_json(a->t_start), "AutomationExecutionStatus", st, "Parameters", a->params,
                         "Outputs", "Mode", "Auto", "StepExecutions");
  if (!ae) return internal(aerr);
  if (c->now >= a->t_done) {
    json_object_set_new(ae, "ExecutionEndTime", orch_sim_time_json(a->t_done));
    if (strcmp(a->status, "Success") != 0)
      json_object_set_new(ae, "FailureMessage", json_string(*a->output ? a->output : "Step fails"));
    else if (*a->output)
      json_object_set_new(json_object_get(ae, "Outputs"), "Output", json_pack("[s]", a->output));
  }
  *out = json_pack("{s:o}", "AutomationExecution", ae);
  return *out ? 0 : internal(aerr);
}

const struct orch_sim_op orch_sim_ssm_ops[] = {
    {"DescribeInstanceInformation", ssm_describe_instance_information},
    {"SendCommand", ssm_send_command},
    {"GetCommandInvocation", ssm_get_command_invocation},
    {"ListCommandInvocations", ssm_list_command_invocations},
    {"StartAutomationExecution", ssm_start_automation_execution},
    {"GetAutomationExecution", ssm_get_automation_execution},
    {"DescribeDocument", ssm_describe_document},
    {NULL, NULL},
};
