/* orch_aws_proto_int: what the protocol modules share inside the aws layer: the shape walker (members
 * of a structure value in model order, wire names per protocol), the scalar codec (timestamps in every
 * format, numbers, booleans, base64 blobs) and each codec's entry points (JSON bodies, query strings,
 * XML documents, rest-json HTTP bindings). Uses orch_aws_model_shape, orch_http, jansson, libxml2. */
#ifndef ORCH_AWS_PROTO_INT_H
#define ORCH_AWS_PROTO_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_error.h"
#include "aws/orch_aws_model_shape.h"
#include "aws/orch_aws_proto.h"
#include "aws/orch_http.h"
#include "core/orch_buf.h"
#include "core/orch_error.h"

/* Deepest nesting of shapes a codec follows before it calls the value malformed (recursive shapes). */
#define ORCH_AWS_MAX_DEPTH 64
/* Response bodies larger than this are refused before parsing. */
#define ORCH_AWS_MAX_BODY ((size_t)64 * 1024 * 1024)

/* jansson's reference counting takes non-const pointers; our API hands values in as const. These
 * only touch the reference count, never the value. */
static inline json_t *orch_aws_unconst(const json_t *j) { return (json_t *)(uintptr_t)j; }
static inline json_t *orch_aws_json_ref(const json_t *j) { return json_incref(orch_aws_unconst(j)); }

/* ---- the shape walker (orch_aws_proto_walk.c) ---- */

/* Members of structure `s` that are set in object `obj` (present and not null), in model order: start
 * with *i = 0; returns the next member and its value in *value, or NULL at the end. */
const struct orch_aws_member *orch_aws_walk_next(const struct orch_aws_shape *s, const json_t *obj, size_t *i,
                                                 const json_t **value);
/* Wire names. JSON bodies and query: locationName or the member name; ec2 query: queryName, else
 * locationName or the member name with its first letter upper-cased; XML elements: locationName or
 * `dflt`. `buf` (at least 128 bytes) backs the ec2 upper-cased copy. */
const char *orch_aws_walk_json_name(const struct orch_aws_member *m);
const char *orch_aws_walk_ec2_name(const struct orch_aws_member *m, char *buf, size_t bufsz);
const char *orch_aws_walk_xml_name(const struct orch_aws_member *m, const char *dflt);
/* The timestamp format of member `m` where the protocol's default is `dflt`. */
enum orch_aws_tsformat orch_aws_walk_tsformat(const struct orch_aws_member *m, enum orch_aws_tsformat dflt);
/* Extend the member path `path` (ORCH_JSON_PATH_MAX bytes, as orch_json_path_* writes it) in place by a
 * key or a list index; returns the old length: path[old] = '\0' pops it again. */
size_t orch_aws_walk_push_key(char *path, const char *key);
size_t orch_aws_walk_push_index(char *path, size_t i);
/* The member of `obj` whose idempotency token is absent gets a fresh UUIDv4. Returns a new reference
 * to `input` itself when nothing was missing, else to a shallow copy (caller decrefs). */
int orch_aws_walk_fill_tokens(const struct orch_aws_shape *s, const json_t *input, json_t **out,
                              struct orch_error *err) ORCH_MUST_CHECK;

/* ---- scalar codec (orch_aws_proto_walk.c) ---- */

/* Length (1-4) of the well-formed UTF-8 sequence at p (no overlongs, surrogates or > U+10FFFF), or 0;
 * and whether all of s is well-formed UTF-8. */
size_t orch_aws_utf8_seq(const unsigned char *p, const unsigned char *end);
bool orch_aws_utf8_valid(const char *s, size_t n);

/* orch_aws_b64_encode / orch_aws_b64_decode: orch_aws_proto.h. */

/* A timestamp from our JSON (ISO-8601/RFC 1123/epoch string, or a number of epoch seconds). */
int orch_aws_ts_from_json(const json_t *v, int64_t *ms) ORCH_MUST_CHECK;
/* A timestamp from wire text in any format (the protocols are lenient readers). */
int orch_aws_ts_from_text(const char *s, int64_t *ms) ORCH_MUST_CHECK;
/* Append the wire text of a timestamp: ISO-8601 ("...Z", ".mmm" only when not whole seconds),
 * RFC 822 ("Thu, 01 Jan 1970 00:00:01 GMT"), or epoch seconds ("1", "1.5"). */
int orch_aws_ts_append(struct orch_buf *out, int64_t ms, enum orch_aws_tsformat fmt) ORCH_MUST_CHECK;
/* Our JSON form of a timestamp: an ISO-8601 string with milliseconds. NULL on ENOMEM. */
json_t *orch_aws_ts_to_json(int64_t ms);
/* Append a JSON number (or the strings "NaN", "Infinity", "-Infinity") as wire text: integers exactly,
 * reals in the shortest form that reads back the same. */
