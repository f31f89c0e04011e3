/* orch_exec_notify: SNS notifications of an execution (started, gate waiting, wave failed, ended) to
 * the plan's topic. Sent at least once: a notification is an I/O request, journaled as
 * NotificationSent when SNS accepted it. Uses orch_exec_int. */
#include <string.h>

#include "core/orch_log.h"
#include "exec/orch_exec_int.h"

/* The topic ARN names its account and region: arn:aws:sns:REGION:ACCOUNT:NAME. */
static void topic_scope(const char *arn, char *account, size_t an, char *region, size_t rn) {
  account[0] = region[0] = '\0';
  const char *p = arn;
  for (int field = 0; field < 3 && p; field++) p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
  if (!p) return;
  const char *colon = strchr(p, ':');
  if (!colon) return;
  snprintf(region, rn, "%.*s", (int)(colon - p), p);
  const char *acct = colon + 1, *end = strchr(acct, ':');
  if (end) snprintf(account, an, "%.*s", (int)(end - acct), acct);
}

void exec_notify(struct orch_exec_engine *eng, struct exec_live *lv, const char *kind, const char *subject,
                 const char *message) {
  const struct orch_exec_state *st = &lv->st;
  if (!st->notify_topic[0]) return;
  char account[16], region[32];
  topic_scope(st->notify_topic, account, sizeof account, region, sizeof region);
  json_t *attrs = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "execution", "DataType", "String", "StringValue", st->id,
                            "event", "DataType", "String", "StringValue", kind);
  json_t *input = json_pack("{s:s, s:s, s:s, s:o*}", "TopicArn", st->notify_topic, "Subject", subject, "Message", message,
                            "MessageAttributes", attrs);
  struct exec_io *io = input ? exec_io_new(IO_NOTIFY, st->id, account, region, "sns", "Publish", input) : NULL;
  if (!io) {
    orch_log_warn("exec %s: notification '%s' not sent (out of memory)", st->id, kind);
    return;
  }
  snprintf(io->key, sizeof io->key, "%s", kind);
  exec_io_submit(eng, io);
}
