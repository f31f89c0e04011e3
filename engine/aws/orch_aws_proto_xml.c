/* orch_aws_proto_xml: the XML side of the query and ec2 protocols: responses read into our JSON by the
 * output shape (result wrappers, wrapped and flattened lists and maps, attributes), error documents
 * (<ErrorResponse><Error>, ec2's <Response><Errors><Error>, also inside a 200), and the simulator's
 * responses and errors; rest-xml body documents (read and written) for the REST codec. Reads with libxml2,
 * writes with its own small writer (botocore's byte form). Uses libxml2, orch_aws_proto_walk, jansson. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_alloc.h"
#include "core/orch_str.h"

#define OOM(err) orch_error_set((err), ORCH_ENOMEM, "out of memory")

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

/* ---- reading ---- */

static bool is_elem(const xmlNode *n, const char *name) {
  return n && n->type == XML_ELEMENT_NODE && (!name || !strcmp((const char *)n->name, name));
}

static xmlNode *child(const xmlNode *n, const char *name) {
  for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
    if (is_elem(c, name)) return c;
  return NULL;
}

/* Text of an element into `b` (reset first). */
static int text_of(const xmlNode *n, struct orch_buf *b) {
  orch_buf_reset(b);
  xmlChar *t = xmlNodeGetContent(n);
  if (!t) return orch_buf_append(b, "", 0);
  int rc = orch_buf_puts(b, (const char *)t);
  xmlFree(t);
  return rc;
}

