/* orch_aws_model_shape: the in-memory form of a loaded model, shared by the modules of the aws layer
 * that walk shapes (protocols, validation) and by the simulator when it needs a shape's members.
 * Strings point into the model's JSON document, which the service keeps alive. Uses orch_aws_model. */
#ifndef ORCH_AWS_MODEL_SHAPE_H
#define ORCH_AWS_MODEL_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/orch_aws_model.h"

enum orch_aws_type {
  ORCH_AWS_T_STRUCTURE,
  ORCH_AWS_T_LIST,
  ORCH_AWS_T_MAP,
  ORCH_AWS_T_STRING,
  ORCH_AWS_T_INTEGER, /* integer, long, short, byte */
  ORCH_AWS_T_FLOAT,   /* float, double */
  ORCH_AWS_T_BOOLEAN,
  ORCH_AWS_T_TIMESTAMP,
  ORCH_AWS_T_BLOB,
  ORCH_AWS_T_DOCUMENT, /* a structure with "document": true: any JSON value */
};

enum orch_aws_location {
  ORCH_AWS_LOC_BODY,
  ORCH_AWS_LOC_HEADER,
  ORCH_AWS_LOC_HEADERS, /* a map of header-name suffixes after a prefix (locationName) */
  ORCH_AWS_LOC_URI,
  ORCH_AWS_LOC_QUERYSTRING,
  ORCH_AWS_LOC_STATUSCODE,
};

enum orch_aws_tsformat {
  ORCH_AWS_TS_DEFAULT, /* the protocol's default for where the value goes */
  ORCH_AWS_TS_ISO8601,
  ORCH_AWS_TS_RFC822,
  ORCH_AWS_TS_UNIX,
};

struct orch_aws_shape;

/* A reference to a shape from a structure member, a list member, a map key or value, or an operation's
 * input/output: the effective traits are the target shape's, overridden by the reference's own. */
struct orch_aws_member {
  const char *name;          /* member name in the model (and in our JSON); NULL for list/map refs */
  const struct orch_aws_shape *shape;
  const char *location_name; /* locationName: wire name (JSON key, header, XML element, query key) */
  const char *query_name;    /* queryName (ec2) */
  const char *xml_namespace; /* xmlNamespace uri, when given */
  const char *xml_ns_prefix; /* xmlNamespace prefix, when given */
  const char *result_wrapper; /* operation output refs (query protocol) */
  enum orch_aws_location location;
  enum orch_aws_tsformat ts_format;
  bool flattened;
  bool xml_attribute;
  bool idempotency_token;
  bool jsonvalue;
  bool host_label;
  bool required; /* listed in the enclosing structure's "required" */
};

struct orch_aws_shape {
  const char *name;
  enum orch_aws_type type;
  const char *type_name; /* as in the model: "long", "double", ... */
  /* structure */
  struct orch_aws_member *members;
  size_t nmembers;
  const char **member_names; /* NULL-terminated, for suggestions */
  int payload;               /* index of the payload member, -1 when none */
  bool is_union;
  bool exception;
  bool fault;               /* "fault": a server-side error */
  int error_status;         /* error.httpStatusCode, 0 when absent */
  const char *error_code;   /* error.code (query protocol codes differ from shape names) */
  bool sender_fault;
  bool has_body_members;    /* a member without a location (rest-json) */
  bool eventstream;         /* unsupported: rejected when used */
  /* list / map */
  struct orch_aws_member member, key, value;
  bool flattened;
  /* scalars */
  const char **enums; /* NULL-terminated, NULL when not an enum */
  size_t nenums;
  bool has_min, has_max;
  double min, max; /* length (string, blob, list, map) or value (numbers) */
  enum orch_aws_tsformat ts_format;
  const char *xml_namespace, *xml_ns_prefix; /* shape-level xmlNamespace */
  const char *location_name;                 /* shape-level locationName (rare) */
  const char *location;                      /* shape-level location (older models): refs without one inherit it */
  bool streaming;
};

/* One piece of a rest-json requestUri path: literal text or a label ({Name} or {Name+}). */
struct orch_aws_uri_part {
  const char *text; /* literal text or the label name; owned by the operation */
  size_t len;
  bool label;
  bool greedy;
  const struct orch_aws_member *member; /* the input member bound to the label */
};

struct orch_aws_operation {
  const struct orch_aws_service *svc;
  const char *name;
  const char *http_method; /* "POST" when the model says nothing */
  const char *request_uri; /* as in the model */
  int response_code;       /* 200 when absent */
  struct orch_aws_member input, output; /* shape NULL when absent */
  const struct orch_aws_shape **errors;
  size_t nerrors;
  const char *auth_type;   /* "none", "v4-unsigned-body", ... or NULL */
  const char *host_prefix; /* endpoint.hostPrefix or NULL */
  bool idempotent;
  bool checksum_required; /* httpChecksumRequired / httpChecksum.requestChecksumRequired: send Content-MD5 */
  /* parsed requestUri */
  struct orch_aws_uri_part *path;
  size_t npath;
  char *uri_copy;   /* backing storage for `path` texts */
  char *uri_query;  /* literal query string of the requestUri ("a=b&c"), or NULL; points into uri_copy */
  size_t nliteral;  /* literal bytes in the path: routes with more literal text match first */
  /* paginator */
  bool paginates;
  const char **pg_input, **pg_output, **pg_results;
  const char *pg_limit;
};

/* A shape by name, or NULL. */
const struct orch_aws_shape *orch_aws_model_shape(const struct orch_aws_service *svc, const char *name);
/* The error shape whose name or error.code is `code`, or NULL. */
const struct orch_aws_shape *orch_aws_model_error_shape(const struct orch_aws_service *svc, const char *code);
/* Operations in name order (for routing and listing). */
size_t orch_aws_model_operation_count(const struct orch_aws_service *svc);
const struct orch_aws_operation *orch_aws_model_operation_at(const struct orch_aws_service *svc, size_t i);
/* Member of a structure by model name, or NULL. */
const struct orch_aws_member *orch_aws_shape_member(const struct orch_aws_shape *s, const char *name);

#endif
