/* orch_api_discovery: what DRS knows now, as the API shows it: source servers and recovery instances of
 * an account and region (normalised from DescribeSourceServers / DescribeRecoveryInstances, kept briefly in
 * the discovery cache), a protection group's selector resolved against them, the groups each server is
 * in, and quotas with their current use. Uses orch_api_int (the AWS ops), orch_api_drs, orch_store. */
#ifndef ORCH_API_DISCOVERY_H
#define ORCH_API_DISCOVERY_H

#include "api/orch_api_int.h"

/* account/region "" mean the API's defaults. *items is a new array of SourceServer objects (without
 * "groups"); *at_ms when DRS was asked. */
int orch_api_discovery_servers(struct orch_api *api, const char *account, const char *region, bool refresh,
                               json_t **items, int64_t *at_ms, struct orch_error *err) ORCH_MUST_CHECK;
/* The same for RecoveryInstance objects. */
int orch_api_discovery_instances(struct orch_api *api, const char *account, const char *region, bool refresh,
                                 json_t **items, int64_t *at_ms, struct orch_error *err) ORCH_MUST_CHECK;
/* Set "groups" on each server: the names of the store's groups (of its account and region) whose selector
 * takes it. */
int orch_api_discovery_groups(struct orch_api *api, json_t *servers, struct orch_error *err) ORCH_MUST_CHECK;
/* A group's selector against DRS now: *servers (with groups) and *missing (explicit ids DRS does not know). */
int orch_api_discovery_resolve(struct orch_api *api, const char *account, const char *region, const json_t *selector,
                               json_t **servers, json_t **missing, struct orch_error *err) ORCH_MUST_CHECK;
/* Quotas of DRS in the account and region, each with its current use where DRS tells it. */
int orch_api_discovery_quotas(struct orch_api *api, const char *account, const char *region, json_t **quotas,
                              struct orch_error *err) ORCH_MUST_CHECK;

#endif