/* Parse `body`: a clear error for empty, oversized, HTML, malformed and DTD-carrying documents. */
static int xml_parse(const struct orch_buf *body, const char *ctype, const char *what, xmlDoc **out,
                     struct orch_error *err) {
  pthread_once(&xml_once, xml_init);
  *out = NULL;
  struct orch_strview t = orch_str_trim((struct orch_strview){orch_buf_cstr(body), body->len});
  if (t.n == 0) return orch_error_set(err, ORCH_EPARSE, "%s is empty where an XML document was expected", what);
  if (body->len > ORCH_AWS_MAX_BODY || body->len > INT_MAX)
    return orch_error_set(err, ORCH_ETOOBIG, "%s of %zu bytes is over the limit", what, body->len);
  if (orch_aws_proto_is_html(body, ctype))
    return orch_error_set(err, ORCH_EPARSE,
                          "%s is an HTML page, not XML: a proxy, load balancer or captive portal answered "
                          "instead of the AWS service",
                          what);
  xmlParserCtxt *ctxt = xmlNewParserCtxt();
  if (!ctxt) return OOM(err);
  xmlDoc *doc = xmlCtxtReadMemory(ctxt, body->data, (int)body->len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  int rc = 0;
  if (!doc || !ctxt->wellFormed) {
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    char msg[256] = "not well-formed";
    if (e && e->message) {
      snprintf(msg, sizeof msg, "%s", e->message);
      size_t n = strlen(msg);
      while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = '\0';
    }
    rc = orch_error_set(err, ORCH_EPARSE, "malformed XML in %s: line %d: %s", what, e ? e->line : 0, msg);
  } else if (doc->intSubset || doc->extSubset) {
    rc = orch_error_set(err, ORCH_EPARSE, "%s carries a DTD, which AWS responses never do", what);
  } else if (!xmlDocGetRootElement(doc)) {
    rc = orch_error_set(err, ORCH_EPARSE, "%s has no root element", what);
  }
  xmlFreeParserCtxt(ctxt);
  if (rc) {
    xmlFreeDoc(doc);
    return rc;
  }
  *out = doc;
  return 0;
}

struct xread {
  struct orch_buf text;
  int depth;
  struct orch_error *err;
};

static int xdecode(struct xread *r, const xmlNode *n, const struct orch_aws_member *m, json_t **out);

static int xbad(struct xread *r, const xmlNode *n, const char *what) {
  return orch_error_setc(r->err, ORCH_EPARSE, (const char *)n->name, "line %ld: cannot read '%.60s' as %s",
                         xmlGetLineNo(n), orch_buf_cstr(&r->text), what);
}

/* <entry><key>k</key><value>v</value></entry> (or the flattened form) into `obj`. */
static int xdecode_entry(struct xread *r, const xmlNode *entry, const struct orch_aws_shape *s, json_t *obj) {
  const char *kname = s->key.location_name ? s->key.location_name : "key";
  const char *vname = s->value.location_name ? s->value.location_name : "value";
  const xmlNode *kn = child(entry, kname), *vn = child(entry, vname);
  if (!kn) return 0;
  int rc = text_of(kn, &r->text);
  if (rc) return OOM(r->err);
  char *key = orch_strndup(orch_buf_cstr(&r->text), r->text.len);
  if (!key) return OOM(r->err);
  json_t *v = NULL;
  if (vn) rc = xdecode(r, vn, &s->value, &v);
  if (!rc && v && json_object_set_new(obj, key, v)) rc = OOM(r->err);
  orch_free(key);
  return rc;
}

static const struct orch_aws_member *xml_member(const struct orch_aws_shape *s, const char *name) {
  for (size_t i = 0; i < s->nmembers; i++) {
    const struct orch_aws_member *m = &s->members[i];
    if (m->location != ORCH_AWS_LOC_BODY || m->xml_attribute) continue;
    if (!strcmp(m->location_name ? m->location_name : m->name, name)) return m;
    /* botocore names a flattened list's elements after its member's locationName */
    if (m->flattened && m->shape->type == ORCH_AWS_T_LIST && m->shape->member.location_name &&
        !strcmp(m->shape->member.location_name, name))
      return m;
  }
  return NULL;
}

static int xdecode_struct(struct xread *r, const xmlNode *n, const struct orch_aws_shape *s, json_t **out) {
  json_t *obj = json_object();
  if (!obj) return OOM(r->err);
  int rc = 0;
  for (const xmlNode *c = n->children; c && !rc; c = c->next) {
    if (!is_elem(c, NULL)) continue;
    const struct orch_aws_member *m = xml_member(s, (const char *)c->name);
    if (!m) continue;
    json_t *v = NULL;
    if (m->flattened && m->shape->type == ORCH_AWS_T_LIST) {
      json_t *arr = json_object_get(obj, m->name);
      if (!arr && json_object_set_new(obj, m->name, arr = json_array())) rc = OOM(r->err);
      if (!rc) rc = xdecode(r, c, &m->shape->member, &v);
      if (!rc && json_array_append_new(arr, v ? v : json_null())) rc = OOM(r->err);
    } else if (m->flattened && m->shape->type == ORCH_AWS_T_MAP) {
      json_t *map = json_object_get(obj, m->name);
      if (!map && json_object_set_new(obj, m->name, map = json_object())) rc = OOM(r->err);
      if (!rc) rc = xdecode_entry(r, c, m->shape, map);
    } else {
      rc = xdecode(r, c, m, &v);
      if (!rc && v && json_object_set_new(obj, m->name, v)) rc = OOM(r->err);
    }
  }
  for (size_t i = 0; i < s->nmembers && !rc; i++) {
    const struct orch_aws_member *m = &s->members[i];
    if (!m->xml_attribute) continue;
    const char *an = m->location_name ? m->location_name : m->name;
    const char *colon = strchr(an, ':');
    xmlChar *av = xmlGetProp(n, BAD_CAST (colon ? colon + 1 : an));
    if (!av) continue;
    json_t *v = NULL;
    rc = orch_aws_scalar_from_text(m, (const char *)av, &v);
    xmlFree(av);
    if (!rc && json_object_set_new(obj, m->name, v)) rc = ORCH_ENOMEM;
    if (rc) rc = rc == ORCH_ENOMEM ? OOM(r->err) : xbad(r, n, m->shape->type_name);
  }
  if (rc) json_decref(obj);
  else *out = obj;
  return rc;
}

static int xdecode(struct xread *r, const xmlNode *n, const struct orch_aws_member *m, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  if (++r->depth > ORCH_AWS_MAX_DEPTH) {
    r->depth--;
    return orch_error_setc(r->err, ORCH_ETOOBIG, (const char *)n->name, "nested deeper than %d levels",
                           ORCH_AWS_MAX_DEPTH);
  }
  int rc = 0;
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE:
      rc = xdecode_struct(r, n, s, out);
      break;
    case ORCH_AWS_T_LIST: {
      json_t *arr = json_array();
      if (!arr) {
        rc = OOM(r->err);
        break;
      }
      for (const xmlNode *c = n->children; c && !rc; c = c->next) {
        if (!is_elem(c, NULL)) continue;
        json_t *v = NULL;
        rc = xdecode(r, c, &s->member, &v);
        if (!rc && json_array_append_new(arr, v ? v : json_null())) rc = OOM(r->err);
      }
      if (rc) json_decref(arr);
      else *out = arr;
      break;
    }
    case ORCH_AWS_T_MAP: {
      json_t *obj = json_object();
      if (!obj) {
        rc = OOM(r->err);
        break;
      }
      for (const xmlNode *c = n->children; c && !rc; c = c->next)
        if (is_elem(c, NULL)) rc = xdecode_entry(r, c, s, obj);
      if (rc) json_decref(obj);
      else *out = obj;
      break;
    }
    case ORCH_AWS_T_DOCUMENT:
      break; /* no XML form: skipped */
    default:
      if (text_of(n, &r->text)) {
        rc = OOM(r->err);
        break;
      }
      rc = orch_aws_scalar_from_text(m, orch_buf_cstr(&r->text), out);
      if (rc == ORCH_ENOMEM) rc = OOM(r->err);
      else if (rc) rc = xbad(r, n, s->type_name);
      break;
  }
  r->depth--;
  return rc;
}

