/* region: the controlplane's context and the region's names.
 *
 * One `region` is built by main and passed (as void *arg) to every
 * callback; it is the only long-lived state of the process. This module
 * also owns naming: endpoint and node DNS names, ARNs, resource ids. */
#ifndef RDSIM_REGION_H
#define RDSIM_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/quotas.h"

struct event_base;
struct event;
typedef struct store store;
typedef struct zone zone;
typedef struct agents agents;
typedef struct dnssync dnssync;
typedef struct health health;
typedef struct kms kms;
typedef struct secrets secrets;
typedef struct delivery delivery;
typedef struct pgcatalog pgcatalog;
typedef struct principals principals;
struct wf_kind;
struct cwcollect;
struct cJSON;

#define REGION_MAX_AZS 8

typedef struct {
    const char *name;          /* "us-east-1" */
    const char *dns_suffix;    /* "rds.internal" */
    const char *azs[REGION_MAX_AZS]; /* "us-east-1a", ... */
    int naz;
    int64_t dns_ttl_s;         /* default endpoint CNAME TTL (RDS: 5) */
    int64_t node_ttl_s;        /* node A record TTL */
    int64_t create_timeout_ms; /* a create that takes longer fails */
    int64_t agent_timeout_ms;  /* an agent silent this long is lost */
    const char *account;       /* "123456789012" */
    int64_t probe_interval_ms; /* health probes of each node */
    int64_t probe_timeout_ms;  /* a probe slower than this fails */
    int64_t detect_ms;         /* a node failing this long (3+ probes) is lost */
    int64_t standby_replace_ms;/* a standby whose host is gone this long is replaced */
    int64_t standby_stream_ms; /* a running standby not streaming this long is rebuilt */
    int64_t delivery_retry_ms; /* SNS: the first retry delay of a failed delivery (snsmsg.h) */
    int64_t sns_max_topics;    /* SNS: topics per account (AWS: 100,000) */
    int64_t sns_max_subs_per_topic; /* SNS: subscriptions per topic (AWS: 12,500,000) */
    bool sns_allow_own_endpoints; /* SNS: the operator lets http(s) endpoints be the region's
                                   * own listeners (notify/endpoint.h; default: refused) */
    const char *sns_dns_servers; /* SNS: name servers for http(s) endpoints (c-ares CSV
                                  * "addr:port,..."), NULL: the system's */
    int64_t storage_unit_bytes;/* one unit of AllocatedStorage: 1 GiB, or --storage-unit-mib
                                  (0 until storage_unit_resolve) */
    /* The network mode (README "Network modes"): loopback (127.0.0.0/8, the
     * region's own 127.0.0.0/24) or a namespace block (scripts/region.sh). */
    const char *vpc_cidr;      /* the VPC: node addresses, the default group's rule */
    const char *region_cidr;   /* the region's own addresses, no subnet may overlap */
    const char *agent_addr;    /* where agents reach the API (and KMS): --agent-addr,
                                  else 127.0.0.1 */
} region_config;

