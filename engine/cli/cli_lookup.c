/* cli_lookup: short ids from the sorted tails and ids of the store's executions, finding an execution by
 * a prefix, and who holds its lease. Uses orch_store, orch_time, orch_alloc, POSIX (gethostname, kill). */
#include "cli/cli_lookup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/orch_alloc.h"
#include "core/orch_clock.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

#define SCAN_MAX 20000     /* executions looked at */
#define CANDIDATES_MAX 6  /* named when a prefix is ambiguous */

struct entry {
  const char *s; /* an id, or its tail */
  size_t owner;
};

struct cli_ids {
  char (*ids)[ORCH_ID_UUID_LEN + 1];
  size_t n;
  struct entry *sorted; /* every id and every tail, sorted */
  size_t nsorted;
};

const char *cli_id_tail(const char *id) {
  const char *dash = strrchr(id, '-');
  return dash ? dash + 1 : id;
}

static int entry_cmp(const void *a, const void *b) {
  return strcmp(((const struct entry *)a)->s, ((const struct entry *)b)->s);
}

int cli_ids_load(struct orch_store *store, struct cli_ids **out, struct orch_error *err) {
  struct cli_ids *t = orch_calloc(1, sizeof *t);
  struct orch_store_exec_list list = {0};
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  size_t cap = 0;
  int rc = t ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  while (!rc) {
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    if ((rc = orch_store_exec_list(store, NULL, &page, &list, err))) break;
    for (size_t i = 0; !rc && i < list.count && t->n < SCAN_MAX; i++) {
      if (t->n == cap) {
        size_t ncap = cap ? cap * 2 : 64;
        void *grown = orch_realloc(t->ids, ncap * sizeof *t->ids);
        if (!grown) {
          rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
          break;
        }
        t->ids = grown;
        cap = ncap;
      }
      snprintf(t->ids[t->n++], sizeof t->ids[0], "%s", list.items[i].id);
    }
    snprintf(cursor, sizeof cursor, "%s", list.next_cursor);
    orch_store_exec_list_release(&list);
    if (!cursor[0] || t->n >= SCAN_MAX) break;
  }
  if (!rc && t->n) {
    t->sorted = orch_calloc(t->n * 2, sizeof *t->sorted);
    if (!t->sorted) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  for (size_t i = 0; !rc && i < t->n; i++) {
    t->sorted[t->nsorted++] = (struct entry){.s = t->ids[i], .owner = i};
    t->sorted[t->nsorted++] = (struct entry){.s = cli_id_tail(t->ids[i]), .owner = i};
  }
  if (rc) {
    cli_ids_free(t);
    return rc;
  }
  if (t->nsorted) qsort(t->sorted, t->nsorted, sizeof *t->sorted, entry_cmp); /* none: sorted is NULL */
  *out = t;
  return 0;
}

void cli_ids_free(struct cli_ids *t) {
  if (!t) return;
  orch_free(t->ids);
  orch_free(t->sorted);
  orch_free(t);
}

static size_t common_prefix(const char *a, const char *b) {
  size_t n = 0;
  while (a[n] && a[n] == b[n]) n++;
  return n;
}

void cli_ids_short(const struct cli_ids *t, const char *id, char *out, size_t n) {
  const char *tail = cli_id_tail(id);
  size_t need = CLI_ID_SHORT_MIN;
  /* The sorted neighbours of the tail that belong to other executions share the longest prefixes with it. */
  size_t lo = 0, hi = t ? t->nsorted : 0;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(t->sorted[mid].s, tail) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (size_t i = lo; t && i < t->nsorted; i++) { /* at and after: skip this execution's own entries */
    if (strcmp(t->ids[t->sorted[i].owner], id) == 0) continue;
    size_t c = common_prefix(tail, t->sorted[i].s);
    if (c + 1 > need) need = c + 1;
    break;
  }
  for (size_t i = lo; t && i-- > 0;) {
    if (strcmp(t->ids[t->sorted[i].owner], id) == 0) continue;
    size_t c = common_prefix(tail, t->sorted[i].s);
    if (c + 1 > need) need = c + 1;
    break;
  }
  size_t len = strlen(tail);
  snprintf(out, n, "%.*s", (int)(need < len ? need : len), tail);
}

void cli_id_short(struct orch_store *store, const char *id, char *out, size_t n) {
  struct cli_ids *t = NULL;
  if (cli_ids_load(store, &t, NULL)) {
    snprintf(out, n, "%.8s", cli_id_tail(id));
    return;
  }
  cli_ids_short(t, id, out, n);
  cli_ids_free(t);
}

/* "2e7e50 orders 2026-11-30T02:22:34Z" for an ambiguous prefix's candidates (the message is short). */
static int describe(struct orch_store *store, const struct cli_ids *t, const char *id, struct orch_buf *b) {
  struct orch_store_exec x = {0};
  char sid[ORCH_ID_UUID_LEN + 1], when[ORCH_TIME_ISO_MAX] = "-";
  cli_ids_short(t, id, sid, sizeof sid);
  const char *plan = NULL;
  int64_t started = cli_exec_started_ms(store, id);
  if (!orch_store_exec_get(store, id, &x, NULL)) plan = json_string_value(json_object_get(x.summary, "plan_name"));
  if (started) orch_time_iso8601_s(when, started);
  int rc = orch_buf_printf(b, "\n  %s %.40s %s", sid, plan ? plan : "-", when);
  orch_store_exec_release(&x);
  return rc;
}

int cli_exec_resolve(struct orch_store *store, const char *ref, char id[ORCH_ID_UUID_LEN + 1], struct orch_error *err) {
  size_t n = strlen(ref);
  bool latest = strcmp(ref, "latest") == 0;
  if (!latest && n == ORCH_ID_UUID_LEN) {
    snprintf(id, ORCH_ID_UUID_LEN + 1, "%s", ref);
    return 0;
  }
  if (!latest && (n < CLI_ID_SHORT_MIN || n > ORCH_ID_UUID_LEN))
    return orch_error_set(err, ORCH_EINVAL,
                          "'%s' is not an execution id (give its short id as 'executions list' shows it, %d or more "
                          "characters of the id, or 'latest')",
                          ref, CLI_ID_SHORT_MIN);
  struct cli_ids *t = NULL;
  int rc = cli_ids_load(store, &t, err);
  if (rc) return rc;
  if (latest) { /* the list is newest first */
    rc = t->n ? 0 : orch_error_set(err, ORCH_ENOTFOUND, "there are no executions");
    if (!rc) snprintf(id, ORCH_ID_UUID_LEN + 1, "%s", t->ids[0]);
    cli_ids_free(t);
    return rc;
  }
  size_t matches = 0, first = 0;
  size_t found[CANDIDATES_MAX];
  for (size_t i = 0; i < t->n; i++) {
    if (!orch_str_starts_with(t->ids[i], ref) && !orch_str_starts_with(cli_id_tail(t->ids[i]), ref)) continue;
    if (matches < CANDIDATES_MAX) found[matches] = i;
    if (!matches) first = i;
    matches++;
  }
  if (matches == 1) {
    snprintf(id, ORCH_ID_UUID_LEN + 1, "%s", t->ids[first]);
  } else if (!matches) {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "no execution id starts with '%s', nor does the short id of any", ref);
  } else {
    struct orch_buf b = ORCH_BUF_INIT(4096);
    int brc = 0; /* a list cut short by the buffer's cap is still worth showing */
    for (size_t i = 0; !brc && i < matches && i < CANDIDATES_MAX; i++) brc = describe(store, t, t->ids[found[i]], &b);
    if (!brc && matches > CANDIDATES_MAX) brc = orch_buf_printf(&b, "\n  ... and %zu more", matches - CANDIDATES_MAX);
    rc = orch_error_set(err, ORCH_EINVAL, "'%s' matches %zu executions; give more of the id:%s", ref, matches,
                        orch_buf_cstr(&b));
    orch_buf_free(&b);
  }
  cli_ids_free(t);
  return rc;
}