/* The <Error> element of an error document, or NULL when `root` is not one. */
static const xmlNode *error_node(const xmlNode *root) {
  if (is_elem(root, "ErrorResponse")) return child(root, "Error");
  if (is_elem(root, "Response") && child(root, "Errors")) return child(child(root, "Errors"), "Error");
  if (is_elem(root, "Error") && child(root, "Code")) return root;
  return NULL;
}

static int fill_error(const xmlNode *root, const xmlNode *e, struct orch_aws_error *aerr, struct orch_buf *t) {
  static const char *const rid_names[] = {"RequestId", "RequestID", "requestId", NULL};
  const xmlNode *n;
  if ((n = child(e, "Code")) && !text_of(n, t)) snprintf(aerr->code, sizeof aerr->code, "%s", orch_buf_cstr(t));
  if (((n = child(e, "Message")) || (n = child(e, "message"))) && !text_of(n, t))
    snprintf(aerr->message, sizeof aerr->message, "%s", orch_buf_cstr(t));
  for (size_t i = 0; !aerr->request_id[0] && rid_names[i]; i++)
    if (((n = child(root, rid_names[i])) || (n = child(e, rid_names[i]))) && !text_of(n, t))
      snprintf(aerr->request_id, sizeof aerr->request_id, "%s", orch_buf_cstr(t));
  return t->err ? ORCH_ENOMEM : 0;
}

