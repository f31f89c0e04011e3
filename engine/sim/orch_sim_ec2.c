/* orch_sim_ec2: EC2 handlers: the instances behind recovery instances (DescribeInstances with the common
 * filters, DescribeInstanceStatus, CreateTags, Stop/TerminateInstances), subnets, security groups and
 * launch template versions. Uses orch_sim_ops, orch_sim_world, jansson. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"
#include "sim/orch_sim_ops.h"

#define PAGE_MAX 1000

static int internal(struct orch_aws_error *aerr) {
  return orch_sim_fail(aerr, 500, "InternalError", "An internal error has occurred");
}

static int page_bounds(const json_t *in, size_t *start, size_t *max, struct orch_aws_error *aerr) {
  json_t *m = json_object_get(in, "MaxResults");
  *max = PAGE_MAX;
  if (json_is_integer(m) && json_integer_value(m) > 0 && json_integer_value(m) < PAGE_MAX)
    *max = (size_t)json_integer_value(m);
  return orch_sim_page_start(orch_sim_str(in, "NextToken"), start, "InvalidParameterValue", aerr);
}

/* EC2 filters: [{"Name", "Values"}]. `get` answers a filter name for one item: returns true and sets
 * *value for a single-valued attribute, or returns false when the name is unknown (an error). Tag filters
 * are handled here. */
typedef bool (*filter_value_fn)(const void *item, const struct orch_sim_call *c, const char *name, const char **value);

static int check_filters(const json_t *filters, const void *item, const struct orch_sim_call *c, const json_t *tags,
                         filter_value_fn get, bool *match, struct orch_aws_error *aerr) {
  size_t i;
  json_t *f;
  *match = true;
  json_array_foreach(orch_sim_json_mut(filters), i, f) {
    const char *name = orch_sim_str(f, "Name");
    json_t *values = json_object_get(f, "Values");
    const char *v = NULL;
    if (!name) return orch_sim_fail(aerr, 400, "InvalidParameterValue", "A filter must have a Name");
    if (tags && strncmp(name, "tag:", 4) == 0) {
      json_t *tv = json_object_get(tags, name + 4);
      if (!json_is_string(tv) || !orch_sim_in_list(values, json_string_value(tv))) *match = false;
      continue;
    }
    if (tags && strcmp(name, "tag-key") == 0) {
      bool any = false;
      size_t k;
      json_t *key;
      json_array_foreach(values, k, key) any = any || (json_is_string(key) && json_object_get(tags, json_string_value(key)));
      if (!any) *match = false;
      continue;
    }
    if (tags && strcmp(name, "tag-value") == 0) {
      bool any = false;
      const char *tk;
      json_t *tv;
      json_object_foreach(orch_sim_json_mut(tags), tk, tv) any = any || orch_sim_in_list(values, json_string_value(tv));
      if (!any) *match = false;
      continue;
    }
    if (!get(item, c, name, &v))
      return orch_sim_fail(aerr, 400, "InvalidParameterValue", "The filter '%s' is invalid", name);
    if (!v || !orch_sim_in_list(values, v)) *match = false;
  }
  return 0;
}

/* ---- instances ---- */

/* "ip-10-0-1-5.eu-west-1.compute.internal": an IPv4 address and a region name always fit. */
#define DNS_MAX (sizeof "ip-" + 16 + sizeof ((struct orch_sim_env *)0)->region + sizeof ".compute.internal")

static void private_dns(char out[DNS_MAX], const char *ip, const char *region) {
  char dashed[16];
  snprintf(dashed, sizeof dashed, "%s", ip);
  for (char *p = dashed; *p; p++)
    if (*p == '.') *p = '-';
  if (strcmp(region, "us-east-1") == 0) snprintf(out, DNS_MAX, "ip-%s.ec2.internal", dashed);
  else snprintf(out, DNS_MAX, "ip-%s.%.*s.compute.internal", dashed, (int)sizeof ((struct orch_sim_env *)0)->region - 1, region);
}