int64_t cli_exec_started_ms(struct orch_store *store, const char *id) {
  struct orch_store_event_list ev = {0};
  int64_t at = 0;
  if (!orch_store_event_read(store, id, 1, 1, &ev, NULL) && ev.count) at = ev.items[0].at_ms;
  orch_store_event_list_release(&ev);
  return at;
}

bool cli_exec_driver(struct orch_store *store, const char *id, char *out, size_t n, struct orch_store_lease *lease) {
  struct orch_store_lease l = {0};
  out[0] = '\0';
  if (orch_store_lease_get(store, id, &l, NULL) || !l.owner[0]) return false;
  if (l.expires_ms <= orch_clock_now_ms(orch_clock_real())) return false; /* expired: anyone may take it over */
  char host[ORCH_STORE_HOST_MAX + 1] = "";
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  bool here = host[0] && strcmp(host, l.host) == 0;
  if (here && l.pid > 0 && kill((pid_t)l.pid, 0) != 0 && errno == ESRCH) return false; /* gone: taken over at once */
  if (here && l.pid == (int64_t)getpid()) return false;                                 /* this process */
  char until[ORCH_TIME_ISO_MAX];
  orch_time_iso8601_s(until, l.expires_ms);
  snprintf(out, n, "pid %lld on %s (lease until %s)", (long long)l.pid, l.host, until);
  if (lease) *lease = l;
  return true;
}