int orch_aws_xml_parse_error(const struct orch_aws_service *svc, const struct orch_http_response *resp,
                             struct orch_aws_error *aerr, json_t **details, struct orch_error *err) {
  if (details) *details = NULL;
  aerr->http_status = resp->status;
  const char *rid = orch_http_headers_get(&resp->headers, "x-amzn-RequestId");
  if (!rid) rid = orch_http_headers_get(&resp->headers, "x-amz-request-id"); /* S3 */
  if (rid) snprintf(aerr->request_id, sizeof aerr->request_id, "%s", rid);
  if (orch_str_trim((struct orch_strview){orch_buf_cstr(&resp->body), resp->body.len}).n == 0) {
    /* No body (S3 answers HEAD requests so): the status says what it was, as the SDKs name it. */
    const char *code = resp->status == 404 ? "NotFound" : resp->status == 403 ? "Forbidden"
                       : resp->status == 400 ? "BadRequest" : resp->status == 301 ? "PermanentRedirect" : NULL;
    if (code) snprintf(aerr->code, sizeof aerr->code, "%s", code);
    else snprintf(aerr->code, sizeof aerr->code, "Http%dError", resp->status);
    snprintf(aerr->message, sizeof aerr->message, "HTTP %d with no body", resp->status);
    return 0;
  }
  xmlDoc *doc = NULL;
  struct orch_error perr = {0};
  int rc = xml_parse(&resp->body, orch_http_headers_get(&resp->headers, "Content-Type"), "error response body", &doc,
                     &perr);
  if (rc == ORCH_ENOMEM) return OOM(err);
  if (rc) {
    snprintf(aerr->code, sizeof aerr->code, "Http%dError", resp->status);
    snprintf(aerr->message, sizeof aerr->message, "HTTP %d: %s", resp->status, perr.message);
    return 0;
  }
  struct xread r = {.err = err};
  orch_buf_init(&r.text, 0);
  const xmlNode *root = xmlDocGetRootElement(doc);
  const xmlNode *e = error_node(root);
  if (e) rc = fill_error(root, e, aerr, &r.text);
  if (rc) rc = OOM(err);
  if (!aerr->code[0]) snprintf(aerr->code, sizeof aerr->code, "Http%dError", resp->status);
  const struct orch_aws_shape *shape = orch_aws_model_error_shape(svc, aerr->code);
  if (!rc && details && e && shape) rc = xdecode_struct(&r, e, shape, details);
  orch_buf_free(&r.text);
  xmlFreeDoc(doc);
  return rc;
}

int orch_aws_xml_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                json_t **output, struct orch_aws_error *aerr, struct orch_error *err) {
  xmlDoc *doc = NULL;
  if (orch_str_trim((struct orch_strview){orch_buf_cstr(&resp->body), resp->body.len}).n == 0) {
    /* An empty 200: nothing to read (operations without output answer so). */
    *output = json_object();
    return *output ? 0 : OOM(err);
  }
  int rc = xml_parse(&resp->body, orch_http_headers_get(&resp->headers, "Content-Type"), "response body", &doc, err);
  if (rc) {
    orch_error_prefix(err, "%s response", op->name);
    return rc;
  }
  struct xread r = {.err = err};
  orch_buf_init(&r.text, 0);
  const xmlNode *root = xmlDocGetRootElement(doc);
  const xmlNode *e = error_node(root);
  if (e) {
    /* Some query APIs answer 200 with an error document. */
    aerr->http_status = resp->status;
    const char *rid = orch_http_headers_get(&resp->headers, "x-amzn-RequestId");
    if (rid) snprintf(aerr->request_id, sizeof aerr->request_id, "%s", rid);
    rc = fill_error(root, e, aerr, &r.text) ? OOM(err) : ORCH_EAWS;
    if (rc == ORCH_EAWS && !aerr->code[0]) snprintf(aerr->code, sizeof aerr->code, "UnknownError");
  } else if (!op->output.shape) {
    *output = json_object();
    if (!*output) rc = OOM(err);
  } else {
    const xmlNode *start = root;
    if (orch_aws_service_protocol(op->svc) == ORCH_AWS_PROTO_QUERY) {
      /* <OpResponse><OpResult>: the model names the wrapper (resultWrapper); without one, the
       * conventional name is used when present. */
      char wrapper[300];
      snprintf(wrapper, sizeof wrapper, "%s", op->output.result_wrapper ? op->output.result_wrapper : "");
      if (!wrapper[0]) snprintf(wrapper, sizeof wrapper, "%sResult", op->name);
      start = child(root, wrapper);
      if (!start && !op->output.result_wrapper) start = root;
    }
    if (start) rc = xdecode_struct(&r, start, op->output.shape, output);
    else if (!(*output = json_object())) rc = OOM(err);
    if (rc) orch_error_prefix(err, "%s response", op->name);
  }
  orch_buf_free(&r.text);
  xmlFreeDoc(doc);
  return rc;
}

/* ---- rest-xml documents ---- */

/* The wire name of a rest-xml member with no locationName: its shape's name. */
static const char *doc_name(const struct orch_aws_member *m) {
  return m->location_name ? m->location_name : m->shape->location_name ? m->shape->location_name : m->shape->name;
}