static bool instance_filter(const void *item, const struct orch_sim_call *c, const char *name, const char **value) {
  const struct orch_sim_instance *in = item;
  if (strcmp(name, "instance-id") == 0) *value = in->id;
  else if (strcmp(name, "instance-state-name") == 0) *value = orch_sim_ec2_state_name(orch_sim_instance_state(in, c->now));
  else if (strcmp(name, "private-ip-address") == 0) *value = in->ip;
  else if (strcmp(name, "subnet-id") == 0) *value = c->env->subnets[in->subnet].id;
  else if (strcmp(name, "vpc-id") == 0) *value = c->env->subnets[in->subnet].vpc;
  else if (strcmp(name, "instance-type") == 0) *value = in->instance_type;
  else if (strcmp(name, "availability-zone") == 0) *value = c->env->subnets[in->subnet].az;
  else if (strcmp(name, "image-id") == 0) *value = in->image_id;
  else return false;
  return true;
}

static json_t *state_json(enum orch_sim_ec2_state s) {
  return json_pack("{s:i, s:s}", "Code", orch_sim_ec2_state_code(s), "Name", orch_sim_ec2_state_name(s));
}

static json_t *instance_json(const struct orch_sim_call *c, const struct orch_sim_instance *in) {
  const struct orch_sim_subnet *sn = &c->env->subnets[in->subnet];
  enum orch_sim_ec2_state st = orch_sim_instance_state(in, c->now);
  char dns[DNS_MAX];
  private_dns(dns, in->ip, c->env->region);
  json_t *sgs = json_array();
  for (int g = 0; g < in->nsg; g++) {
    const char *gname = in->sg_ids[g];
    for (size_t k = 0; k < c->env->nsgs; k++)
      if (strcmp(c->env->sgs[k].id, in->sg_ids[g]) == 0) gname = c->env->sgs[k].name;
    json_array_append_new(sgs, json_pack("{s:s, s:s}", "GroupId", in->sg_ids[g], "GroupName", gname));
  }
  json_t *out = json_pack(
      "{s:i, s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:b, s:s}",
      "AmiLaunchIndex", 0, "ImageId", in->image_id, "InstanceId", in->id, "InstanceType", in->instance_type,
      "LaunchTime", orch_sim_time_json(in->t_created), "Placement", "AvailabilityZone", sn->az, "Tenancy", "default",
      "PrivateDnsName", dns, "PrivateIpAddress", in->ip, "State", state_json(st), "StateTransitionReason", "",
      "SubnetId", sn->id, "VpcId", sn->vpc, "SecurityGroups", sgs, "Tags", orch_sim_tags_list(in->tags),
      "Architecture", "x86_64", "RootDeviceType", "ebs", "RootDeviceName", in->windows ? "/dev/sda1" : "/dev/xvda",
      "VirtualizationType", "hvm", "EbsOptimized", true, "PlatformDetails", in->windows ? "Windows" : "Linux/UNIX");
  if (out && in->windows) json_object_set_new(out, "Platform", json_string("windows"));
  return out;
}

/* Instances by id must exist: InvalidInstanceID.NotFound names the missing ones, as EC2 does. */
static int check_ids(const struct orch_sim_call *c, const json_t *ids, struct orch_aws_error *aerr) {
  size_t i;
  json_t *id;
  json_array_foreach(orch_sim_json_mut(ids), i, id) {
    const char *s = json_string_value(id);
    if (!s || !orch_str_starts_with(s, "i-") || strlen(s) < 10)
      return orch_sim_fail(aerr, 400, "InvalidInstanceID.Malformed", "Invalid id: \"%s\"", s ? s : "");
    int ii = orch_sim_idx_get(c->env->instance_idx, s);
    if (ii < 0 || orch_sim_instance_state(ORCH_SIM_INSTANCE(c->env, ii), c->now) == ORCH_SIM_EC2_NONE)
      return orch_sim_fail(aerr, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", s);
  }
  return 0;
}

static int ec2_describe_instances(struct orch_sim_call *c, const json_t *in, json_t **out,
                                  struct orch_aws_error *aerr) {
  json_t *ids = json_object_get(in, "InstanceIds"), *filters = json_object_get(in, "Filters");
  size_t start, max;
  int rc;
  if ((rc = page_bounds(in, &start, &max, aerr)) || (ids && (rc = check_ids(c, ids, aerr)))) return rc;
  json_t *res_list = json_array(), *res = json_pack("{s:o}", "Reservations", res_list);
  if (!res) return internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = res_list, .token_key = "NextToken", .start = start, .max = max};
  for (size_t i = 0; i < c->env->instances.n && !pg.done; i++) {
    const struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, i);
    bool match;
    if (orch_sim_instance_state(inst, c->now) == ORCH_SIM_EC2_NONE) continue;
    if (ids && json_array_size(ids) && !orch_sim_in_list(ids, inst->id)) continue;
    if ((rc = check_filters(filters, inst, c, inst->tags, instance_filter, &match, aerr))) {
      json_decref(res);
      return rc;
    }
    if (!match || !orch_sim_page_take(&pg)) continue;
    char rid[24];
    snprintf(rid, sizeof rid, "r-%s", inst->id + 2);
    orch_sim_page_add(&pg, json_pack("{s:s, s:s, s:[], s:[o]}", "ReservationId", rid, "OwnerId",
                                     c->w->accounts[c->env->account].id, "Groups", "Instances", instance_json(c, inst)));
  }
  return orch_sim_page_end(&pg, out) ? internal(aerr) : 0;
}