int orch_aws_number_append(struct orch_buf *out, const json_t *v) ORCH_MUST_CHECK;
/* Append the wire text of scalar `v` of member `m` (strings as is, blobs base64 as given, timestamps in
 * the effective format for default `ts_dflt`). */
int orch_aws_scalar_append(struct orch_buf *out, const struct orch_aws_member *m, const json_t *v,
                           enum orch_aws_tsformat ts_dflt) ORCH_MUST_CHECK;
/* Our JSON for scalar wire text `s` (NUL-terminated) of member `m`: numbers parsed, booleans "true"/
 * "false", timestamps in any format, blobs kept as their base64 text. ORCH_EPARSE on nonsense. */
int orch_aws_scalar_from_text(const struct orch_aws_member *m, const char *s, json_t **out) ORCH_MUST_CHECK;

/* ---- JSON bodies (orch_aws_proto_json.c) ---- */

/* Our JSON -> wire JSON for the value of `m`. With `body_only`, a structure's members bound to HTTP
 * locations are left out (rest-json top level). Unknown members of our JSON are dropped (validation
 * reports them first). */
enum {
  ORCH_AWS_JSON_BODY_ONLY = 1,    /* top-level structure: only members without an HTTP location */
  ORCH_AWS_JSON_KEEP_UNKNOWN = 2, /* decode: keep members the model does not know (client direction) */
};
int orch_aws_json_encode(const struct orch_aws_member *m, const json_t *v, unsigned flags, json_t **out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* Wire JSON -> our JSON; nulls dropped; unknown members kept under their wire names with
 * ORCH_AWS_JSON_KEEP_UNKNOWN, else dropped. A value of the wrong type is ORCH_EPARSE naming its path. */
int orch_aws_json_decode(const struct orch_aws_member *m, const json_t *wire, unsigned flags, json_t **out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* One pass from JSON text to our JSON for the value of `m` (orch_aws_proto_json_read.c): what
 * orch_json_parse + orch_aws_json_decode give, without the intermediate tree. `m` NULL reads any JSON.
 * `what` names the text in syntax errors ("response body"). */
int orch_aws_json_read(const struct orch_aws_member *m, const char *text, size_t len, unsigned flags,
                       const char *what, json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
/* A whole body through orch_aws_json_read, with the checks of orch_aws_json_parse_body first: an empty
 * body is an empty object, an HTML page or an oversized body a clear error. */
int orch_aws_json_read_body(const struct orch_aws_member *m, const struct orch_buf *body, const char *content_type,
                            unsigned flags, const char *what, json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
/* Parse a JSON body with a clear error for empty, truncated, HTML and non-object bodies. `what` names it
 * in messages ("response body"). An empty body yields an empty object. */
int orch_aws_json_parse_body(const struct orch_buf *body, const char *content_type, const char *what,
                             json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
/* Code from "x-amzn-ErrorType" or body "code"/"__type", with any ":..." suffix and "ns#" prefix removed. */
void orch_aws_json_error_code(const char *raw, char *out, size_t outsz);
/* A JSON error response for the simulator: status, X-Amzn-ErrorType, x-amzn-RequestId, and a body
 * with "__type" (JSON protocol), the message and any modeled members in `details`. */
int orch_aws_json_build_error(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                              const json_t *details, const char *request_id, struct orch_http_response *resp,
                              struct orch_error *err) ORCH_MUST_CHECK;
/* Fill `aerr` from a JSON-protocol error response (json and rest-json). */
int orch_aws_json_parse_error(const struct orch_http_response *resp, struct orch_aws_error *aerr,
                              json_t **body, struct orch_error *err) ORCH_MUST_CHECK;

int orch_aws_jsonrpc_build_request(const struct orch_aws_operation *op, const json_t *input,
                                   struct orch_http_request *req, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_jsonrpc_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                    json_t **output, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_jsonrpc_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                   const struct orch_aws_operation **op, json_t **input,
                                   struct orch_aws_error *aerr) ORCH_MUST_CHECK;
int orch_aws_jsonrpc_build_response(const struct orch_aws_operation *op, const json_t *output,
                                    struct orch_http_response *resp, struct orch_error *err) ORCH_MUST_CHECK;

/* ---- rest-json HTTP bindings (orch_aws_proto_rest.c) ---- */

int orch_aws_rest_build_request(const struct orch_aws_operation *op, const json_t *input,
                                struct orch_http_request *req, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_rest_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                 json_t **output, struct orch_error *err) ORCH_MUST_CHECK;
/* The modeled members of an error shape: JSON body plus header bindings. */
int orch_aws_rest_parse_error_members(const struct orch_aws_shape *shape, const struct orch_http_response *resp,
                                      const json_t *body, json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_rest_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                const struct orch_aws_operation **op, json_t **input,
                                struct orch_aws_error *aerr) ORCH_MUST_CHECK;
int orch_aws_rest_build_response(const struct orch_aws_operation *op, const json_t *output,
                                 struct orch_http_response *resp, struct orch_error *err) ORCH_MUST_CHECK;

/* ---- query and ec2 requests (orch_aws_proto_query.c) ---- */

/* Decoded key/value pairs of a query string or form body. */
struct orch_aws_param {
  char *key, *value;
  size_t seq; /* arrival order, so sorting keeps repeated keys in order */
};
struct orch_aws_params {
  struct orch_aws_param *items;
  size_t n, cap;
  bool sorted;
};
/* Append the pairs of `s` ("a=1&b=%20x"); ORCH_EPARSE on a bad escape. */
int orch_aws_params_parse(struct orch_aws_params *p, const char *s, size_t n, bool plus_is_space) ORCH_MUST_CHECK;
/* Sort by key (stable), for orch_aws_params_get and _has_prefix. */
void orch_aws_params_sort(struct orch_aws_params *p);
/* First value of `key`, or NULL; `index` (may be NULL) receives its position. */
const char *orch_aws_params_get(const struct orch_aws_params *p, const char *key, size_t *index);
/* Whether some key equals `prefix` or starts with `prefix` followed by '.' (sorted params). */
bool orch_aws_params_has_prefix(const struct orch_aws_params *p, const char *prefix);
void orch_aws_params_free(struct orch_aws_params *p);

int orch_aws_query_build_request(const struct orch_aws_operation *op, const json_t *input,
                                 struct orch_http_request *req, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_query_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                 const struct orch_aws_operation **op, json_t **input,
                                 struct orch_aws_error *aerr) ORCH_MUST_CHECK;

/* ---- XML responses (orch_aws_proto_xml.c) ---- */

/* rest-xml documents. read: `body` (empty: *out NULL) decoded as member `m` from its root element, whose
 * name is not checked. write: `v` as one element named `root` (NULL: the member's locationName, else its
 * shape's name) carrying `xmlns` (NULL: the member's xmlNamespace), appended to `out` without an XML
 * declaration. */
int orch_aws_xml_read_doc(const struct orch_aws_member *m, const struct orch_buf *body, const char *ctype,
                          const char *what, json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_xml_write_doc(const struct orch_aws_member *m, const char *root, const char *xmlns, const json_t *v,
                           struct orch_buf *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_xml_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                json_t **output, struct orch_aws_error *aerr, struct orch_error *err)
    ORCH_MUST_CHECK;
/* An XML error body into `aerr`, and (when `details` is not NULL and the code names an error shape of
 * the service) its modeled members. */
int orch_aws_xml_parse_error(const struct orch_aws_service *svc, const struct orch_http_response *resp,
                             struct orch_aws_error *aerr, json_t **details, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_xml_build_response(const struct orch_aws_operation *op, const json_t *output, const char *request_id,
                                struct orch_http_response *resp, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_xml_build_error(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                             const json_t *details, const char *request_id, struct orch_http_response *resp,
                             struct orch_error *err) ORCH_MUST_CHECK;

/* ---- validation (orch_aws_validate.c) ---- */

enum orch_aws_validate_mode {
  ORCH_AWS_VALIDATE_CLIENT, /* everything, unknown members included */
  ORCH_AWS_VALIDATE_SERVER, /* what AWS checks on a decoded request: unknown members were dropped */
};
int orch_aws_validate_value(const struct orch_aws_shape *s, const json_t *v, enum orch_aws_validate_mode mode,
                            struct orch_error *err) ORCH_MUST_CHECK;

/* ---- common (orch_aws_proto.c) ---- */

/* Fill `aerr` with a server-side protocol error (code, message, status) for parse_request. */
int orch_aws_proto_reject(struct orch_aws_error *aerr, int status, const char *code, const char *fmt, ...)
    ORCH_PRINTF(4, 5);
/* The request id a server response carries: the x-amzn-RequestId already set on `resp`, else a new
 * UUIDv4, set as that header. `out` holds 64 bytes. */
int orch_aws_proto_request_id(struct orch_http_response *resp, char *out, size_t outsz) ORCH_MUST_CHECK;
/* A UUIDv4 into out (37 bytes). */
int orch_aws_proto_uuid4(char *out) ORCH_MUST_CHECK;
/* Whether a body looks like an HTML page (a proxy, captive portal or load balancer answered). */
bool orch_aws_proto_is_html(const struct orch_buf *body, const char *content_type);

#endif