int orch_aws_xml_read_doc(const struct orch_aws_member *m, const struct orch_buf *body, const char *ctype,
                          const char *what, json_t **out, struct orch_error *err) {
  xmlDoc *doc = NULL;
  *out = NULL;
  if (orch_str_trim((struct orch_strview){orch_buf_cstr(body), body->len}).n == 0) return 0;
  int rc = xml_parse(body, ctype, what, &doc, err);
  if (rc) return rc;
  struct xread r = {.err = err};
  orch_buf_init(&r.text, 0);
  const xmlNode *root = xmlDocGetRootElement(doc);
  const struct orch_aws_shape *s = m->shape;
  /* A structure whose one body member is the root element itself, holding text: S3's GetBucketLocation
   * answers <LocationConstraint>us-west-2</LocationConstraint> for a structure {LocationConstraint}. */
  const struct orch_aws_member *whole = s->type == ORCH_AWS_T_STRUCTURE ? xml_member(s, (const char *)root->name) : NULL;
  bool has_children = false;
  for (const xmlNode *c = root->children; c; c = c->next) has_children = has_children || is_elem(c, NULL);
  if (whole && !has_children && whole->shape->type != ORCH_AWS_T_STRUCTURE) {
    json_t *v = NULL, *obj = json_object();
    rc = obj ? xdecode(&r, root, whole, &v) : OOM(err);
    if (!rc && v && json_object_set_new(obj, whole->name, v)) rc = OOM(err);
    if (rc) json_decref(obj);
    else *out = obj;
  } else {
    rc = xdecode(&r, root, m, out);
  }
  orch_buf_free(&r.text);
  xmlFreeDoc(doc);
  return rc;
}

/* ---- writing (the simulator) ---- */

/* A small XML writer over orch_buf: start tags are closed lazily, so an element with no content is written
 * "<name />" as botocore (ElementTree) writes it; text escapes & < >, attributes also " and newlines. */
#define XW_MAX_OPEN (ORCH_AWS_MAX_DEPTH * 3 + 8)
struct xwrite {
  struct orch_buf *out;
  struct orch_buf text;
  bool failed, open; /* open: the last start tag still lacks its '>' */
  int depth;
  char *stack[XW_MAX_OPEN];
  size_t n;
};

static void xescape(struct xwrite *x, const char *s, bool attr) {
  for (const char *p = s; *p && !x->failed; p++) {
    const char *e = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                    : attr && *p == '"' ? "&quot;" : attr && *p == '\n' ? "&#10;" : attr && *p == '\r' ? "&#13;"
                    : NULL;
    if (e ? orch_buf_puts(x->out, e) : orch_buf_putc(x->out, *p)) x->failed = true;
  }
}
static void xclose_tag(struct xwrite *x) {
  if (x->open && orch_buf_putc(x->out, '>')) x->failed = true;
  x->open = false;
}
static void xstart(struct xwrite *x, const char *name) {
  if (x->failed) return;
  xclose_tag(x);
  char *copy = x->n < XW_MAX_OPEN ? orch_strdup(name) : NULL;
  if (!copy || orch_buf_printf(x->out, "<%s", name)) {
    orch_free(copy);
    x->failed = true;
    return;
  }
  x->stack[x->n++] = copy;
  x->open = true;
}
static void xend(struct xwrite *x) {
  if (x->failed || !x->n) return;
  char *name = x->stack[--x->n];
  if (x->open ? orch_buf_puts(x->out, " />") : orch_buf_printf(x->out, "</%s>", name)) x->failed = true;
  x->open = false;
  orch_free(name);
}
static void xattr(struct xwrite *x, const char *name, const char *value) {
  if (x->failed || !x->open || orch_buf_printf(x->out, " %s=\"", name)) {
    x->failed = true;
    return;
  }
  xescape(x, value, true);
  if (!x->failed && orch_buf_putc(x->out, '"')) x->failed = true;
}
static void xtext(struct xwrite *x, const char *text) {
  if (x->failed || !*text) return;
  xclose_tag(x);
  xescape(x, text, false);
}
static void xleaf(struct xwrite *x, const char *name, const char *text) {
  xstart(x, name);
  xtext(x, text);
  xend(x);
}
/* Free what an abandoned document left open. */
static void xwrite_release(struct xwrite *x) {
  while (x->n) orch_free(x->stack[--x->n]);
  orch_buf_free(&x->text);
}

