/* orch_api_diff: a unified diff of two texts by lines (Myers' O(ND) algorithm, 3 lines of context, hunk
 * headers as diff -u writes them), for comparing plan versions. Texts that differ in more than
 * ORCH_API_DIFF_EDITS_MAX lines are shown as one hunk replacing everything. Uses orch_buf, orch_alloc. */
#ifndef ORCH_API_DIFF_H
#define ORCH_API_DIFF_H

#include "core/orch_buf.h"
#include "core/orch_error.h"

#define ORCH_API_DIFF_EDITS_MAX 2000
#define ORCH_API_DIFF_CONTEXT 3

/* Append the diff of a (named from_name) to b (to_name) to out; nothing when they are equal. */
int orch_api_diff_unified(const char *a, const char *b, const char *from_name, const char *to_name,
                          struct orch_buf *out) ORCH_MUST_CHECK;

#endif
