/* model_check: checks a response body as it went on the wire against the operation's output shape in the
 * embedded botocore model, independently of our parser: every member is one the model names, every value
 * has the model's type as the protocol writes it (JSON: epoch-second numbers for timestamps unless the model
 * says otherwise, integers, booleans, base64 blobs; XML: parseable text), every enum value is one of the
 * model's. Problems are appended to a buffer, one line each with the JSON path. Header-only, for the
 * simulator's tests. Uses orch_aws_model_shape, jansson, libxml2. */
#ifndef MODEL_CHECK_H
#define MODEL_CHECK_H

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "sim/orch_sim_faults.h"
#include "aws/orch_aws_model_shape.h"
#include "core/orch_buf.h"
#include "core/orch_time.h"

struct mc {
  struct orch_buf problems;
  int n;
};

static inline void mc_fail(struct mc *m, const char *path, const char *fmt, ...) {
  va_list ap;
  char msg[512];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  m->n++;
  if (m->n <= 20 && orch_buf_printf(&m->problems, "  %s: %s\n", path[0] ? path : "(root)", msg)) abort();
}

static inline void mc_path(char *out, size_t n, const char *base, const char *key) {
  snprintf(out, n, "%s%s%s", base, base[0] ? "." : "", key);
}

/* Values AWS itself answers outside its model's enum, which the simulator copies. */
static const struct {
  const char *shape, *value, *why;
} MC_AWS_DEVIATIONS[] = {
    {"PlatformValues", "windows", "EC2 DescribeInstances answers platform 'windows' in lower case; the model says 'Windows'"},
    {"BucketLocationConstraint", "", "S3 answers an empty LocationConstraint for a us-east-1 bucket"},
};

static inline void mc_enum(struct mc *m, const char *path, const struct orch_aws_shape *sh, const char *v) {
  if (!sh->enums) return;
  for (size_t i = 0; i < sizeof MC_AWS_DEVIATIONS / sizeof MC_AWS_DEVIATIONS[0]; i++)
    if (strcmp(MC_AWS_DEVIATIONS[i].shape, sh->name) == 0 && strcmp(MC_AWS_DEVIATIONS[i].value, v) == 0) return;
  for (size_t i = 0; i < sh->nenums; i++)
    if (strcmp(sh->enums[i], v) == 0) return;
  mc_fail(m, path, "'%s' is not one of the %s values", v, sh->name);
}

/* ---- JSON (rest-json, JSON 1.0/1.1) ---- */

static inline void mc_json(struct mc *m, const char *path, const json_t *v, const struct orch_aws_member *ref) {
  const struct orch_aws_shape *sh = ref->shape;
  char p[512];
  switch (sh->type) {
    case ORCH_AWS_T_STRUCTURE: {
      if (!json_is_object(v)) return mc_fail(m, path, "expected an object (%s)", sh->name);
      const char *k;
      json_t *x;
      json_object_foreach(orch_sim_json_mut(v), k, x) {
        const struct orch_aws_member *mem = NULL;
        for (size_t i = 0; i < sh->nmembers && !mem; i++) {
          const struct orch_aws_member *c = &sh->members[i];
          if (c->location != ORCH_AWS_LOC_BODY) continue;
          if (strcmp(c->location_name ? c->location_name : c->name, k) == 0) mem = c;
        }
        mc_path(p, sizeof p, path, k);
        if (!mem) mc_fail(m, p, "not a member of %s", sh->name);
        else mc_json(m, p, x, mem);
      }
      return;
    }
    case ORCH_AWS_T_LIST: {
      if (!json_is_array(v)) return mc_fail(m, path, "expected an array (%s)", sh->name);
      size_t i;
      json_t *x;
      json_array_foreach(orch_sim_json_mut(v), i, x) {
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        mc_json(m, p, x, &sh->member);
      }
      return;
    }
    case ORCH_AWS_T_MAP: {
      if (!json_is_object(v)) return mc_fail(m, path, "expected an object (map %s)", sh->name);
      const char *k;
      json_t *x;
      json_object_foreach(orch_sim_json_mut(v), k, x) {
        mc_path(p, sizeof p, path, k);
        mc_json(m, p, x, &sh->value);
      }
      return;
    }
    case ORCH_AWS_T_STRING:
      if (!json_is_string(v)) return mc_fail(m, path, "expected a string (%s)", sh->name);
      return mc_enum(m, path, sh, json_string_value(v));
    case ORCH_AWS_T_INTEGER:
      if (!json_is_integer(v)) mc_fail(m, path, "expected an integer (%s)", sh->type_name);
      return;
    case ORCH_AWS_T_FLOAT:
      if (!json_is_number(v)) mc_fail(m, path, "expected a number (%s)", sh->type_name);
      return;
    case ORCH_AWS_T_BOOLEAN:
      if (!json_is_boolean(v)) mc_fail(m, path, "expected a boolean");
      return;
    case ORCH_AWS_T_TIMESTAMP: {
      enum orch_aws_tsformat f = ref->ts_format != ORCH_AWS_TS_DEFAULT ? ref->ts_format : sh->ts_format;
      int64_t ms;
      if (f == ORCH_AWS_TS_DEFAULT || f == ORCH_AWS_TS_UNIX) {
        if (!json_is_number(v)) mc_fail(m, path, "expected a timestamp as epoch seconds (a number), got %s",
                                         json_is_string(v) ? "a string" : "another type");
      } else if (!json_is_string(v) || orch_time_parse_iso8601(json_string_value(v), &ms)) {
        mc_fail(m, path, "expected an ISO-8601 timestamp string");
      }
      return;
    }
    case ORCH_AWS_T_BLOB:
      if (!json_is_string(v)) mc_fail(m, path, "expected a base64 string (blob)");
      return;
    case ORCH_AWS_T_DOCUMENT:
      return;
  }
}

