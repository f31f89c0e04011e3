/* orch_api_diff: Myers' greedy O(ND) line diff with its trace kept for the backtrack, then hunks with
 * context as `diff -u` prints them. Uses orch_buf, orch_alloc. */
#include "api/orch_api_diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/orch_alloc.h"

struct line {
  const char *p;
  size_t n;
  uint64_t h;
  bool noeol; /* the text's last line, without a newline: never equal to one with */
};

struct text {
  struct line *l;
  size_t n;
  bool newline_at_end;
};

struct op {
  char kind; /* '=', '-', '+' */
  size_t a, b; /* line indexes in a and b (the one the kind concerns) */
};

static int split(const char *s, struct text *t) {
  size_t cap = 1;
  for (const char *p = s; *p; p++) cap += *p == '\n';
  t->l = orch_calloc(cap, sizeof *t->l);
  if (!t->l) return ORCH_ENOMEM;
  t->n = 0;
  t->newline_at_end = !*s || s[strlen(s) - 1] == '\n';
  for (const char *p = s; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    t->l[t->n++] = (struct line){p, n, h, !nl};
    p += n + (nl ? 1 : 0);
  }
  return 0;
}

static bool same(const struct text *a, size_t i, const struct text *b, size_t j) {
  return a->l[i].h == b->l[j].h && a->l[i].n == b->l[j].n && a->l[i].noeol == b->l[j].noeol &&
         memcmp(a->l[i].p, b->l[j].p, a->l[i].n) == 0;
}

/* The edit script from a to b into ops (forward order); ORCH_ELIMIT past ORCH_API_DIFF_EDITS_MAX edits. */
static int myers(const struct text *a, const struct text *b, struct op *ops, size_t *nops) {
  long n = (long)a->n, m = (long)b->n, max = n + m, off = max + 1;
  long dmax = max < ORCH_API_DIFF_EDITS_MAX ? max : ORCH_API_DIFF_EDITS_MAX;
  long *v = orch_calloc((size_t)(2 * max + 3), sizeof *v);
  long **trace = orch_calloc((size_t)dmax + 1, sizeof *trace);
  int rc = ORCH_ENOMEM;
  long d = 0;
  if (!v || !trace) goto out;
  for (;; d++) {
    if (d > dmax) {
      rc = ORCH_ELIMIT;
      goto out;
    }
    bool done = false;
    for (long k = -d; k <= d && !done; k += 2) {
      long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
      long y = x - k;
      while (x < n && y < m && same(a, (size_t)x, b, (size_t)y)) x++, y++;
      v[off + k] = x;
      done = x >= n && y >= m;
    }
    if (!(trace[d] = orch_malloc(sizeof(long) * (size_t)(2 * d + 1)))) goto out;
    memcpy(trace[d], v + off - d, sizeof(long) * (size_t)(2 * d + 1));
    if (done) break;
  }
  /* backtrack from (n, m), writing ops from the end */
  size_t w = (size_t)(n + m);
  long x = n, y = m;
  for (long e = d; e >= 0; e--) {
    long k = x - y, px = 0, py = 0;
    if (e > 0) {
      const long *pv = trace[e - 1] + (e - 1); /* pv[k] = V after round e-1 */
      long pk = (k == -e || (k != e && pv[k - 1] < pv[k + 1])) ? k + 1 : k - 1;
      px = pv[pk];
      py = px - pk;
    }
    while (x > px && y > py) ops[--w] = (struct op){'=', (size_t)--x, (size_t)--y};
    if (e > 0) {
      if (x == px) ops[--w] = (struct op){'+', (size_t)x, (size_t)--y};
      else ops[--w] = (struct op){'-', (size_t)--x, (size_t)y};
    }
  }
  memmove(ops, ops + w, sizeof *ops * ((size_t)(n + m) - w));
  *nops = (size_t)(n + m) - w;
  rc = 0;
out:
  for (long i = 0; trace && i <= dmax && i <= d; i++) orch_free(trace[i]);
  orch_free(trace);
  orch_free(v);
  return rc;
}

