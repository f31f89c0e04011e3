/* orch_plan_journal: building, completing, checking and matching journal entries. Uses jansson,
 * orch_error. */
#include "plan/orch_plan_journal.h"

#include <string.h>

json_t *orch_plan_journal_entry(uint64_t seq, const char *op, const char *args_hash) {
  return json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "op", op, "args_hash", args_hash);
}

int orch_plan_journal_complete(json_t *entry, json_t *result, const struct orch_error *failure) {
  if (failure) {
    json_decref(result);
    json_t *e = json_pack("{s:s, s:s}", "code", orch_error_name(failure->code), "message", failure->message);
    if (!e || json_object_set_new(entry, "error", e)) return ORCH_ENOMEM;
    return 0;
  }
  if (!result) result = json_null();
  return json_object_set_new(entry, "result", result) ? ORCH_ENOMEM : 0;
}

bool orch_plan_journal_completed(const json_t *entry) {
  return json_object_get(entry, "result") != NULL || json_object_get(entry, "error") != NULL;
}

const char *orch_plan_journal_error_code(const json_t *entry) {
  return json_string_value(json_object_get(json_object_get(entry, "error"), "code"));
}

int orch_plan_journal_check(const json_t *journal, struct orch_error *err) {
  if (!json_is_array(journal)) return orch_error_set(err, ORCH_ETYPE, "a hook journal is an array of entries");
  size_t i;
  json_t *e;
  json_array_foreach(journal, i, e) {
    json_int_t seq = json_integer_value(json_object_get(e, "seq"));
    if (!json_is_object(e) || seq != (json_int_t)i + 1 || !json_is_string(json_object_get(e, "op")) ||
        !json_is_string(json_object_get(e, "args_hash")))
      return orch_error_set(err, ORCH_EPARSE, "journal entry %zu is not {seq: %zu, op, args_hash, result|error}",
                            i + 1, i + 1);
    if (!orch_plan_journal_completed(e) && i + 1 != json_array_size(journal))
      return orch_error_set(err, ORCH_EPARSE, "journal entry %zu has no result but is not the last", i + 1);
    json_t *ee = json_object_get(e, "error");
    if (ee && (!json_is_string(json_object_get(ee, "code")) || !json_is_string(json_object_get(ee, "message"))))
      return orch_error_set(err, ORCH_EPARSE, "journal entry %zu: error needs code and message", i + 1);
  }
  return 0;
}

int orch_plan_journal_match(const json_t *recorded, uint64_t seq, const char *op, const char *args_hash,
                            struct orch_error *err) {
  const char *rop = json_string_value(json_object_get(recorded, "op"));
  const char *rhash = json_string_value(json_object_get(recorded, "args_hash"));
  if (!rop || strcmp(rop, op) != 0)
    return orch_error_set(err, ORCH_ENONDETERMINISM,
                          "non-deterministic hook: call #%llu is w:%s, but the journal recorded w:%s at this point",
                          (unsigned long long)seq, op, rop ? rop : "?");
  if (!rhash || strcmp(rhash, args_hash) != 0)
    return orch_error_set(err, ORCH_ENONDETERMINISM,
                          "non-deterministic hook: call #%llu w:%s has other arguments than the journal recorded "
                          "(arguments must not depend on time, randomness or iteration order outside w:now/w:random)",
                          (unsigned long long)seq, op);
  return 0;
}