static const char *check_status(const struct orch_sim_instance *in, int64_t now, bool system) {
  enum orch_sim_ec2_state st = orch_sim_instance_state(in, now);
  if (st != ORCH_SIM_EC2_RUNNING) return "not-applicable";
  if (system) return now >= in->t_running + (in->t_status_ok - in->t_running) / 2 ? "ok" : "initializing";
  return now >= in->t_status_ok ? "ok" : "initializing";
}

static bool status_filter(const void *item, const struct orch_sim_call *c, const char *name, const char **value) {
  const struct orch_sim_instance *in = item;
  if (strcmp(name, "instance-status.status") == 0) *value = check_status(in, c->now, false);
  else if (strcmp(name, "system-status.status") == 0) *value = check_status(in, c->now, true);
  else return instance_filter(item, c, name, value);
  return true;
}

static json_t *status_summary(const char *status) {
  const char *detail = strcmp(status, "ok") == 0 ? "passed" : strcmp(status, "initializing") == 0 ? "initializing"
                                                                                                   : "insufficient-data";
  if (strcmp(status, "not-applicable") == 0) return json_pack("{s:s}", "Status", status);
  return json_pack("{s:s, s:[{s:s, s:s}]}", "Status", status, "Details", "Name", "reachability", "Status", detail);
}

static int ec2_describe_instance_status(struct orch_sim_call *c, const json_t *in, json_t **out,
                                        struct orch_aws_error *aerr) {
  json_t *ids = json_object_get(in, "InstanceIds"), *filters = json_object_get(in, "Filters");
  bool all = json_is_true(json_object_get(in, "IncludeAllInstances"));
  size_t start, max;
  int rc;
  if ((rc = page_bounds(in, &start, &max, aerr)) || (ids && (rc = check_ids(c, ids, aerr)))) return rc;
  json_t *list = json_array(), *res = json_pack("{s:o}", "InstanceStatuses", list);
  if (!res) return internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = list, .token_key = "NextToken", .start = start, .max = max};
  for (size_t i = 0; i < c->env->instances.n && !pg.done; i++) {
    const struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, i);
    enum orch_sim_ec2_state st = orch_sim_instance_state(inst, c->now);
    bool match;
    if (st == ORCH_SIM_EC2_NONE || (!all && st != ORCH_SIM_EC2_RUNNING)) continue;
    if (ids && json_array_size(ids) && !orch_sim_in_list(ids, inst->id)) continue;
    if ((rc = check_filters(filters, inst, c, NULL, status_filter, &match, aerr))) {
      json_decref(res);
      return rc;
    }
    if (!match || !orch_sim_page_take(&pg)) continue;
    orch_sim_page_add(&pg, json_pack("{s:s, s:s, s:o, s:o, s:o}", "InstanceId", inst->id, "AvailabilityZone",
                                     c->env->subnets[inst->subnet].az, "InstanceState", state_json(st),
                                     "InstanceStatus", status_summary(check_status(inst, c->now, false)),
                                     "SystemStatus", status_summary(check_status(inst, c->now, true))));
  }
  return orch_sim_page_end(&pg, out) ? internal(aerr) : 0;
}

