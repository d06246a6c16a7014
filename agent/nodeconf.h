/* nodeconf: the text of the files the agent writes for a node — pure.
 *
 * rdsim.conf (the configuration include), pg_hba.conf, the replication
 * password file a standby's walreceiver reads, the SQL that makes the
 * replication role exist, and the <id>/initialized marker; plus the one
 * decision that depends only on text: can a configuration change be applied
 * with a reload, or does it need a restart. No I/O here, so every rule is
 * unit-tested (tests/unit/agent/test_nodeconf.c).
 *
 * Every value placed in these files comes from a validated node_spec
 * (spec.h): short, printable, no newline. Quoting is still done for every
 * value, because a path under --home may hold quotes or spaces. */
#ifndef RDSIM_AGENT_NODECONF_H
#define RDSIM_AGENT_NODECONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/spec.h"

/* The contents of data/rdsim.conf for node node_id living in node_dir:
 * the spec's settings, then the settings the agent owns — addresses,
 * sockets, logs (hourly UTC files, agent/pglogs.h), replication on every
 * node (wal_level replica, senders, slots, hot_standby, wal_log_hints,
 * wal_keep_size), synchronous_commit on,
 * synchronous_standby_names = 'FIRST 1 ("a", "b")' from sync_standbys ('' when
 * there are none; 'ANY 1 (...)' when the spec's sync_method is "any", a
 * Multi-AZ DB cluster's writer), and for a standby spec with an upstream and a replication
 * user, primary_conninfo (application_name = node_id) whose password comes
 * from <node_dir>/repl.pgpass, so the file holds no secret; last, the
 * include of rdsim-floor.conf (nodeconf_render_floor). Caller frees. */
char *nodeconf_render_conf(const char *node_dir, const char *node_id, const node_spec *spec);

/* The contents of data/rdsim-params.conf: the spec's parameters (its DB
 * parameter group), included by rdsim.conf right after the spec's settings
 * so they override the class defaults but never the settings the agent
 * owns (which follow, and which the parameters may not name). A change of
 * this text is applied by a reload; PostgreSQL itself keeps a changed
 * static (postmaster) parameter for the next restart. Caller frees. */
char *nodeconf_render_params(const node_spec *spec);

/* The contents of data/pg_hba.conf, scram-sha-256 everywhere but for
 * rdsadmin (peer over the socket as the pg OS user). First the region's own
 * roles: rdsadmin and the spec's replication role (repl_user) over TCP
 * only from 127.0.0.1, any other address rejected. Then the tenant's
 * roles, which 127.0.0.1 gets nothing special for: when the spec has no
 * allowed_cidrs (spec NULL too), the whole loopback 127.0.0.0/8 (the VPC
 * default group's rule) for everything and replication; else one
 * `host all all CIDR` and `host replication all CIDR` line per allowed
 * block, and nothing else. Caller frees. A change of this text needs only
 * a reload. */
char *nodeconf_render_hba(const node_spec *spec);
/* The PAM service of IAM database logins: with spec->iam_db_auth, every
 * client rule (not replication) is preceded by one sending members of
 * rds_iam to `pam pamservice=NODECONF_PAM_SERVICE` (agent/iamauth.h writes
 * /etc/pam.d/NODECONF_PAM_SERVICE). */
#define NODECONF_PAM_SERVICE "rdsim-iam"
/* data/pg_ident.conf: map "rdsim" lets os_user (the pg user) be rdsadmin. */
char *nodeconf_render_ident(const char *os_user);

/* True if going from configuration text have to want needs only a reload
 * (SIGHUP): every changed, added or removed setting is one PostgreSQL
 * re-reads that the agent or the controlplane changes on a running node
 * (synchronous_standby_names, synchronous_commit, primary_conninfo,
 * wal_retrieve_retry_interval, wal_keep_size, log_rotation_age,
 * log_timezone, default_transaction_read_only). True when they are the
 * same; false if any other setting differs. Comments and blank lines are
 * ignored. */
bool nodeconf_reload_only(const char *have, const char *want);

/* The replication password file: "*:*:*:<user>:<password>\n", ':' and '\'
 * escaped as libpq wants. Caller frees (and should wipe: it holds the
 * password). */
char *nodeconf_render_pgpass(const char *user, const char *password);

/* RDS's role model, for postgres --single right after initdb (bootstrap
 * superuser rdsadmin): rds_superuser (pg_monitor, pg_signal_backend,
 * pg_checkpoint; admin of rds_replication and rds_password),
 * rds_replication, rds_password, rds_iam, rds_ad; the master user (LOGIN
 * CREATEDB CREATEROLE, member of rds_superuser, not a superuser) with
 * spec's master_verifier; rdsadmin's admin_verifier; the postgres and
 * template1 databases owned by the master user; db_name created owned by
 * it. Needs spec->master_verifier. Caller frees. */
