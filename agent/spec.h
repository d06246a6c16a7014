/* spec: what the controlplane wants of one node — its goal and its spec.
 *
 * A node_spec is parsed from untrusted JSON (a heartbeat reply, or the
 * agent's own agent.json) and validated here once, so the rest of the agent
 * can render configuration from it without re-checking: every string in a
 * parsed spec is short, printable and safe to put in a PostgreSQL
 * configuration file or an argv. The password is kept only in memory and
 * never serialised by spec_to_json. */
#ifndef RDSIM_AGENT_SPEC_H
#define RDSIM_AGENT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

typedef enum { NODE_GOAL_RUNNING, NODE_GOAL_STOPPED, NODE_GOAL_ABSENT } node_goal;

/* "running", "stopped", "absent". */
const char *spec_goal_name(node_goal goal);
/* Returns false (out unchanged) for any other string, NULL included. */
bool spec_goal_parse(const char *name, node_goal *out);

/* Largest generation or restart count: cJSON prints numbers with 15
 * significant digits, so larger integers would not round-trip exactly. */
#define SPEC_MAX_COUNT 999999999999999LL

enum {
    SPEC_MAX_SETTINGS = 200, /* also the most parameters */
    SPEC_MAX_VALUE = 1024,  /* bytes of one setting value */
    SPEC_MAX_PASSWORD = 1024,
    SPEC_MAX_SYNC = 16,     /* sync_standbys entries */
    SPEC_MAX_SLOTS = 32,    /* slots entries (read replicas, issue 15) */
    SPEC_MAX_HBA = 64,      /* allowed_cidrs entries */
    SPEC_MAX_PATH = 1024,   /* restore.path, restore.kms */
    SPEC_MAX_PEM = 16384,   /* tls.cert, tls.key */
};

typedef struct {
    char *key;   /* [a-z_][a-z0-9_.]*, at most 63, not one the agent manages */
    char *value; /* printable, no newline, at most SPEC_MAX_VALUE */
} spec_setting;

/* The primary a standby streams from (Multi-AZ). */
typedef struct {
    char *node_id; /* [a-z0-9-]{1,80} */
    char *addr;    /* dotted IPv4 inside 127.0.0.0/8 */
    int port;      /* 1..65535 */
    /* A read replica (issue 15): the physical replication slot on the
     * upstream (primary_slot_name), or NULL; follow: an upstream change is
     * a reload of primary_conninfo (the source failed over: the new
     * primary holds all the replica has), never a rejoin. */
    char *slot;    /* [a-z0-9_]{1,63} or NULL */
    bool follow;
} spec_upstream;

typedef struct node_spec {
    char *instance_id;     /* [A-Za-z0-9-]{1,63} */
    char *addr;            /* dotted IPv4 inside 127.0.0.0/8 */
    int port;              /* 1..65535 */
    char *role;            /* [a-z_]{1,32}, "primary" if absent; "standby" makes a standby */
    char *master_username; /* [A-Za-z_][A-Za-z0-9_]{0,62} */
    char *master_verifier; /* the master password's SCRAM-SHA-256 verifier (lib/scram.h),
                            * never the password; NULL when not given; memory only */
    char *admin_verifier;  /* rdsadmin's SCRAM verifier; NULL when not given; memory only */
    char *db_name;         /* NULL or [A-Za-z_][A-Za-z0-9_]{0,62} */
    spec_setting *settings; /* sorted by key, keys unique */
    size_t nsettings;
    /* Multi-AZ (README "Multi-AZ additions"); all optional. */
    bool supervise_report;  /* "report": a crashed postmaster is reported, not restarted */
    int64_t rebuild_seq;    /* 0..SPEC_MAX_COUNT; a change rebuilds a standby */
    char *repl_user;        /* NULL without "replication"; else a SQL name */
    char *repl_password;    /* NULL when not given; memory only */
    bool has_upstream;
    spec_upstream upstream; /* meaningful only when has_upstream */
    char **sync_standbys;   /* node ids, at most SPEC_MAX_SYNC, in the given order */
    size_t nsync;
    /* A primary's read replicas (issue 15): the physical slots that must
     * exist on it; others named "rdsrr_*" are dropped. has_slots false:
     * the agent leaves slots alone. */
    bool has_slots;
    char **slots;           /* [a-z0-9_]{1,63}, at most SPEC_MAX_SLOTS */
    size_t nslots;
    bool sync_any;          /* "sync_method": "any": ANY 1 (quorum), else FIRST 1 */
    /* Network (README "Network additions"): the client CIDRs pg_hba.conf
     * allows; has_hba false = the whole loopback (127.0.0.0/8). */
    bool has_hba;
    char **allowed_cidrs;   /* canonical "a.b.c.d/n", at most SPEC_MAX_HBA */
    size_t nhba;
    /* IAM database authentication (README "IAM database authentication"):
     * members of rds_iam log in with a token, through PAM. */
    bool iam_db_auth;
    /* "initialized": true — the controlplane's store says this node's
     * creation finished: its data exists and must never be made again by
     * initdb (issue 13: a lost data directory is data-lost, not empty). */
    bool initialized;
    /* Restore from a snapshot (README "Snapshots"): a primary made from
     * this object by bin/rds-backup instead of initdb. Both or neither. */
    char *restore_path;     /* absolute, printable, no "..", at most SPEC_MAX_PATH; or a
                             * URL of the controlplane's (spec_valid_restore_url) */
    char *restore_kms;      /* "http://127.x.x.x:port/...": the key service */
    char *restore_wal;      /* point in time: the WAL archive (a restore_path), or NULL */
    char *restore_target;   /* point in time: PostgreSQL's recovery_target_time, or NULL */
    /* DB parameter group (README "Parameter groups"): the user's
     * parameters, written to data/rdsim-params.conf and applied by a
     * reload (a restart applies static ones); params_id names this set
     * and is reported back once the file is written and PostgreSQL
     * signalled. Absent: no parameters, params_id NULL. */
    spec_setting *params;   /* sorted by key, keys unique, same rules as settings */
    size_t nparams;
    char *params_id;        /* [0-9a-f]{1,32} or NULL */
    /* TLS (README "TLS"): the node's server certificate, written to
     * data/server.crt and data/server.key, and ssl=on. All NULL: no TLS. */
    char *tls_ca;           /* the CA's id, [a-z0-9-]{1,63} */
    char *tls_cert;         /* one PEM CERTIFICATE, at most SPEC_MAX_PEM */
    char *tls_key;          /* its PEM PRIVATE KEY; NULL when not given; memory only */
    /* rds.force_ssl (only with TLS): client rules of pg_hba.conf are
     * hostssl, so a connection without TLS is refused. */
    bool force_ssl;
} node_spec;