static int state_change(struct orch_sim_call *c, const json_t *in, bool terminate, json_t **out,
                        struct orch_aws_error *aerr) {
  json_t *ids = json_object_get(in, "InstanceIds");
  int rc = check_ids(c, ids, aerr);
  size_t i;
  json_t *id;
  if (rc) return rc;
  if (!terminate) {
    json_array_foreach(ids, i, id) {
      struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, orch_sim_idx_get(c->env->instance_idx, json_string_value(id)));
      enum orch_sim_ec2_state st = orch_sim_instance_state(inst, c->now);
      if (st == ORCH_SIM_EC2_SHUTTING_DOWN || st == ORCH_SIM_EC2_TERMINATED)
        return orch_sim_fail(aerr, 400, "IncorrectInstanceState",
                             "This instance '%s' is not in a state from which it can be stopped.", inst->id);
    }
  }
  json_t *list = json_array();
  *out = json_pack("{s:o}", terminate ? "TerminatingInstances" : "StoppingInstances", list);
  if (!*out) return internal(aerr);
  json_array_foreach(ids, i, id) {
    struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, orch_sim_idx_get(c->env->instance_idx, json_string_value(id)));
    enum orch_sim_ec2_state before = orch_sim_instance_state(inst, c->now);
    if (terminate && inst->t_terminated == ORCH_SIM_NEVER) {
      inst->t_shutting_down = c->now;
      inst->t_terminated = c->now + orch_sim_dist_sample(&c->w->timing.terminate, &c->w->rng);
    } else if (!terminate && before != ORCH_SIM_EC2_STOPPED && before != ORCH_SIM_EC2_STOPPING) {
      if (before == ORCH_SIM_EC2_PENDING) inst->t_running = c->now;
      inst->t_stopping = c->now;
      inst->t_stopped = c->now + orch_sim_dist_sample(&c->w->timing.stop, &c->w->rng);
    }
    if (json_array_append_new(list, json_pack("{s:s, s:o, s:o}", "InstanceId", inst->id, "CurrentState",
                                              state_json(orch_sim_instance_state(inst, c->now)), "PreviousState",
                                              state_json(before)))) {
      json_decref(*out);
      return internal(aerr);
    }
  }
  return 0;
}

static int ec2_stop_instances(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  return state_change(c, in, false, out, aerr);
}

static int ec2_terminate_instances(struct orch_sim_call *c, const json_t *in, json_t **out,
                                   struct orch_aws_error *aerr) {
  return state_change(c, in, true, out, aerr);
}

