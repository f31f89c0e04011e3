/* orch_exec_prepare: before a wave's first launch, what the plan asks of its launch: DRS launch
 * settings (copy private IP, copy tags, launch disposition, right-sizing, BYOL) through
 * UpdateLaunchConfiguration, EC2 settings (instance type, subnet, security groups, tags) as a new
 * default version of each server's launch template, and, for a point-in-time snapshot choice, the
 * newest recovery snapshot at or before that time. The prepare effect, run on an I/O thread or inline;
 * decide journals the answer as WavePrepared (once, so a restart does not apply anything twice), tries
 * again after a failure that may pass, or fails the wave. Uses orch_exec_int, jansson. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_log.h"
#include "exec/orch_exec_int.h"

static bool has_ec2_settings(const json_t *launch) {
  return json_object_get(launch, "instance_type") || json_object_get(launch, "subnet_id") ||
         json_object_get(launch, "security_group_ids") || json_object_get(launch, "tags");
}

struct prep {
  struct orch_exec_engine *eng;
  struct exec_io *io;
  json_t *errors;
  bool passing; /* a failure may pass (throttling, 5xx): decide tries the wave's preparation again */
};

static int call(struct prep *p, const json_t *server, const char *service, const char *op, json_t *input, json_t **out) {
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_error err = {0};
  const char *account = exec_account(p->eng, json_string_value(json_object_get(server, "account")));
  /* the engine's client for that account and region applies its standard retries */
  const char *region = exec_region(p->eng, json_string_value(json_object_get(server, "region")));
  json_t *o = NULL;
  int rc = p->eng->cfg.aws->call(p->eng->cfg.aws_ctx, account, region, service, op, input, false, &o, &aerr, &err);
  json_decref(input);
  if (rc) {
    if (rc == ORCH_ECONN || rc == ORCH_ETIMEDOUT || (rc == ORCH_EAWS && (aerr.retryable || aerr.throttling || aerr.http_status >= 500)))
      p->passing = true;
    char msg[1400];
    snprintf(msg, sizeof msg, "%s: %s:%s: %s", json_string_value(json_object_get(server, "id")), service, op,
             aerr.code[0] ? aerr.message[0] ? aerr.message : aerr.code : err.message);
    json_array_append_new(p->errors, json_string(msg));
    json_decref(o);
    return rc;
  }
  if (out) *out = o;
  else json_decref(o);
  return 0;
}

/* DRS launch configuration fields from the plan's launch settings. */
static json_t *drs_settings(const json_t *launch, const char *id) {
  json_t *in = json_pack("{s:s}", "sourceServerID", id);
  json_t *v;
  if ((v = json_object_get(launch, "copy_private_ip"))) json_object_set(in, "copyPrivateIp", v);
  if ((v = json_object_get(launch, "copy_tags"))) json_object_set(in, "copyTags", v);
  if ((v = json_object_get(launch, "launch_disposition"))) json_object_set(in, "launchDisposition", v);
  if ((v = json_object_get(launch, "right_sizing"))) json_object_set(in, "targetInstanceTypeRightSizingMethod", v);
  if ((v = json_object_get(launch, "os_byol"))) json_object_set_new(in, "licensing", json_pack("{s:O}", "osByol", v));
  return in;
}

