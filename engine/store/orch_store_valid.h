/* orch_store_valid: the input checks orch_store.c runs once for every backend: names, accounts,
 * regions, ids, protection-group selectors, event types, JSON fields and pages. Each failure is
 * ORCH_EINVAL (ORCH_ETYPE / ORCH_EUNKNOWNKEY for JSON shapes) with err->context naming the field.
 * Uses orch_json, orch_str and orch_store.h's limits. */
#ifndef ORCH_STORE_VALID_H
#define ORCH_STORE_VALID_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/orch_store.h"

/* Printable UTF-8 text of at most `max` bytes, without control characters; NULL or "" is allowed
 * only when !required. */
int orch_store_valid_text(const char *s, size_t max, bool required, const char *field, struct orch_error *err)
    ORCH_MUST_CHECK;
/* A required name (group, plan): text of at most ORCH_STORE_NAME_MAX bytes without surrounding spaces. */
int orch_store_valid_name(const char *s, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* Twelve digits. */
int orch_store_valid_account(const char *s, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* An AWS region name: "us-east-1", "us-gov-west-1". */
int orch_store_valid_region(const char *s, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* A lower-case UUID as the store issues them. */
int orch_store_valid_id(const char *s, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* A DRS source server id: "s-" and 17 lower-case hex digits. */
int orch_store_valid_server_id(const char *s, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* {"server_ids": [...]} or {"tags": {...}}, see orch_store.h. */
int orch_store_valid_selector(const json_t *sel, struct orch_error *err) ORCH_MUST_CHECK;
/* Any JSON value (NULL allowed) nested at most ORCH_STORE_JSON_DEPTH_MAX deep. */
int orch_store_valid_json(const json_t *j, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* An object (nested at most ORCH_STORE_JSON_DEPTH_MAX deep), or NULL when `nullable`. */
int orch_store_valid_object(const json_t *j, bool nullable, const char *field, struct orch_error *err)
    ORCH_MUST_CHECK;
/* [A-Za-z0-9_.:-]{1,64}. */
int orch_store_valid_event_type(const char *s, const char *field, struct orch_error *err) ORCH_MUST_CHECK;
/* Resolve a caller's page (NULL = first default page) into `out` with a limit in 1..ORCH_STORE_PAGE_MAX. */
int orch_store_valid_page(const struct orch_store_page *page, struct orch_store_page *out, struct orch_error *err)
    ORCH_MUST_CHECK;

#endif
