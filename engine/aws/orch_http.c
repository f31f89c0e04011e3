/* orch_http: header lists and request/response lifetimes. Uses orch_alloc, orch_str. */
#include "aws/orch_http.h"

#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"

int orch_http_headers_add(struct orch_http_headers *h, const char *name, const char *value) {
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 8;
    struct orch_http_header *items = orch_realloc(h->items, cap * sizeof *items);
    if (!items) return ORCH_ENOMEM;
    h->items = items;
    h->cap = cap;
  }
  char *n = orch_strdup(name), *v = orch_strdup(value);
  if (!n || !v) {
    orch_free(n);
    orch_free(v);
    return ORCH_ENOMEM;
  }
  h->items[h->n].name = n;
  h->items[h->n].value = v;
  h->n++;
  return 0;
}

void orch_http_headers_remove(struct orch_http_headers *h, const char *name) {
  size_t w = 0;
  for (size_t r = 0; r < h->n; r++) {
    if (orch_str_iequal(h->items[r].name, name)) {
      orch_free(h->items[r].name);
      orch_free(h->items[r].value);
    } else {
      h->items[w++] = h->items[r];
    }
  }
  h->n = w;
}

int orch_http_headers_set(struct orch_http_headers *h, const char *name, const char *value) {
  orch_http_headers_remove(h, name);
  return orch_http_headers_add(h, name, value);
}

const char *orch_http_headers_get(const struct orch_http_headers *h, const char *name) {
  for (size_t i = 0; i < h->n; i++)
    if (orch_str_iequal(h->items[i].name, name)) return h->items[i].value;
  return NULL;
}

void orch_http_headers_free(struct orch_http_headers *h) {
  for (size_t i = 0; i < h->n; i++) {
    orch_free(h->items[i].name);
    orch_free(h->items[i].value);
  }
  orch_free(h->items);
  h->items = NULL;
  h->n = h->cap = 0;
}

int orch_http_request_set_target(struct orch_http_request *req, const char *path, const char *query) {
  char *p = orch_strdup(path ? path : "/"), *q = orch_strdup(query ? query : "");
  if (!p || !q) {
    orch_free(p);
    orch_free(q);
    return ORCH_ENOMEM;
  }
  orch_free(req->path);
  orch_free(req->query);
  req->path = p;
  req->query = q;
  return 0;
}

void orch_http_request_free(struct orch_http_request *req) {
  if (!req) return;
  orch_free(req->path);
  orch_free(req->query);
  req->path = req->query = NULL;
  orch_http_headers_free(&req->headers);
  orch_buf_free(&req->body);
}

void orch_http_response_free(struct orch_http_response *resp) {
  if (!resp) return;
  orch_http_headers_free(&resp->headers);
  orch_buf_free(&resp->body);
}