char *nodeconf_render_bootstrap_sql(const node_spec *spec);
/* What a running primary's roles must say, for psql as rdsadmin on stdin,
 * idempotent and out of the server log: rdsadmin's and the master user's
 * verifiers (when given), the replication role (REPLICATION LOGIN, its
 * password, the grants pg_rewind needs) when spec has one. Caller frees
 * (and should wipe: it holds the replication password). */
char *nodeconf_render_roles_sql(const node_spec *spec);
/* What a running hot standby with "slots" (a read replica with replicas of
 * its own) must say: the slots only (created, others "rdsrr_*" dropped),
 * as in nodeconf_render_roles_sql; a standby takes no ALTER ROLE. Caller
 * frees. */
char *nodeconf_render_slots_sql(const node_spec *spec);

/* ---- the hot standby floor (issue 15) ------------------------------------
 *
 * PostgreSQL 15 refuses to start a hot standby whose max_connections,
 * max_worker_processes, max_wal_senders, max_prepared_transactions or
 * max_locks_per_transaction is lower than the value its control file
 * recorded (the primary's, from its last XLOG_PARAMETER_CHANGE replayed or
 * the base backup). A standby started after a parameter was lowered (a
 * reset, a class scale-down) before it replayed its primary's change would
 * crash-loop; the agent starts it with the control file's value instead
 * (data/rdsim-floor.conf, included last by rdsim.conf) until the control
 * file no longer needs it. */
typedef enum {
    NODECONF_HS_MAX_CONNECTIONS,
    NODECONF_HS_MAX_WORKER_PROCESSES,
    NODECONF_HS_MAX_WAL_SENDERS,
    NODECONF_HS_MAX_PREPARED_XACTS,
    NODECONF_HS_MAX_LOCKS_PER_XACT,
    NODECONF_HS_COUNT
} nodeconf_hs_param;

/* One value per nodeconf_hs_param; -1 where unknown (configured values
 * only), 0 where a floor has none. */
typedef struct {
    int64_t v[NODECONF_HS_COUNT];
} nodeconf_hs;

/* The PostgreSQL setting's name ("max_connections", ...). */
const char *nodeconf_hs_name(nodeconf_hs_param p);

/* Parses `pg_controldata` output (LC_ALL=C; stdout and stderr together)
 * into the five "... setting:" values. Returns false (out zeroed) unless
 * each of the five is there exactly once, as decimal digits within
 * PostgreSQL's own range for that setting, and nothing says the file is
 * untrustworthy (a "WARNING" line: a CRC mismatch) — a truncated, garbled
 * or hostile output is "no floor", never a guess. */
bool nodeconf_controldata_parse(const char *text, size_t len, nodeconf_hs *out);

/* The value each of the five has when PostgreSQL reads rdsim.conf: the
 * last of the spec's parameters (rdsim-params.conf), else its settings,
 * else the agent's own (max_wal_senders 25), else PostgreSQL's default
 * (initdb's max_connections 100 included). -1 for a value that is not an
 * integer PostgreSQL would take (no floor is then computed for it). */
void nodeconf_hs_configured(const node_spec *spec, nodeconf_hs *out);

/* The floor a standby needs: floor->v[i] is control->v[i] where it is
 * higher than the configured value (nodeconf_hs_configured), else 0.
 * Returns true if any value needs a floor. */
bool nodeconf_floor_compute(const nodeconf_hs *control, const node_spec *spec,
                            nodeconf_hs *floor);

/* data/rdsim-floor.conf: floor's non-zero values (a comment only when
 * floor is NULL or all zero: a primary's, or a standby that needs none).
 * Caller frees. */
char *nodeconf_render_floor(const nodeconf_hs *floor);

/* What <id>/initialized records about how the data directory was made. */
typedef struct {
    int64_t rebuild_seq;
    char upstream[81]; /* the upstream's node id for a standby, "" if none */
} nodeconf_marker;

/* Parses a marker. The original marker ("1\n") and unknown lines are
 * accepted (rebuild_seq 0, no upstream). Returns false (out zeroed) for a
 * malformed rebuild_seq or upstream line. */
bool nodeconf_marker_parse(const char *text, size_t len, nodeconf_marker *out);

/* "rebuild_seq=N\nupstream=ID\n" (upstream line only when set). Caller frees. */
char *nodeconf_marker_render(const nodeconf_marker *m);

#endif