static int xencode(struct xwrite *x, const struct orch_aws_member *m, const char *name, const json_t *v);

static int xencode_members(struct xwrite *x, const struct orch_aws_shape *s, const json_t *v) {
  if (!json_is_object(v)) return ORCH_ETYPE;
  size_t i = 0;
  const json_t *mv;
  const struct orch_aws_member *m;
  int rc = 0;
  while ((m = orch_aws_walk_next(s, v, &i, &mv)) != NULL) { /* attributes come first */
    if (!m->xml_attribute) continue;
    orch_buf_reset(&x->text);
    if ((rc = orch_aws_scalar_append(&x->text, m, mv, ORCH_AWS_TS_ISO8601))) return rc;
    xattr(x, m->location_name ? m->location_name : m->name, orch_buf_cstr(&x->text));
  }
  i = 0;
  while (!rc && (m = orch_aws_walk_next(s, v, &i, &mv)) != NULL) {
    if (m->xml_attribute || m->location != ORCH_AWS_LOC_BODY) continue;
    rc = xencode(x, m, m->location_name ? m->location_name : m->name, mv);
  }
  return rc;
}

static int xencode(struct xwrite *x, const struct orch_aws_member *m, const char *name, const json_t *v) {
  const struct orch_aws_shape *s = m->shape;
  if (++x->depth > ORCH_AWS_MAX_DEPTH) {
    x->depth--;
    return ORCH_ETOOBIG;
  }
  int rc = 0;
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE:
      xstart(x, name);
      if (s->xml_namespace) { /* a structure with its own namespace declares it (S3's xsi:type grantees) */
        char attr[160];
        snprintf(attr, sizeof attr, "xmlns%s%s", s->xml_ns_prefix ? ":" : "", s->xml_ns_prefix ? s->xml_ns_prefix : "");
        xattr(x, attr, s->xml_namespace);
      }
      rc = xencode_members(x, s, v);
      xend(x);
      break;
    case ORCH_AWS_T_LIST: {
      if (!json_is_array(v)) {
        rc = ORCH_ETYPE;
        break;
      }
      const char *item = s->member.location_name ? s->member.location_name : "member";
      if (!m->flattened) xstart(x, name);
      for (size_t i = 0; i < json_array_size(v) && !rc; i++)
        if (!json_is_null(json_array_get(v, i))) rc = xencode(x, &s->member, m->flattened ? name : item, json_array_get(v, i));
      if (!m->flattened) xend(x);
      break;
    }
    case ORCH_AWS_T_MAP: {
      if (!json_is_object(v)) {
        rc = ORCH_ETYPE;
        break;
      }
      const char *kname = s->key.location_name ? s->key.location_name : "key";
      const char *vname = s->value.location_name ? s->value.location_name : "value";
      const char *k;
      json_t *item;
      if (!m->flattened) xstart(x, name);
      json_object_foreach(orch_aws_unconst(v), k, item) {
        if (json_is_null(item)) continue;
        xstart(x, m->flattened ? name : "entry");
        xleaf(x, kname, k);
        rc = xencode(x, &s->value, vname, item);
        xend(x);
        if (rc) break;
      }
      if (!m->flattened) xend(x);
      break;
    }
    case ORCH_AWS_T_DOCUMENT:
      rc = ORCH_EUNSUPPORTED;
      break;
    default:
      orch_buf_reset(&x->text);
      rc = orch_aws_scalar_append(&x->text, m, v, ORCH_AWS_TS_ISO8601);
      if (!rc) xleaf(x, name, orch_buf_cstr(&x->text));
      break;
  }
  x->depth--;
  return rc;
}