/* Everything in a replaced by everything in b. */
static size_t replace_all(const struct text *a, const struct text *b, struct op *ops) {
  size_t n = 0;
  for (size_t i = 0; i < a->n; i++) ops[n++] = (struct op){'-', i, 0};
  for (size_t j = 0; j < b->n; j++) ops[n++] = (struct op){'+', a->n, j};
  return n;
}

static int range(struct orch_buf *out, char sign, size_t start, size_t len) {
  if (len == 1) return orch_buf_printf(out, " %c%zu", sign, start + 1);
  return orch_buf_printf(out, " %c%zu,%zu", sign, len ? start + 1 : start, len);
}

static int emit_line(struct orch_buf *out, char mark, const struct text *t, size_t i) {
  int rc = orch_buf_putc(out, mark);
  if (!rc) rc = orch_buf_append(out, t->l[i].p, t->l[i].n);
  if (!rc) rc = orch_buf_putc(out, '\n');
  if (!rc && i + 1 == t->n && !t->newline_at_end) rc = orch_buf_puts(out, "\\ No newline at end of file\n");
  return rc;
}

/* Hunks of ops[from, to) (a run of changes with its context). */
static int hunk(struct orch_buf *out, const struct op *ops, size_t from, size_t to, const struct text *a,
                const struct text *b) {
  size_t a0 = ops[from].a, b0 = ops[from].b, al = 0, bl = 0;
  for (size_t i = from; i < to; i++) al += ops[i].kind != '+', bl += ops[i].kind != '-';
  int rc = orch_buf_puts(out, "@@");
  if (!rc) rc = range(out, '-', a0, al);
  if (!rc) rc = range(out, '+', b0, bl);
  if (!rc) rc = orch_buf_puts(out, " @@\n");
  for (size_t i = from; !rc && i < to; i++) {
    if (ops[i].kind == '=') rc = emit_line(out, ' ', a, ops[i].a);
    else if (ops[i].kind == '-') rc = emit_line(out, '-', a, ops[i].a);
    else rc = emit_line(out, '+', b, ops[i].b);
  }
  return rc;
}

int orch_api_diff_unified(const char *a, const char *b, const char *from_name, const char *to_name,
                          struct orch_buf *out) {
  struct text ta = {0}, tb = {0};
  struct op *ops = NULL;
  size_t nops = 0;
  int rc = split(a, &ta);
  if (!rc) rc = split(b, &tb);
  if (!rc && !(ops = orch_calloc(ta.n + tb.n + 1, sizeof *ops))) rc = ORCH_ENOMEM;
  if (!rc && (rc = myers(&ta, &tb, ops, &nops)) == ORCH_ELIMIT) {
    nops = replace_all(&ta, &tb, ops);
    rc = 0;
  }
  bool changed = false;
  for (size_t i = 0; !rc && i < nops; i++) changed = changed || ops[i].kind != '=';
  if (!rc && changed) rc = orch_buf_printf(out, "--- %s\n+++ %s\n", from_name, to_name);
  for (size_t i = 0; !rc && changed && i < nops;) {
    while (i < nops && ops[i].kind == '=') i++;
    if (i == nops) break;
    size_t start = i > ORCH_API_DIFF_CONTEXT ? i - ORCH_API_DIFF_CONTEXT : 0, end = i, equal = 0;
    /* extend over changes separated by at most twice the context */
    for (; end < nops; end++) {
      equal = ops[end].kind == '=' ? equal + 1 : 0;
      if (equal > 2 * ORCH_API_DIFF_CONTEXT) break;
    }
    /* at a break, ops[end] is the run's last equal line read: the run starts at end - equal + 1 */
    size_t stop = end < nops ? end - equal + 1 + ORCH_API_DIFF_CONTEXT : nops;
    if (end == nops && equal > ORCH_API_DIFF_CONTEXT) stop = nops - equal + ORCH_API_DIFF_CONTEXT;
    rc = hunk(out, ops, start, stop, &ta, &tb);
    i = stop;
  }
  orch_free(ta.l);
  orch_free(tb.l);
  orch_free(ops);
  return rc;
}
