/* principal: who may call the API, and with which access key.
 *
 * A principal is an identity (name, user id, ARN) with one long-term
 * access key pair: an AKIA-style 20-character key id and a 40-character
 * secret. The store keeps the secret only sealed (AES-256-GCM, kmsseal.h)
 * under the region's KMS master key, with the key id as associated data,
 * so a copied store or a row moved to another key id does not open.
 *
 * Two principals exist from the first start: the region administrator
 * (everything, the region-operator actions included) and the agents'
 * (only kms:Decrypt, what rds-backup needs to open a snapshot for a
 * restore). principal_may is the one permission check; IAM users and
 * policies plug in there (PRINCIPAL_USER, denied everything until then). */
#ifndef RDSIM_PRINCIPAL_H
#define RDSIM_PRINCIPAL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct store store;

#define PRINCIPAL_KEY_ID_LEN 20
#define PRINCIPAL_SECRET_LEN 40
#define PRINCIPAL_NAME_MAX 64
#define PRINCIPAL_ADMIN_NAME "rdsim-admin"
#define PRINCIPAL_AGENT_NAME "rdsim-agent"

typedef enum {
    PRINCIPAL_ADMIN, /* the region administrator: every action */
    PRINCIPAL_AGENT, /* the agents: kms:Decrypt only */
    PRINCIPAL_USER,  /* an IAM user (policies: not yet) */
} principal_kind;

typedef struct {
    char name[PRINCIPAL_NAME_MAX + 1];
    char user_id[22];                              /* "AIDA" + 17 */
    char arn[160];                                 /* arn:aws:iam::<account>:user/<name> */
    char access_key_id[PRINCIPAL_KEY_ID_LEN + 1];
    principal_kind kind;
} principal;

typedef struct principals principals;

/* Opens the registry on the store (borrowed; its schema holds the
 * access_keys table) with a copy of the master key read from
 * master_key_path (kmsseal_master_load: created when missing, refused
 * when readable by others). NULL (logged) on failure. */
principals *principals_open(store *st, const char *master_key_path, const char *account);
/* Wipes the master key copy and frees; NULL is fine. */
void principals_close(principals *p);

/* The access key of the principal `name` of `kind`, made (and committed)
 * on first use. out gets the principal, secret the secret (41 bytes; the
 * caller wipes it). false (logged) when the store fails or a stored
 * secret does not open (another master key). */
bool principals_ensure(principals *p, const char *name, principal_kind kind, principal *out,
                       char secret[PRINCIPAL_SECRET_LEN + 1]);

/* The principal owning access_key_id and its secret. *found is false for
 * an unknown key (also for a malformed one). false (logged) on a store or
 * unsealing failure. */
bool principals_lookup(principals *p, const char *access_key_id, principal *out,
                       char secret[PRINCIPAL_SECRET_LEN + 1], bool *found);

/* The permission check of every API call: may `who` call
 * <service>:<action> (service as in IAM: "rds", "kms", "sns", "sqs",
 * "ec2")? Region-operator actions (principal_is_operator_action) are the
 * administrator's only. false with AWS's AccessDenied message in why. */
bool principal_may(const principal *who, const char *service, const char *action, char *why,
                   size_t why_len);
/* True for the rdsim-only actions no AWS customer has (the region clock,
 * the SNS delivery log). */
bool principal_is_operator_action(const char *service, const char *action);

/* Writes the standard AWS files for one principal, each atomically and
 * mode 0600 in dir (made 0700): dir/credentials with [profile], and
 * dir/config with [profile profile] region and endpoint_url. false
 * (logged) on an I/O failure. */
bool principal_write_aws_files(const char *dir, const char *profile, const char *region,
                               const char *endpoint, const principal *who, const char *secret);
/* Writes path (atomically, 0600): AWS_ACCESS_KEY_ID=, AWS_SECRET_ACCESS_KEY=
 * and AWS_REGION= lines, what an agent hands its rds-backup children. */
bool principal_write_env_file(const char *path, const char *region, const principal *who,
                              const char *secret);

#endif