/* A response document with its XML declaration, written into `body`. */
static void xwrite_begin(struct xwrite *x, struct orch_buf *body) {
  orch_buf_init(&x->text, 0);
  x->out = body;
  if (orch_buf_puts(body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")) x->failed = true;
}

/* Finish the document into `resp` (status, Content-Type, body) from `body`, which it frees. */
static int xwrite_end(struct xwrite *x, struct orch_buf *body, int rc, int status, const char *request_id,
                      struct orch_http_response *resp, struct orch_error *err) {
  if (!x->failed && orch_buf_putc(body, '\n')) x->failed = true;
  if (!rc && !x->failed) {
    resp->status = status;
    orch_buf_reset(&resp->body);
    if (orch_buf_append(&resp->body, body->data, body->len) ||
        orch_http_headers_set(&resp->headers, "Content-Type", "text/xml") ||
        orch_http_headers_set(&resp->headers, "x-amzn-RequestId", request_id))
      rc = ORCH_ENOMEM;
  }
  orch_buf_free(body);
  if (x->failed && !rc) rc = ORCH_ENOMEM;
  xwrite_release(x);
  if (rc == ORCH_ENOMEM) return OOM(err);
  if (rc == ORCH_ETYPE) return orch_error_set(err, rc, "output value does not match its shape");
  if (rc) return orch_error_set(err, rc, "cannot write the XML response");
  return 0;
}

int orch_aws_xml_write_doc(const struct orch_aws_member *m, const char *root, const char *xmlns, const json_t *v,
                           struct orch_buf *out, struct orch_error *err) {
  struct orch_buf doc = ORCH_BUF_INIT(0);
  struct xwrite x = {.out = &doc};
  orch_buf_init(&x.text, 0);
  const char *name = root ? root : doc_name(m);
  const char *ns = xmlns ? xmlns : m->xml_namespace ? m->xml_namespace : m->shape->xml_namespace;
  const char *prefix = xmlns ? NULL : m->xml_namespace ? m->xml_ns_prefix : m->shape->xml_ns_prefix;
  int rc = 0;
  if (m->shape->type != ORCH_AWS_T_STRUCTURE && ns) {
    /* A scalar root (S3's <LocationConstraint>) still carries the namespace. */
    rc = orch_aws_scalar_append(&x.text, m, v, ORCH_AWS_TS_ISO8601);
    xstart(&x, name);
    xattr(&x, "xmlns", ns);
    if (!rc) xtext(&x, orch_buf_cstr(&x.text));
    xend(&x);
  } else if (m->shape->type == ORCH_AWS_T_STRUCTURE) {
    /* The root carries the namespace (as xmlns or xmlns:prefix), then the members. */
    xstart(&x, name);
    if (ns) {
      char attr[160];
      snprintf(attr, sizeof attr, "xmlns%s%s", prefix ? ":" : "", prefix ? prefix : "");
      xattr(&x, attr, ns);
    }
    rc = xencode_members(&x, m->shape, v);
    xend(&x);
  } else {
    rc = xencode(&x, m, name, v);
  }
  if (!rc && !x.failed && orch_buf_append(out, doc.data ? doc.data : "", doc.len)) rc = ORCH_ENOMEM;
  orch_buf_free(&doc);
  if (x.failed && !rc) rc = ORCH_ENOMEM;
  xwrite_release(&x);
  if (rc == ORCH_ETYPE) return orch_error_setc(err, rc, name, "value does not match its shape %s", m->shape->name);
  if (rc == ORCH_ETOOBIG) return orch_error_setc(err, rc, name, "nested deeper than %d levels", ORCH_AWS_MAX_DEPTH);
  return rc ? OOM(err) : 0;
}

int orch_aws_xml_build_response(const struct orch_aws_operation *op, const json_t *output, const char *request_id,
                                struct orch_http_response *resp, struct orch_error *err) {
  struct xwrite x = {0};
  struct orch_buf buf = ORCH_BUF_INIT(0);
  xwrite_begin(&x, &buf);
  bool ec2 = orch_aws_service_protocol(op->svc) == ORCH_AWS_PROTO_EC2;
  const char *ns = orch_aws_service_xml_namespace(op->svc);
  char name[300];
  snprintf(name, sizeof name, "%sResponse", op->name);
  xstart(&x, name);
  if (ns) {
    /* EC2 writes its namespace with a trailing slash; the model omits it. */
    char nsbuf[300];
    snprintf(nsbuf, sizeof nsbuf, "%s%s", ns, ec2 && !orch_str_ends_with(ns, "/") ? "/" : "");
    xattr(&x, "xmlns", nsbuf);
  }
  int rc = 0;
  if (ec2) {
    xleaf(&x, "requestId", request_id);
    if (op->output.shape && output) rc = xencode_members(&x, op->output.shape, output);
  } else {
    if (op->output.shape) {
      snprintf(name, sizeof name, "%s", op->output.result_wrapper ? op->output.result_wrapper : "");
      if (!name[0]) snprintf(name, sizeof name, "%sResult", op->name);
      xstart(&x, name);
      if (output) rc = xencode_members(&x, op->output.shape, output);
      xend(&x);
    }
    xstart(&x, "ResponseMetadata");
    xleaf(&x, "RequestId", request_id);
    xend(&x);
  }
  xend(&x);
  return xwrite_end(&x, &buf, rc, 200, request_id, resp, err);
}

/* The modeled members of an error, less those the envelope already writes (Code, Message, Type). */
static int xencode_error_members(struct xwrite *x, const struct orch_aws_shape *s, const json_t *details) {
  if (!json_is_object(details)) return ORCH_ETYPE;
  json_t *rest = json_copy(orch_aws_unconst(details));
  if (!rest) return ORCH_ENOMEM;
  for (size_t i = 0; i < s->nmembers; i++) {
    const char *n = s->members[i].location_name ? s->members[i].location_name : s->members[i].name;
    if (!strcmp(n, "Code") || !strcmp(n, "Message") || !strcmp(n, "message") || !strcmp(n, "Type"))
      json_object_del(rest, s->members[i].name);
  }
  int rc = xencode_members(x, s, rest);
  json_decref(rest);
  return rc;
}

int orch_aws_xml_build_error(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                             const json_t *details, const char *request_id, struct orch_http_response *resp,
                             struct orch_error *err) {
  const struct orch_aws_shape *shape = orch_aws_model_error_shape(svc, aerr->code);
  int status = aerr->http_status > 0 ? aerr->http_status
               : shape && shape->error_status ? shape->error_status
               : shape && shape->fault ? 500
                                       : 400;
  struct xwrite x = {0};
  struct orch_buf buf = ORCH_BUF_INIT(0);
  xwrite_begin(&x, &buf);
  int rc = 0;
  bool s3 = orch_aws_service_protocol(svc) == ORCH_AWS_PROTO_REST_XML &&
            !strcmp(orch_aws_service_signing_name(svc), "s3");
  if (s3) {
    /* S3: a bare <Error> with the request id inside it (and in x-amz-request-id). */
    xstart(&x, "Error");
    xleaf(&x, "Code", aerr->code);
    xleaf(&x, "Message", aerr->message);
    if (shape && details) rc = xencode_error_members(&x, shape, details);
    xleaf(&x, "RequestId", request_id);
    xend(&x);
  } else if (orch_aws_service_protocol(svc) == ORCH_AWS_PROTO_EC2) {
    xstart(&x, "Response");
    xstart(&x, "Errors");
    xstart(&x, "Error");
    xleaf(&x, "Code", aerr->code);
    xleaf(&x, "Message", aerr->message);
    if (shape && details) rc = xencode_error_members(&x, shape, details);
    xend(&x);
    xend(&x);
    xleaf(&x, "RequestID", request_id);
    xend(&x);
  } else {
    xstart(&x, "ErrorResponse");
    if (orch_aws_service_xml_namespace(svc)) xattr(&x, "xmlns", orch_aws_service_xml_namespace(svc));
    xstart(&x, "Error");
    xleaf(&x, "Type", status >= 500 ? "Receiver" : "Sender");
    xleaf(&x, "Code", aerr->code);
    xleaf(&x, "Message", aerr->message);
    if (shape && details) rc = xencode_error_members(&x, shape, details);
    xend(&x);
    xleaf(&x, "RequestId", request_id);
    xend(&x);
  }
  rc = xwrite_end(&x, &buf, rc, status, request_id, resp, err);
  if (!rc && s3 && orch_http_headers_set(&resp->headers, "x-amz-request-id", request_id)) rc = OOM(err);
  return rc;
}
