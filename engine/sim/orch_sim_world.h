/* orch_sim_world: the simulated region's state: accounts and credentials, and per account+region the
 * DRS source servers, jobs, recovery instances (EC2 instances), subnets, security groups, launch
 * templates, SSM documents, commands and automations, SNS messages; plus timings, quotas, faults and
 * the call record. Progress is a pure function of the sim clock: every time-driven transition is fixed
 * when the thing is created (from the seeded generator), and readers ask "what is its state at `now`",
 * so a frozen clock advanced by hand and a --seed give the same answers every run. Built from a
 * scenario by orch_sim_scenario. Uses orch_sim_rng, orch_sim_faults, jansson, orch_core. Not
 * thread-safe: the simulator's mutex guards it. */
#ifndef ORCH_SIM_WORLD_H
#define ORCH_SIM_WORLD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_error.h"
#include "sim/orch_sim_faults.h"
#include "sim/orch_sim_rng.h"

#define ORCH_SIM_NEVER INT64_MAX

/* The credentials every simulator accepts when a scenario names none. */
#define ORCH_SIM_DEFAULT_ACCESS_KEY "AKIASIMULATOREXAMPLE"
#define ORCH_SIM_DEFAULT_SECRET "simulator/secret/EXAMPLEKEY"
#define ORCH_SIM_DEFAULT_ACCOUNT "111122223333"
#define ORCH_SIM_DEFAULT_REGION "us-east-1"

/* A growable array of owned pointers (stable addresses for the things it holds). */
struct orch_sim_vec {
  void **items;
  size_t n, cap;
};
int orch_sim_vec_push(struct orch_sim_vec *v, void *item) ORCH_MUST_CHECK;

struct orch_sim_role {
  char *name;
  char *external_id; /* NULL: none required */
  int64_t max_session_s; /* IAM MaxSessionDuration: the longest DurationSeconds AssumeRole grants (1h-12h) */
};

struct orch_sim_account {
  char id[16];
  char *name;
  struct orch_sim_role *roles;
  size_t nroles; /* 0: any role name may be assumed */
  json_t *distributions; /* CloudFront distribution ids (array); empty: any id of this account */
};

/* One version of an S3 object (or a delete marker), in the order they were made. */
struct orch_sim_s3_version {
  char *key;
  char version_id[40]; /* "null" for what an unversioned (or suspended) bucket keeps */
  bool delete_marker;
  int64_t at_ms;
  int64_t size;
  char etag[40]; /* "\"<md5 hex>\"" */
  uint64_t seq;  /* creation order, to order versions made in the same millisecond */
};

struct orch_sim_bucket {
  char name[64];
  char versioning[16]; /* "" (never enabled) | "Enabled" | "Suspended" */
  int64_t created_ms;
  struct orch_sim_vec versions; /* struct orch_sim_s3_version * */
};

/* A CloudFront invalidation. */
struct orch_sim_invalidation {
  int account;
  char distribution[32];
  char id[24];
  char *caller_reference;
  json_t *paths; /* array of strings */
  int64_t created_ms, done_ms;
};

struct orch_sim_credential {
  char *access_key_id;
  char *secret;
  char *session_token; /* temporary credentials (AssumeRole) only */
  int account;         /* index into world->accounts */
  int64_t expires_ms;  /* ORCH_SIM_NEVER for long-term keys */
  char *arn;           /* the caller identity: user or assumed-role ARN */
  char *user_id;
};

struct orch_sim_subnet {
  char id[32];
  char vpc[32];
  char az[32];
  uint32_t base; /* network address, host order */
  int prefix;
  uint32_t next; /* next host offset to hand out */
};

struct orch_sim_sg {
  char id[32];
  char name[128];
  char vpc[32];
};

struct orch_sim_lt_version {
  int number;
  int64_t created_ms;
  char *description;
  json_t *data; /* LaunchTemplateData, model member names */
};

struct orch_sim_lt {
  char id[24];
  char name[128];
  int default_version;
  int64_t created_ms;
  struct orch_sim_lt_version *versions;
  size_t nversions;
};

struct orch_sim_snapshot {
  char id[24]; /* pit- + 17 */
  int64_t at_ms;
};