static int ec2_create_tags(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  json_t *res = json_object_get(in, "Resources"), *tags = json_object_get(in, "Tags"), *r, *t;
  size_t i, k;
  json_array_foreach(res, i, r) {
    const char *id = json_string_value(r);
    if (!id) return orch_sim_fail(aerr, 400, "InvalidID", "The ID '' is not valid");
    if (orch_str_starts_with(id, "i-")) {
      int ii = orch_sim_idx_get(c->env->instance_idx, id);
      if (ii < 0) return orch_sim_fail(aerr, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id);
    } else if (orch_str_starts_with(id, "lt-")) {
      if (orch_sim_idx_get(c->env->lt_idx, id) < 0)
        return orch_sim_fail(aerr, 400, "InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id);
    } else {
      return orch_sim_fail(aerr, 400, "InvalidID", "The ID '%s' is not valid", id);
    }
  }
  json_array_foreach(res, i, r) {
    int ii = orch_sim_idx_get(c->env->instance_idx, json_string_value(r));
    if (ii < 0) continue; /* launch templates keep no tags here */
    struct orch_sim_instance *inst = ORCH_SIM_INSTANCE(c->env, ii);
    json_array_foreach(tags, k, t) {
      const char *key = orch_sim_str(t, "Key"), *val = orch_sim_str(t, "Value");
      if (key) json_object_set_new(inst->tags, key, json_string(val ? val : ""));
    }
  }
  *out = json_object();
  return *out ? 0 : internal(aerr);
}

/* ---- subnets, security groups ---- */

static bool subnet_filter(const void *item, const struct orch_sim_call *c, const char *name, const char **value) {
  const struct orch_sim_subnet *sn = item;
  (void)c;
  if (strcmp(name, "subnet-id") == 0) *value = sn->id;
  else if (strcmp(name, "vpc-id") == 0) *value = sn->vpc;
  else if (strcmp(name, "availability-zone") == 0) *value = sn->az;
  else if (strcmp(name, "state") == 0) *value = "available";
  else return false;
  return true;
}

static int ec2_describe_subnets(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  json_t *ids = json_object_get(in, "SubnetIds"), *filters = json_object_get(in, "Filters"), *id;
  size_t i;
  int rc;
  json_array_foreach(ids, i, id) {
    if (orch_sim_env_subnet(c->env, json_string_value(id) ? json_string_value(id) : "") < 0)
      return orch_sim_fail(aerr, 400, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist",
                           json_string_value(id) ? json_string_value(id) : "");
  }
  json_t *list = json_array(), *res = json_pack("{s:o}", "Subnets", list);
  if (!res) return internal(aerr);
  for (i = 0; i < c->env->nsubnets; i++) {
    const struct orch_sim_subnet *sn = &c->env->subnets[i];
    bool match;
    char cidr[24], arn[192], resname[64];
    if (ids && json_array_size(ids) && !orch_sim_in_list(ids, sn->id)) continue;
    if ((rc = check_filters(filters, sn, c, NULL, subnet_filter, &match, aerr))) {
      json_decref(res);
      return rc;
    }
    if (!match) continue;
    snprintf(cidr, sizeof cidr, "%u.%u.%u.%u/%d", sn->base >> 24, (sn->base >> 16) & 255, (sn->base >> 8) & 255,
             sn->base & 255, sn->prefix);
    snprintf(resname, sizeof resname, "subnet/%s", sn->id);
    orch_sim_arn(arn, sizeof arn, c->w, c->env, "ec2", resname);
    if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:b, s:s, s:s}", "SubnetId", sn->id,
                                              "VpcId", sn->vpc, "AvailabilityZone", sn->az, "CidrBlock", cidr,
                                              "AvailableIpAddressCount", (1 << (32 - sn->prefix)) - 5, "State",
                                              "available", "DefaultForAz", false, "MapPublicIpOnLaunch", false,
                                              "OwnerId", c->w->accounts[c->env->account].id, "SubnetArn", arn))) {
      json_decref(res);
      return internal(aerr);
    }
  }
  *out = res;
  return 0;
}

static bool sg_filter(const void *item, const struct orch_sim_call *c, const char *name, const char **value) {
  const struct orch_sim_sg *sg = item;
  (void)c;
  if (strcmp(name, "group-id") == 0) *value = sg->id;
  else if (strcmp(name, "group-name") == 0) *value = sg->name;
  else if (strcmp(name, "vpc-id") == 0) *value = sg->vpc;
  else return false;
  return true;
}

static int ec2_describe_security_groups(struct orch_sim_call *c, const json_t *in, json_t **out,
                                        struct orch_aws_error *aerr) {
  json_t *ids = json_object_get(in, "GroupIds"), *names = json_object_get(in, "GroupNames");
  json_t *filters = json_object_get(in, "Filters"), *id;
  size_t i;
  int rc;
  json_array_foreach(ids, i, id) {
    bool found = false;
    for (size_t k = 0; k < c->env->nsgs; k++) found = found || strcmp(c->env->sgs[k].id, json_string_value(id)) == 0;
    if (!found)
      return orch_sim_fail(aerr, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
                           json_string_value(id));
  }
  json_t *list = json_array(), *res = json_pack("{s:o}", "SecurityGroups", list);
  if (!res) return internal(aerr);
  for (i = 0; i < c->env->nsgs; i++) {
    const struct orch_sim_sg *sg = &c->env->sgs[i];
    bool match;
    if (ids && json_array_size(ids) && !orch_sim_in_list(ids, sg->id)) continue;
    if (names && json_array_size(names) && !orch_sim_in_list(names, sg->name)) continue;
    if ((rc = check_filters(filters, sg, c, NULL, sg_filter, &match, aerr))) {
      json_decref(res);
      return rc;
    }
    if (!match) continue;
    if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:[]}", "GroupId", sg->id, "GroupName",
                                              sg->name, "Description", sg->name, "VpcId", sg->vpc, "OwnerId",
                                              c->w->accounts[c->env->account].id, "IpPermissions",
                                              "IpPermissionsEgress"))) {
      json_decref(res);
      return internal(aerr);
    }
  }
  *out = res;
  return 0;
}