typedef struct region {
    region_config cfg;
    struct event_base *base;
    store *st;
    zone *zone;
    agents *agents;
    dnssync *dns;              /* what the zone was last told */
    health *health;            /* the controlplane's probes of every node */
    kms *kms;                  /* the key service (kms.h) */
    secrets *secrets;          /* Secrets Manager (secrets.h) */
    delivery *delivery;        /* SNS deliveries in flight (delivery.h) */
    pgcatalog *pgcat;          /* PostgreSQL's parameter list (pgcatalog.h, paramgroup.h) */
    principals *principals;    /* API access keys and permissions (principal.h) */
    struct tlsca *tls;         /* the CAs and the nodes' server certificates (tlsca.h) */
    const char *home;          /* the region's directory (--home) */
    struct event *cron;        /* periodic work: workflows, health */
    bool kick_pending;         /* a workflow pass is already scheduled */
    char *hash;                /* the endpoint's region-unique label, from the store */
    char *apex;                /* "<region>.<dns_suffix>" */
    char *pg_version;          /* installed PostgreSQL, e.g. "15.18" */
    char *pg_major;            /* "15" */
    int64_t clock_offset_ms;   /* region clock = wall + offset (store meta) */
    int api_port;              /* where the API (and KMS) listens, once started */
    /* The secret of restores' object URLs (core/restoretoken.h), loaded
     * from <home>/restore-url.key by main; restore_key_ok false: none
     * (the unit tests), goals then name paths. */
    uint8_t restore_key[32];
    bool restore_key_ok;
    int dns_port;              /* where the DNS server listens (UDP and TCP), once started */
    const struct wf_kind *const *wf_kinds; /* the workflow kinds main registered (workflow.h) */
    struct cwcollect *cw;      /* CloudWatch's collector (obs/cwcollect.h), NULL: none */
    struct nodespec_cache *spec_cache; /* heartbeat replies kept (view/nodespec.h), NULL:
                                          none yet */
    /* Called by domain/telemetry.c for each node entry of an agent's
     * telemetry, in its transaction (main sets it to cwcollect_node: the
     * layer above domain/ cannot be called from it directly). */
    void (*node_telemetry_hook)(struct region *r, const char *instance_id, const char *db_class,
                                const char *engine, int64_t allocated_bytes,
                                const char *node_id, bool primary, const struct cJSON *entry);
    /* One pass of the cron, run at once (main sets it: probes, workflows,
     * the monitors). view/nodespec.c runs it between recording a
     * heartbeat and answering it, so the reply carries what the report
     * decided; NULL in the unit tests. */
    void (*pass_hook)(struct region *r);
    /* The cron's passes since stats_ms (monotonic), by what ran them; main
     * logs them at debug level every CRON_STATS_MS (issue 18's idle cost). */
    struct {
        int64_t since_ms, timer, heartbeat;
    } pass_stats;
    int64_t slow_pass_ms;      /* monotonic ms of the last pass that ran main.c's
                                  once-a-second work (every_due) */
    bool slow_pass_now;        /* an API change: the next pass runs that work too
                                  (an export enabled starts before the next
                                  statement, not up to a second later) */
} region;

/* Limits shared by the actions that create instances. */
#define REGION_INSTANCE_QUOTA QUOTA_DB_INSTANCES
#define DNS_TTL_MAX 86400

/* Region time now, ms since the epoch. */
int64_t region_now_ms(const region *r);

/* Names; each returns a malloc'd string the caller frees.
 * endpoint: "<id>.<hash>.<region>.<suffix>";
 * node:     "ip-127-0-1-5.<az>.<region>.<suffix>";
 * public:   "<id>.public.<hash>.<region>.<suffix>" (PubliclyAccessible);
 * arn:      "arn:aws:rds:<region>:<account>:db:<id>". */
char *region_endpoint_name(const region *r, const char *instance_id);
char *region_public_endpoint_name(const region *r, const char *instance_id);
char *region_node_name(const region *r, const char *az, const char *addr);
char *region_instance_arn(const region *r, const char *instance_id);
/* ---- ARNs, read once here ----
 * "arn:<partition>:<service>:<region>:<account>:<resource>", the resource
 * keeping its own ':' or '/' ("db:shop", "key/<uuid>", "alias/aws/rds"). */
#define REGION_ARN_MAX 2048

typedef struct {
    char buf[REGION_ARN_MAX + 1]; /* the text, with NULs at the field colons */
    const char *partition, *service, *region, *account, *resource; /* into buf */
} region_arn;

/* Splits text into *out. false when it does not start with "arn:", has
 * fewer than six fields, or is longer than REGION_ARN_MAX. Fields may be
 * empty (an IAM ARN has no region). */
bool region_arn_parse(const char *text, region_arn *out);
/* True when the ARN is in partition "aws", of `service`, in region_name and
 * `account` (exact, case-sensitive). */
bool region_arn_is_local(const region_arn *a, const char *service, const char *region_name,
                         const char *account);
/* The id after type_prefix ("db:", "key/") at the start of the resource
 * (possibly empty), pointing into a; NULL when the resource is of another
 * type. */
const char *region_arn_resource_id(const region_arn *a, const char *type_prefix);

/* An instance identifier from a parameter that AWS lets be the identifier
 * or the instance's ARN ("arn:...:db:<id>", whatever its region): the id,
 * lowercased and malloc'd. A value that is no instance ARN is taken as the
 * identifier itself. */
char *region_instance_id_from(const char *value);
/* The id of an instance ARN of this region and account, lowercased and
 * malloc'd (possibly empty); NULL when text is not one. */
char *region_instance_arn_id(const region *r, const char *text);

/* A fresh random lowercase alphanumeric string of len characters. */
char *region_random_label(int len);

bool region_has_az(const region *r, const char *az);
/* The VPC's block (cfg.vpc_cidr) and the region's own addresses
 * (cfg.region_cidr), the loopback defaults when unset: "127.0.0.0/8",
 * "127.0.0.0/24". */
const char *region_vpc_cidr(const region *r);
const char *region_own_cidr(const region *r);

#endif