struct orch_sim_server {
  char id[24];
  char arn[192];
  char *hostname;
  char *fqdn;
  char *os;
  bool windows;
  json_t *tags;
  char repl_state[32];
  int64_t lag_ms;
  char instance_type[32];
  char ip[16];
  int cpus;
  int64_t ram_bytes;
  int64_t disk_bytes;
  int64_t added_ms;
  bool ssm_agent;
  struct orch_sim_snapshot *snaps;
  size_t nsnaps, capsnaps;
  /* launch configuration */
  char lc_name[128];
  char launch_disposition[16];
  char right_sizing[16];
  bool copy_private_ip, copy_tags, os_byol, post_launch;
  int lt; /* index into env->lts */
  /* what happened to it */
  int last_job;        /* last LAUNCH job index, -1 */
  int last_instance;   /* recovery instance index, -1 */
  char direction[16];  /* FAILOVER | FAILBACK */
  char reversed_arn[192];
};

enum orch_sim_job_type { ORCH_SIM_JOB_LAUNCH, ORCH_SIM_JOB_TERMINATE };

/* One server's part in a job, with the times of each step fixed at creation. */
struct orch_sim_pserver {
  int server;   /* index into env->servers */
  int instance; /* index into env->instances, -1 */
  int64_t t_snap_start, t_snap_end, t_conv_start, t_conv_end, t_launch_start, t_done;
  bool failed;
  bool fail_at_snapshot; /* not ready for recovery: fails before conversion */
  bool new_snapshot;
  char *fail_reason;
  char conversion_id[24];
};

struct orch_sim_job {
  char id[32];
  char arn[192];
  enum orch_sim_job_type type;
  char initiated_by[40];
  bool drill;
  json_t *tags;
  int64_t created_ms, started_ms, end_ms;
  int64_t listed_ms; /* from when DescribeJobs lists it (eventual consistency; created_ms when off) */
  struct orch_sim_pserver *ps;
  size_t nps;
};

struct orch_sim_instance {
  char id[24];
  char arn[192]; /* recovery-instance ARN */
  int server;    /* source server index, -1 for none */
  int job;
  bool drill;
  bool recovery; /* a DRS recovery instance (listed by DescribeRecoveryInstances) */
  bool windows;
  int64_t t_created, t_running, t_status_ok, t_ssm_online;
  int64_t t_stopping, t_stopped, t_shutting_down, t_terminated;
  char ip[16];
  int subnet;
  char instance_type[32];
  char image_id[32];
  char sg_ids[4][32];
  int nsg;
  json_t *tags;  /* EC2 tags */
  json_t *rtags; /* DRS tags of the recovery instance (TagResource) */
  int64_t pit_ms; /* the point-in-time snapshot it was launched from */
  /* failback */
  char failback_state[48];
  char failback_job[32];
  int64_t failback_ms;
  bool disconnected;
};

enum orch_sim_ec2_state { ORCH_SIM_EC2_NONE, ORCH_SIM_EC2_PENDING, ORCH_SIM_EC2_RUNNING, ORCH_SIM_EC2_STOPPING,
                          ORCH_SIM_EC2_STOPPED, ORCH_SIM_EC2_SHUTTING_DOWN, ORCH_SIM_EC2_TERMINATED };

struct orch_sim_invocation {
  int instance;
  int64_t t_visible, t_progress, t_done;
  char status[16]; /* final status */
  char *output;
  int response_code;
};

struct orch_sim_command {
  char id[40];
  char *document;
  const char *plugin; /* static: "aws:runShellScript" | "aws:runPowerShellScript" */
  char *comment;
  json_t *params;
  int64_t sent_ms;
  int64_t timeout_s;
  struct orch_sim_invocation *inv;
  size_t ninv;
};

struct orch_sim_automation {
  char id[40];
  char *document;
  json_t *params;
  int64_t t_start, t_progress, t_done;
  char status[16];
  char *output;
};

/* Platforms an SSM document runs on (its PlatformTypes). */
enum { ORCH_SIM_PLATFORM_WINDOWS = 1, ORCH_SIM_PLATFORM_LINUX = 2, ORCH_SIM_PLATFORM_MACOS = 4 };

/* An SSM document a scenario declares in a region (the AWS-owned ones are orch_sim_ssm's catalog). */
struct orch_sim_document {
  char name[132];
  char type[16];   /* Command | Automation */
  char format[8];  /* JSON | YAML */
  char status[16]; /* Active | Creating | Updating | Deleting | Failed */
  unsigned platforms; /* ORCH_SIM_PLATFORM_* bits */
  char *description;
};