/* ---- launch templates ---- */

static int find_lt(struct orch_sim_call *c, const json_t *in, struct orch_aws_error *aerr, struct orch_sim_lt **out) {
  const char *id = orch_sim_str(in, "LaunchTemplateId"), *name = orch_sim_str(in, "LaunchTemplateName");
  if (id) {
    int i = orch_sim_idx_get(c->env->lt_idx, id);
    if (i < 0)
      return orch_sim_fail(aerr, 400, "InvalidLaunchTemplateId.NotFound",
                           "The specified launch template, with template ID %s, does not exist.", id);
    *out = ORCH_SIM_LT(c->env, i);
    return 0;
  }
  if (name) {
    for (size_t i = 0; i < c->env->lts.n; i++) {
      if (strcmp(ORCH_SIM_LT(c->env, i)->name, name) == 0) {
        *out = ORCH_SIM_LT(c->env, i);
        return 0;
      }
    }
    return orch_sim_fail(aerr, 400, "InvalidLaunchTemplateName.NotFoundException",
                         "The specified launch template, with template name %s, does not exist.", name);
  }
  return orch_sim_fail(aerr, 400, "MissingParameter", "The request must contain the parameter LaunchTemplateName or LaunchTemplateId");
}

static json_t *version_json(const struct orch_sim_call *c, const struct orch_sim_lt *lt, const struct orch_sim_lt_version *v) {
  char by[96];
  snprintf(by, sizeof by, "arn:aws:iam::%s:root", c->w->accounts[c->env->account].id);
  json_t *out = json_pack("{s:s, s:s, s:I, s:o, s:s, s:b, s:O}", "LaunchTemplateId", lt->id, "LaunchTemplateName",
                          lt->name, "VersionNumber", (json_int_t)v->number, "CreateTime",
                          orch_sim_time_json(v->created_ms), "CreatedBy", by, "DefaultVersion",
                          v->number == lt->default_version, "LaunchTemplateData", v->data);
  if (out && v->description) json_object_set_new(out, "VersionDescription", json_string(v->description));
  return out;
}

/* Resolve "$Latest", "$Default" or a number to a version, or NULL. */
static const struct orch_sim_lt_version *lt_version(const struct orch_sim_lt *lt, const char *spec) {
  long long n;
  if (strcmp(spec, "$Latest") == 0) n = lt->versions[lt->nversions - 1].number;
  else if (strcmp(spec, "$Default") == 0) n = lt->default_version;
  else if (orch_str_to_ll(spec, 1, 1LL << 40, &n)) return NULL;
  for (size_t i = 0; i < lt->nversions; i++)
    if (lt->versions[i].number == n) return &lt->versions[i];
  return NULL;
}

static int ec2_describe_launch_template_versions(struct orch_sim_call *c, const json_t *in, json_t **out,
                                                 struct orch_aws_error *aerr) {
  json_t *versions = json_object_get(in, "Versions"), *v;
  size_t i, start, max;
  struct orch_sim_lt *only = NULL;
  int rc = page_bounds(in, &start, &max, aerr);
  if (rc) return rc;
  if ((orch_sim_str(in, "LaunchTemplateId") || orch_sim_str(in, "LaunchTemplateName")) &&
      (rc = find_lt(c, in, aerr, &only)))
    return rc;
  json_t *list = json_array(), *res = json_pack("{s:o}", "LaunchTemplateVersions", list);
  if (!res) return internal(aerr);
  if (only && versions && json_array_size(versions)) {
    json_array_foreach(versions, i, v) {
      const struct orch_sim_lt_version *ver = json_is_string(v) ? lt_version(only, json_string_value(v)) : NULL;
      if (!ver) {
        json_decref(res);
        return orch_sim_fail(aerr, 400, "InvalidLaunchTemplateId.VersionNotFound",
                             "Could not find launch template version %s for template %s",
                             json_is_string(v) ? json_string_value(v) : "?", only->id);
      }
      if (json_array_append_new(list, version_json(c, only, ver))) goto fail;
    }
    *out = res;
    return 0;
  }
  struct orch_sim_page pg = {.res = res, .items = list, .token_key = "NextToken", .start = start, .max = max};
  for (size_t t = 0; t < c->env->lts.n && !pg.done; t++) {
    const struct orch_sim_lt *lt = ORCH_SIM_LT(c->env, t);
    if (only && lt != only) continue;
    for (size_t k = 0; k < lt->nversions && !pg.done; k++)
      if (orch_sim_page_take(&pg)) orch_sim_page_add(&pg, version_json(c, lt, &lt->versions[k]));
  }
  return orch_sim_page_end(&pg, out) ? internal(aerr) : 0;
fail:
  json_decref(res);
  return internal(aerr);
}