/* ---- XML (query, ec2, rest-xml) ---- */

static inline const char *mc_wire(const struct orch_aws_member *mem, bool ec2) {
  (void)ec2;
  return mem->location_name ? mem->location_name : mem->name;
}

static inline void mc_xml(struct mc *m, const char *path, xmlNode *node, const struct orch_aws_member *ref, bool ec2);

/* The members of structure `sh` from the element children of `parent`. `skip` names elements that are the
 * protocol's own (requestId, ResponseMetadata) rather than the shape's. */
static inline void mc_xml_struct(struct mc *m, const char *path, xmlNode *parent, const struct orch_aws_shape *sh,
                                 bool ec2, const char *const *skip) {
  char p[512];
  for (xmlNode *c = parent->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    const char *name = (const char *)c->name;
    bool skipped = false;
    for (size_t i = 0; skip && skip[i] && !skipped; i++) skipped = strcmp(skip[i], name) == 0;
    if (skipped) continue;
    const struct orch_aws_member *mem = NULL;
    for (size_t i = 0; i < sh->nmembers && !mem; i++) {
      const struct orch_aws_member *cand = &sh->members[i];
      if (cand->location != ORCH_AWS_LOC_BODY) continue;
      const char *w = mc_wire(cand, ec2);
      /* A flattened list repeats its member's element name. */
      if (cand->shape->type == ORCH_AWS_T_LIST && (cand->flattened || cand->shape->flattened) &&
          cand->shape->member.location_name)
        w = cand->shape->member.location_name;
      if (strcmp(w, name) == 0) mem = cand;
    }
    mc_path(p, sizeof p, path, name);
    if (!mem) {
      mc_fail(m, p, "not a member of %s", sh->name);
      continue;
    }
    if (mem->shape->type == ORCH_AWS_T_LIST && (mem->flattened || mem->shape->flattened)) {
      mc_xml(m, p, c, &mem->shape->member, ec2);
      continue;
    }
    mc_xml(m, p, c, mem, ec2);
  }
}

static inline void mc_xml(struct mc *m, const char *path, xmlNode *node, const struct orch_aws_member *ref, bool ec2) {
  const struct orch_aws_shape *sh = ref->shape;
  char p[512];
  xmlChar *text = NULL;
  const char *t;
  switch (sh->type) {
    case ORCH_AWS_T_STRUCTURE:
      return mc_xml_struct(m, path, node, sh, ec2, NULL);
    case ORCH_AWS_T_LIST: {
      const char *item = sh->member.location_name ? sh->member.location_name : (ec2 ? "item" : "member");
      size_t i = 0;
      for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        snprintf(p, sizeof p, "%s[%zu]", path, i++);
        if (strcmp((const char *)c->name, item) != 0) mc_fail(m, p, "list item element <%s>, expected <%s>", c->name, item);
        else mc_xml(m, p, c, &sh->member, ec2);
      }
      return;
    }
    case ORCH_AWS_T_MAP:
      for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        mc_path(p, sizeof p, path, (const char *)c->name);
        if (strcmp((const char *)c->name, "entry") != 0) mc_fail(m, p, "map entries are <entry>");
      }
      return;
    default:
      break;
  }
  for (xmlNode *c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) return mc_fail(m, path, "a %s value holds elements", sh->type_name);
  text = xmlNodeGetContent(node);
  t = text ? (const char *)text : "";
  char *end = NULL;
  int64_t ms;
  switch (sh->type) {
    case ORCH_AWS_T_STRING:
      mc_enum(m, path, sh, t);
      break;
    case ORCH_AWS_T_INTEGER:
      strtoll(t, &end, 10);
      if (!*t || *end) mc_fail(m, path, "'%s' is not an integer", t);
      break;
    case ORCH_AWS_T_FLOAT:
      strtod(t, &end);
      if (!*t || *end) mc_fail(m, path, "'%s' is not a number", t);
      break;
    case ORCH_AWS_T_BOOLEAN:
      if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0) mc_fail(m, path, "'%s' is not true or false", t);
      break;
    case ORCH_AWS_T_TIMESTAMP: {
      enum orch_aws_tsformat f = ref->ts_format != ORCH_AWS_TS_DEFAULT ? ref->ts_format : sh->ts_format;
      if ((f == ORCH_AWS_TS_DEFAULT || f == ORCH_AWS_TS_ISO8601) && orch_time_parse_iso8601(t, &ms))
        mc_fail(m, path, "'%s' is not an ISO-8601 timestamp", t);
      break;
    }
    default:
      break;
  }
  xmlFree(text);
}