/* Everything in one account and region. Index maps go id -> position. */
struct orch_sim_env {
  int account;
  char region[32];
  char partition[16];
  char vpc[32];
  struct orch_sim_vec servers, jobs, instances, lts, commands, automations;
  json_t *server_idx, *job_idx, *instance_idx, *lt_idx, *command_idx, *automation_idx;
  struct orch_sim_subnet *subnets;
  size_t nsubnets;
  struct orch_sim_sg *sgs;
  size_t nsgs;
  struct orch_sim_document *docs; /* the scenario's SSM documents */
  size_t ndocs;
  json_t *topics; /* array of topic ARNs; empty: any topic of this account and region */
  json_t *sns;    /* published messages */
  struct orch_sim_vec buckets; /* struct orch_sim_bucket *: S3 buckets created in this region */
};

struct orch_sim_timing {
  struct orch_sim_dist job_start, snapshot, conversion, launch, boot, ssm_ready, terminate, stop, command_start,
      command_run, automation, invalidation;
};

struct orch_sim_quota {
  const char *key; /* scenario key */
  char code[16];
  const char *name;
  double value;
  bool adjustable;
};

/* In the order ListServiceQuotas lists them: AWS's order (concurrent jobs, replicating servers, servers in all
 * jobs, source servers, servers per job, jobs per server), except that jobs per server comes first while the
 * engine still matches quotas by name, where "Max concurrent Jobs per source server" listed after "Concurrent
 * jobs in progress" would be taken for the concurrent jobs quota (see docs/simulator.md). */
enum { ORCH_SIM_Q_JOBS_PER_SERVER, ORCH_SIM_Q_CONCURRENT_JOBS, ORCH_SIM_Q_REPLICATING_SERVERS,
       ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS, ORCH_SIM_Q_SOURCE_SERVERS, ORCH_SIM_Q_SERVERS_PER_JOB, ORCH_SIM_NQUOTAS };

struct orch_sim_world {
  struct orch_sim_rng rng;       /* ids, timings, outcomes */
  struct orch_sim_rng fault_rng; /* throttling and error draws, so faults do not shift the rest */
  int64_t start_ms;
  struct orch_sim_account *accounts;
  size_t naccounts;
  struct orch_sim_vec creds;
  json_t *cred_idx;
  struct orch_sim_vec envs;
  struct orch_sim_timing timing;
  struct orch_sim_quota quotas[ORCH_SIM_NQUOTAS];
  struct orch_sim_faults faults;
  struct orch_sim_calls calls;
  struct orch_sim_vec invalidations; /* struct orch_sim_invalidation * (CloudFront is global) */
  uint64_t s3_seq;                   /* S3 object versions made so far */
  char name[128];
};

/* Lifetime. orch_sim_world_alloc gives an empty world with defaults (timings, quotas, calls record);
 * orch_sim_scenario fills it. Free accepts NULL. */
int orch_sim_world_alloc(uint64_t seed, int64_t start_ms, struct orch_sim_world **out) ORCH_MUST_CHECK;
void orch_sim_world_free(struct orch_sim_world *w);

/* Lookups. */
int orch_sim_world_account(const struct orch_sim_world *w, const char *account_id); /* index or -1 */
/* The quota with Service Quotas code `code` ("L-D88FAC3A"), or NULL. */
const struct orch_sim_quota *orch_sim_world_quota(const struct orch_sim_world *w, const char *code);
const struct orch_sim_credential *orch_sim_world_credential(const struct orch_sim_world *w, const char *akid);
/* Add a credential (copies the strings). */
int orch_sim_world_add_credential(struct orch_sim_world *w, int account, const char *akid, const char *secret,
                                  const char *token, int64_t expires_ms, const char *arn, const char *user_id)
    ORCH_MUST_CHECK;
/* The env of account+region, created empty (one default VPC, three subnets, one security group) when it
 * does not exist yet. NULL only when out of memory. */
struct orch_sim_env *orch_sim_world_env(struct orch_sim_world *w, int account, const char *region);
struct orch_sim_env *orch_sim_world_find_env(const struct orch_sim_world *w, int account, const char *region);