static int ec2_create_launch_template_version(struct orch_sim_call *c, const json_t *in, json_t **out,
                                              struct orch_aws_error *aerr) {
  struct orch_sim_lt *lt;
  const char *src = orch_sim_str(in, "SourceVersion"), *desc = orch_sim_str(in, "VersionDescription");
  json_t *data = json_object_get(in, "LaunchTemplateData");
  int rc = find_lt(c, in, aerr, &lt);
  if (rc) return rc;
  json_t *merged = NULL;
  if (src) {
    const struct orch_sim_lt_version *base = lt_version(lt, src);
    if (!base)
      return orch_sim_fail(aerr, 400, "InvalidLaunchTemplateId.VersionNotFound",
                           "Could not find launch template version %s for template %s", src, lt->id);
    merged = json_deep_copy(base->data);
    if (!merged || json_object_update(merged, data)) goto fail;
  } else {
    merged = json_deep_copy(data ? data : json_object());
    if (!merged) goto fail;
  }
  struct orch_sim_lt_version *vs = orch_realloc(lt->versions, (lt->nversions + 1) * sizeof *vs);
  if (!vs) goto fail;
  lt->versions = vs;
  struct orch_sim_lt_version *v = &vs[lt->nversions];
  memset(v, 0, sizeof *v);
  v->number = vs[lt->nversions - 1].number + 1;
  v->created_ms = c->now;
  v->data = merged;
  v->description = desc ? orch_strdup(desc) : NULL;
  lt->nversions++;
  *out = json_pack("{s:o}", "LaunchTemplateVersion", version_json(c, lt, v));
  return *out ? 0 : internal(aerr);
fail:
  json_decref(merged);
  return internal(aerr);
}

static int ec2_modify_launch_template(struct orch_sim_call *c, const json_t *in, json_t **out,
                                      struct orch_aws_error *aerr) {
  struct orch_sim_lt *lt;
  const char *dv = orch_sim_str(in, "DefaultVersion");
  char by[96];
  int rc = find_lt(c, in, aerr, &lt);
  if (rc) return rc;
  if (dv) {
    const struct orch_sim_lt_version *v = lt_version(lt, dv);
    if (!v)
      return orch_sim_fail(aerr, 400, "InvalidLaunchTemplateId.VersionNotFound",
                           "Could not find launch template version %s for template %s", dv, lt->id);
    lt->default_version = v->number;
  }
  snprintf(by, sizeof by, "arn:aws:iam::%s:root", c->w->accounts[c->env->account].id);
  *out = json_pack("{s:{s:s, s:s, s:o, s:s, s:I, s:I}}", "LaunchTemplate", "LaunchTemplateId", lt->id,
                   "LaunchTemplateName", lt->name, "CreateTime", orch_sim_time_json(lt->created_ms), "CreatedBy", by,
                   "DefaultVersionNumber", (json_int_t)lt->default_version, "LatestVersionNumber",
                   (json_int_t)lt->versions[lt->nversions - 1].number);
  return *out ? 0 : internal(aerr);
}

const struct orch_sim_op orch_sim_ec2_ops[] = {
    {"DescribeInstances", ec2_describe_instances},
    {"DescribeInstanceStatus", ec2_describe_instance_status},
    {"DescribeSubnets", ec2_describe_subnets},
    {"DescribeSecurityGroups", ec2_describe_security_groups},
    {"DescribeLaunchTemplateVersions", ec2_describe_launch_template_versions},
    {"CreateLaunchTemplateVersion", ec2_create_launch_template_version},
    {"ModifyLaunchTemplate", ec2_modify_launch_template},
    {"CreateTags", ec2_create_tags},
    {"StopInstances", ec2_stop_instances},
    {"TerminateInstances", ec2_terminate_instances},
    {NULL, NULL},
};