static json_t *template_data(const json_t *launch) {
  json_t *d = json_object();
  json_t *v;
  if ((v = json_object_get(launch, "instance_type"))) json_object_set(d, "InstanceType", v);
  if (json_object_get(launch, "subnet_id") || json_object_get(launch, "security_group_ids")) {
    json_t *ni = json_pack("{s:i}", "DeviceIndex", 0);
    if ((v = json_object_get(launch, "subnet_id"))) json_object_set(ni, "SubnetId", v);
    if ((v = json_object_get(launch, "security_group_ids"))) json_object_set(ni, "Groups", v);
    json_object_set_new(d, "NetworkInterfaces", json_pack("[o]", ni));
  }
  json_t *tags = json_object_get(launch, "tags");
  if (json_object_size(tags)) {
    json_t *list = json_array();
    const char *k;
    json_object_foreach(tags, k, v) json_array_append_new(list, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    json_object_set_new(d, "TagSpecifications", json_pack("[{s:s, s:o}]", "ResourceType", "instance", "Tags", list));
  }
  return d;
}

static void prepare_server(struct prep *p, const json_t *server, const json_t *launch, const json_t *snapshot,
                           json_t *snaps) {
  const char *id = json_string_value(json_object_get(server, "id"));
  if (json_object_size(launch)) {
    json_t *cfg = NULL;
    if (call(p, server, "drs", "UpdateLaunchConfiguration", drs_settings(launch, id), &cfg)) return;
    const char *tmpl = json_string_value(json_object_get(cfg, "ec2LaunchTemplateID"));
    if (has_ec2_settings(launch)) {
      json_t *ver = NULL;
      if (!tmpl) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: no EC2 launch template to apply instance settings to", id);
        json_array_append_new(p->errors, json_string(msg));
      } else if (call(p, server, "ec2", "CreateLaunchTemplateVersion",
                      json_pack("{s:s, s:s, s:s, s:o}", "LaunchTemplateId", tmpl, "SourceVersion", "$Default",
                                "VersionDescription", "drsorch launch settings", "LaunchTemplateData", template_data(launch)),
                      &ver) == 0) {
        json_int_t n = json_integer_value(json_object_get(json_object_get(ver, "LaunchTemplateVersion"), "VersionNumber"));
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)n);
        call(p, server, "ec2", "ModifyLaunchTemplate", json_pack("{s:s, s:s}", "LaunchTemplateId", tmpl, "DefaultVersion", num), NULL);
      }
      json_decref(ver);
    }
    json_decref(cfg);
  }
  const char *kind = json_string_value(json_object_get(snapshot, "kind"));
  if (kind && strcmp(kind, "point_in_time") == 0) {
    const char *at = json_string_value(json_object_get(snapshot, "at"));
    json_t *out = NULL;
    /* Newest first; the first one at or before the chosen time is the one. */
    if (call(p, server, "drs", "DescribeRecoverySnapshots",
             json_pack("{s:s, s:s, s:{s:s}}", "sourceServerID", id, "order", "DESC", "filters", "toDateTime", at), &out))
      return;
    const char *snap = json_string_value(json_object_get(json_array_get(json_object_get(out, "items"), 0), "snapshotID"));
    if (snap) {
      json_object_set_new(snaps, id, json_string(snap));
    } else {
      char msg[300];
      snprintf(msg, sizeof msg, "%s: no recovery snapshot at or before %s", id, at ? at : "?");
      json_array_append_new(p->errors, json_string(msg));
    }
    json_decref(out);
  }
}

void exec_prepare_run(struct orch_exec_engine *eng, struct exec_io *io) {
  struct prep p = {.eng = eng, .io = io, .errors = json_array()};
  json_t *snaps = json_object();
  if (!p.errors || !snaps) {
    io->rc = orch_error_set(&io->err, ORCH_ENOMEM, "out of memory preparing the wave");
    goto out;
  }
  const json_t *launch = json_object_get(io->fx.context, "launch");
  const json_t *snapshot = json_object_get(io->fx.context, "snapshot");
  size_t i;
  json_t *server;
  json_array_foreach(json_object_get(io->fx.context, "servers"), i, server) {
    /* The server's protection group overrides the wave's settings key by key (the most specific wins). */
    json_t *merged = exec_launch_merge(launch, json_object_get(server, "launch"));
    if (!merged) {
      io->rc = orch_error_set(&io->err, ORCH_ENOMEM, "out of memory preparing the wave");
      goto out;
    }
    prepare_server(&p, server, merged, snapshot, snaps);
    json_decref(merged);
  }
  io->output = json_pack("{s:O, s:O, s:b}", "snapshots", snaps, "errors", p.errors, "passing", p.passing);
out:
  json_decref(snaps);
  json_decref(p.errors);
}
