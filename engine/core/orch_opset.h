/* orch_opset: sets of AWS operations written as "service:Operation" patterns: "ec2:DescribeInstances",
 * "ec2:*", "ec2:Describe*" (a prefix) and "*". A plan's aws_allow list and the operator's ceiling
 * (the plans.aws_allow_ceiling setting) are such sets; this module parses them, answers whether an
 * operation is permitted, and whether one entry lies within a set. Uses orch_buf, orch_error, orch_alloc. */
#ifndef ORCH_OPSET_H
#define ORCH_OPSET_H

#include <stdbool.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

/* The default ceiling: read-only operations of the services a recovery touches, plus the changes the
 * engine itself makes for a recovery (launch settings, recovery, recovery instance termination). Left
 * out on purpose: ssm:SendCommand and ssm:StartAutomationExecution (w:ssm_run is their limited form),
 * sns:Publish (w:notify), sts:AssumeRole* (credentials) and dynamodb:* (the engine's own store). */
#define ORCH_OPSET_DEFAULT_CEILING                                                                            \
  "drs:Describe*, drs:GetLaunchConfiguration, drs:ListTagsForResource, ec2:Describe*, "                      \
  "ssm:DescribeInstanceInformation, ssm:DescribeDocument, ssm:GetCommandInvocation, "                       \
  "ssm:ListCommandInvocations, ssm:GetAutomationExecution, sts:GetCallerIdentity, service-quotas:Get*, "   \
  "service-quotas:List*, drs:StartRecovery, drs:TerminateRecoveryInstances, drs:UpdateLaunchConfiguration, " \
  "ec2:CreateLaunchTemplateVersion, ec2:ModifyLaunchTemplate"

#define ORCH_OPSET_ENTRY_MAX 160 /* bytes of one entry */
#define ORCH_OPSET_MAX 256       /* entries of one set */

struct orch_opset;

/* Parse a list of entries separated by commas and/or white space; the word "none" is the empty set.
 * With `allow_prefix` false, "Describe*" forms are refused (plans may write only exact operations,
 * "service:*" and "*"). Errors name the entry. Caller frees with orch_opset_free (accepts NULL). */
int orch_opset_parse(const char *text, bool allow_prefix, struct orch_opset **out, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_opset_free(struct orch_opset *s);
/* Check one entry's form without building a set. */
int orch_opset_entry_check(const char *entry, bool allow_prefix, struct orch_error *err) ORCH_MUST_CHECK;

/* Whether `service`:`operation` matches an entry of `s`. */
bool orch_opset_permits(const struct orch_opset *s, const char *service, const char *operation);
/* Whether everything `entry` permits is permitted by `s` ("ec2:*" lies within "ec2:*" or "*" only). A
 * malformed entry lies within nothing. */
bool orch_opset_covers(const struct orch_opset *s, const char *entry);
/* Append the entries of `s` that concern `service` (and "*"), comma-separated, or "nothing". */
int orch_opset_describe(const struct orch_opset *s, const char *service, struct orch_buf *out) ORCH_MUST_CHECK;

#endif