/* Id maps: position of `id` in the env's list, or -1. */
int orch_sim_idx_get(const json_t *idx, const char *id);
int orch_sim_idx_put(json_t *idx, const char *id, size_t pos) ORCH_MUST_CHECK;
/* Push `item` onto `v` and index it under `id` in `idx`; on failure (ORCH_ENOMEM) `v` is as it was and the
 * caller still owns `item`. */
int orch_sim_vec_push_indexed(struct orch_sim_vec *v, json_t *idx, const char *id, void *item) ORCH_MUST_CHECK;

#define ORCH_SIM_SERVER(env, i) ((struct orch_sim_server *)(env)->servers.items[(i)])
#define ORCH_SIM_JOB(env, i) ((struct orch_sim_job *)(env)->jobs.items[(i)])
#define ORCH_SIM_INSTANCE(env, i) ((struct orch_sim_instance *)(env)->instances.items[(i)])
#define ORCH_SIM_LT(env, i) ((struct orch_sim_lt *)(env)->lts.items[(i)])
#define ORCH_SIM_COMMAND(env, i) ((struct orch_sim_command *)(env)->commands.items[(i)])
#define ORCH_SIM_AUTOMATION(env, i) ((struct orch_sim_automation *)(env)->automations.items[(i)])

/* State at `now`. */
enum orch_sim_job_status { ORCH_SIM_JOB_PENDING, ORCH_SIM_JOB_STARTED, ORCH_SIM_JOB_COMPLETED };
enum orch_sim_job_status orch_sim_job_status(const struct orch_sim_job *j, int64_t now);
bool orch_sim_job_active(const struct orch_sim_job *j, int64_t now);
/* "PENDING" | "IN_PROGRESS" | "LAUNCHED" | "FAILED" | "TERMINATED". */
const char *orch_sim_pserver_status(const struct orch_sim_job *j, const struct orch_sim_pserver *p, int64_t now);
enum orch_sim_ec2_state orch_sim_instance_state(const struct orch_sim_instance *in, int64_t now);
const char *orch_sim_ec2_state_name(enum orch_sim_ec2_state s); /* "running" */
int orch_sim_ec2_state_code(enum orch_sim_ec2_state s);         /* 16 */
/* Listed by DescribeRecoveryInstances at `now` (created, not terminated, not disconnected-and-gone). */
bool orch_sim_instance_recovery_visible(const struct orch_sim_instance *in, int64_t now);
bool orch_sim_instance_managed(const struct orch_sim_env *env, const struct orch_sim_instance *in, int64_t now);

/* Creation (all ids and timings from w->rng). */
int orch_sim_env_add_server(struct orch_sim_world *w, struct orch_sim_env *env, struct orch_sim_server *s)
    ORCH_MUST_CHECK; /* takes ownership of s on success */
int orch_sim_env_new_lt(struct orch_sim_world *w, struct orch_sim_env *env, const char *name, json_t *data,
                        int64_t now, int *pos) ORCH_MUST_CHECK; /* takes a reference to data */
/* Allocate the next private IP of a subnet into ip (16 bytes). */
void orch_sim_subnet_next_ip(struct orch_sim_subnet *sn, char ip[16]);
int orch_sim_env_subnet(const struct orch_sim_env *env, const char *subnet_id); /* index or -1 */
void orch_sim_server_free(struct orch_sim_server *s);
void orch_sim_bucket_free(struct orch_sim_bucket *b); /* accepts NULL */
int orch_sim_server_add_snapshot(struct orch_sim_world *w, struct orch_sim_server *s, int64_t at_ms,
                                 char id_out[24]) ORCH_MUST_CHECK;

/* Formatting helpers shared by the handlers. */
void orch_sim_arn(char *out, size_t outsz, const struct orch_sim_world *w, const struct orch_sim_env *env,
                  const char *service, const char *resource);
const char *orch_sim_partition(const char *region);
/* "PT1H2M3S"-style ISO-8601 duration. */
void orch_sim_iso_duration(char out[32], int64_t ms);
/* Tags object -> [{"Key", "Value"}] (EC2/SSM style). Caller owns. */
json_t *orch_sim_tags_list(const json_t *tags);

/* The whole state as JSON for GET /_sim/state. Caller owns. */
json_t *orch_sim_world_state_json(const struct orch_sim_world *w, int64_t now);

#endif