/* Check `body` (the response of `op` with HTTP status 2xx) against the model. Returns the number of
 * problems; their description is in m->problems (caller frees it). */
static inline int mc_check(struct mc *m, const struct orch_aws_operation *op, const char *body, size_t len) {
  const struct orch_aws_service *svc = orch_aws_operation_service(op);
  enum orch_aws_protocol proto = orch_aws_service_protocol(svc);
  const struct orch_aws_member *out = &op->output;
  if (!out->shape) {
    if (len && proto != ORCH_AWS_PROTO_EC2 && proto != ORCH_AWS_PROTO_QUERY && strcmp(body, "{}") != 0)
      mc_fail(m, "", "the operation has no output, yet the body is '%.60s'", body);
    return m->n;
  }
  if (proto == ORCH_AWS_PROTO_REST_XML && len == 0) return m->n; /* everything in headers (PutObject) */
  if (proto == ORCH_AWS_PROTO_JSON || proto == ORCH_AWS_PROTO_REST_JSON) {
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!j) {
      mc_fail(m, "", "not JSON: %s", je.text);
      return m->n;
    }
    mc_json(m, "", j, out);
    json_decref(j);
    return m->n;
  }
  xmlDoc *doc = xmlReadMemory(body, (int)len, "response.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (!root) {
    mc_fail(m, "", "not XML");
    xmlFreeDoc(doc);
    return m->n;
  }
  char want[160];
  snprintf(want, sizeof want, "%sResponse", orch_aws_operation_name(op));
  if (proto == ORCH_AWS_PROTO_REST_XML) {
    /* rest-xml: the payload member is the root, else the root holds the body members; a structure of one
     * member named like the root is that member (S3's <LocationConstraint>). */
    const struct orch_aws_shape *s = out->shape;
    const struct orch_aws_member *root_member = s->payload >= 0 ? &s->members[s->payload] : NULL;
    for (size_t i = 0; !root_member && i < s->nmembers; i++)
      if (s->members[i].location == ORCH_AWS_LOC_BODY && !strcmp(mc_wire(&s->members[i], false), (const char *)root->name) &&
          s->members[i].shape->type != ORCH_AWS_T_STRUCTURE)
        root_member = &s->members[i];
    if (root_member) mc_xml(m, (const char *)root->name, root, root_member, false);
    else mc_xml_struct(m, "", root, s, false, NULL);
  } else if (proto == ORCH_AWS_PROTO_EC2) {
    if (strcmp((const char *)root->name, want) != 0) mc_fail(m, "", "root element <%s>, expected <%s>", root->name, want);
    static const char *const skip[] = {"requestId", NULL};
    mc_xml_struct(m, "", root, out->shape, true, skip);
  } else {
    if (strcmp((const char *)root->name, want) != 0) mc_fail(m, "", "root element <%s>, expected <%s>", root->name, want);
    xmlNode *result = NULL;
    for (xmlNode *c = root->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "ResponseMetadata") == 0) continue;
      if (out->result_wrapper && strcmp((const char *)c->name, out->result_wrapper) == 0) result = c;
      else mc_fail(m, (const char *)c->name, "not part of a %s response", orch_aws_operation_name(op));
    }
    if (!result && out->result_wrapper) mc_fail(m, "", "no <%s>", out->result_wrapper);
    if (result) mc_xml_struct(m, "", result, out->shape, false, NULL);
  }
  xmlFreeDoc(doc);
  return m->n;
}

#endif
