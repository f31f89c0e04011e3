/* orch_opset: parsing and matching "service:Operation" patterns (exact, "service:*", "service:Prefix*",
 * "*"). Uses orch_alloc, orch_buf, orch_error. */
#include "core/orch_opset.h"

#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

enum op_kind { K_ALL, K_SERVICE, K_PREFIX, K_EXACT };

struct op_entry {
  enum op_kind kind;
  char service[48];
  char op[ORCH_OPSET_ENTRY_MAX];
};

struct orch_opset {
  size_t n;
  struct op_entry e[];
};

static bool service_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
static bool op_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/* Parse `len` bytes at `s` into `out`. */
static int entry_parse(const char *s, size_t len, bool allow_prefix, struct op_entry *out, struct orch_error *err) {
  memset(out, 0, sizeof *out);
  if (len >= ORCH_OPSET_ENTRY_MAX)
    return orch_error_set(err, ORCH_EINVAL, "'%.40s...' is longer than %d bytes", s, ORCH_OPSET_ENTRY_MAX - 1);
  if (len == 1 && s[0] == '*') {
    out->kind = K_ALL;
    return 0;
  }
  const char *colon = memchr(s, ':', len);
  size_t slen = colon ? (size_t)(colon - s) : 0;
  bool ok = colon && slen > 0 && slen < sizeof out->service;
  for (size_t i = 0; ok && i < slen; i++) ok = service_char(s[i]);
  const char *op = colon ? colon + 1 : s;
  size_t olen = colon ? len - slen - 1 : 0;
  if (ok) {
    if (olen == 1 && op[0] == '*') {
      out->kind = K_SERVICE;
    } else {
      bool star = olen > 1 && op[olen - 1] == '*';
      size_t n = star ? olen - 1 : olen;
      ok = n > 0 && op[0] >= 'A' && op[0] <= 'Z';
      for (size_t i = 0; ok && i < n; i++) ok = op_char(op[i]);
      if (ok && star && !allow_prefix)
        return orch_error_set(err, ORCH_EINVAL,
                              "'%.*s': a wildcard may stand only for a whole operation (\"%.*s:*\") or everything (\"*\")",
                              (int)len, s, (int)slen, s);
      out->kind = star ? K_PREFIX : K_EXACT;
      olen = n;
    }
  }
  if (!ok)
    return orch_error_set(err, ORCH_EINVAL,
                          "'%.*s' is not an AWS operation pattern: write service:Operation (\"ec2:DescribeInstances\"), "
                          "service:*%s or *",
                          (int)len, s, allow_prefix ? ", service:Prefix* (\"ec2:Describe*\")" : "");
  memcpy(out->service, s, slen);
  if (out->kind != K_SERVICE) memcpy(out->op, op, olen);
  return 0;
}

static bool is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int orch_opset_parse(const char *text, bool allow_prefix, struct orch_opset **out, struct orch_error *err) {
  *out = NULL;
  if (!text) text = "";
  struct orch_opset *s = orch_calloc(1, sizeof *s + ORCH_OPSET_MAX * sizeof s->e[0]);
  if (!s) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  const char *p = text;
  size_t words = 0;
  bool none = false;
  int rc = 0;
  while (*p) {
    while (*p && is_sep(*p)) p++;
    if (!*p) break;
    const char *start = p;
    while (*p && !is_sep(*p)) p++;
    size_t len = (size_t)(p - start);
    words++;
    if (len == 4 && memcmp(start, "none", 4) == 0) {
      none = true;
      continue;
    }
    if (s->n == ORCH_OPSET_MAX) {
      rc = orch_error_set(err, ORCH_ETOOBIG, "more than %d entries", ORCH_OPSET_MAX);
      goto fail;
    }
    rc = entry_parse(start, len, allow_prefix, &s->e[s->n], err);
    if (rc) goto fail;
    s->n++;
  }
  if (none && words > 1) {
    rc = orch_error_set(err, ORCH_EINVAL, "'none' (nothing permitted) cannot be combined with other entries");
    goto fail;
  }
  if (!words) {
    rc = orch_error_set(err, ORCH_EINVAL, "the list is empty (write \"none\" to permit nothing)");
    goto fail;
  }
  struct orch_opset *fit = orch_realloc(s, sizeof *s + (s->n ? s->n : 1) * sizeof s->e[0]);
  *out = fit ? fit : s;
  return 0;
fail:
  orch_free(s);
  return rc;
}

void orch_opset_free(struct orch_opset *s) { orch_free(s); }

int orch_opset_entry_check(const char *entry, bool allow_prefix, struct orch_error *err) {
  struct op_entry e;
  return entry_parse(entry, strlen(entry), allow_prefix, &e, err);
}

static bool entry_permits(const struct op_entry *e, const char *service, const char *operation) {
  if (e->kind == K_ALL) return true;
  if (strcmp(e->service, service) != 0) return false;
  switch (e->kind) {
    case K_SERVICE: return true;
    case K_PREFIX: return strncmp(operation, e->op, strlen(e->op)) == 0;
    case K_EXACT: return strcmp(operation, e->op) == 0;
    case K_ALL: break;
  }
  return true;
}

bool orch_opset_permits(const struct orch_opset *s, const char *service, const char *operation) {
  if (!s || !service || !operation) return false;
  for (size_t i = 0; i < s->n; i++)
    if (entry_permits(&s->e[i], service, operation)) return true;
  return false;
}

/* Whether ceiling entry `c` permits everything entry `p` does. */
static bool entry_within(const struct op_entry *p, const struct op_entry *c) {
  if (c->kind == K_ALL) return true;
  if (p->kind == K_ALL || strcmp(p->service, c->service) != 0) return false;
  switch (p->kind) {
    case K_SERVICE: return c->kind == K_SERVICE;
    case K_PREFIX:
      return c->kind == K_SERVICE || (c->kind == K_PREFIX && strncmp(p->op, c->op, strlen(c->op)) == 0);
    case K_EXACT: return entry_permits(c, p->service, p->op);
    case K_ALL: break;
  }
  return false;
}

bool orch_opset_covers(const struct orch_opset *s, const char *entry) {
  struct op_entry p;
  if (!s || entry_parse(entry, strlen(entry), true, &p, NULL)) return false;
  for (size_t i = 0; i < s->n; i++)
    if (entry_within(&p, &s->e[i])) return true;
  return false;
}

int orch_opset_describe(const struct orch_opset *s, const char *service, struct orch_buf *out) {
  size_t shown = 0;
  for (size_t i = 0; s && i < s->n; i++) {
    const struct op_entry *e = &s->e[i];
    if (e->kind != K_ALL && strcmp(e->service, service) != 0) continue;
    int rc = e->kind == K_ALL       ? orch_buf_printf(out, "%s*", shown ? ", " : "")
             : e->kind == K_SERVICE ? orch_buf_printf(out, "%s%s:*", shown ? ", " : "", e->service)
                                    : orch_buf_printf(out, "%s%s:%s%s", shown ? ", " : "", e->service, e->op,
                                                      e->kind == K_PREFIX ? "*" : "");
    if (rc) return rc;
    shown++;
  }
  return shown ? 0 : orch_buf_puts(out, "nothing");
}