/* True when s is a slot name the agent accepts: [a-z0-9_]{1,63}. */
bool spec_valid_slot(const char *s);

/* True when the spec asks for a standby ("standby" role). */
bool spec_is_standby(const node_spec *spec);

/* The host's network, set once at start before any spec is parsed (like
 * the log level; README "Network modes"): vpc is where node addresses may
 * be (a node's addr, its upstream's), region the addresses the region's
 * own connections come from (pg_hba.conf's rdsadmin and replication-role
 * lines) and where a restore's KMS may be. Defaults: loopback mode's
 * "127.0.0.0/8" and "127.0.0.1/32". False (nothing changed) unless both are
 * CIDR blocks and region lies inside vpc. */
bool spec_set_network(const char *vpc, const char *region);
const char *spec_vpc_cidr(void);    /* e.g. "127.0.0.0/8" */
const char *spec_region_cidr(void); /* e.g. "127.0.0.1/32" */

/* Parses and validates a spec object. Returns true and fills out (caller
 * frees with spec_free); returns false with a one-line reason in err (which
 * never contains the password) and out zeroed. */
bool spec_from_json(const struct cJSON *obj, node_spec *out, char *err, size_t errlen);

/* A new cJSON object for the spec WITHOUT the passwords (master and
 * replication) and the TLS key; caller deletes. */
struct cJSON *spec_to_json(const node_spec *spec);

/* Deep copy (password included); dst is overwritten, not freed first. */
void spec_copy(node_spec *dst, const node_spec *src);

/* True when a and b render the same configuration and identity (every
 * field but the passwords and the TLS key). */
bool spec_same(const node_spec *a, const node_spec *b);

/* Frees every field (wiping the passwords) and zeroes the struct. */
void spec_free(node_spec *spec);

/* Table-driven validators, exposed for the unit tests. */
bool spec_valid_sql_name(const char *s);   /* [A-Za-z_][A-Za-z0-9_]{0,62} */
bool spec_valid_setting_key(const char *s); /* syntax and not managed */
bool spec_valid_node_id(const char *s);     /* [a-z0-9-]{1,80} */
bool spec_valid_restore_path(const char *s); /* absolute, printable, no "..", no "//" */
/* "http://ADDR:PORT/agent/v1/restore/..." with ADDR as a restore's KMS
 * (127.x, or in the region's addresses), the rest [A-Za-z0-9/_.-] without
 * ".." or "//": the controlplane's restore routes (controlplane/api/restoreobj.h). */
bool spec_valid_restore_url(const char *s);
/* A restore's path or wal: spec_valid_restore_path or spec_valid_restore_url. */
bool spec_valid_restore_source(const char *s);
bool spec_valid_restore_target(const char *s); /* "YYYY-MM-DD HH:MM:SS[.fff]+00" charset */
/* One PEM block of the given label ("CERTIFICATE", "PRIVATE KEY") and
 * nothing else: base64 lines between its BEGIN and END lines, at most
 * SPEC_MAX_PEM bytes. */
bool spec_valid_pem(const char *s, const char *label);

#endif
