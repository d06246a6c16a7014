/* principal: who may call the API, and with which access key.
 *
 * A principal is an identity (name, user id, ARN) with one long-term
 * access key pair: an AKIA-style 20-character key id and a 40-character
 * secret. The store keeps the secret only sealed (AES-256-GCM, kmsseal.h)
 * under the region's KMS master key, with the key id as associated data,
 * so a copied store or a row moved to another key id does not open.
 *
 * Two principals exist from the first start: the region administrator
 * (the account's root: everything, the region-operator actions and IAM
 * included; ARN arn:aws:iam::<account>:root) and the agents' (only
 * kms:Decrypt, what rds-backup needs to open a snapshot for a restore).
 * IAM users (api/iam.c; table iam_users) have keys of kind "user" and
 * may do what their inline policies allow (core/policy.h).
 * principal_may is the one permission check. */
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
/* A resource ARN longer than this is denied to IAM users unevaluated. */
#define PRINCIPAL_RESOURCE_MAX 2048

typedef enum {
    PRINCIPAL_ADMIN, /* the region administrator: every action */
    PRINCIPAL_AGENT, /* the agents: kms:Decrypt only */
    PRINCIPAL_USER,  /* an IAM user: its inline policies */
} principal_kind;

typedef struct {
    char name[PRINCIPAL_NAME_MAX + 1];
    char user_id[22];                              /* "AIDA" + 17 */
    char arn[640];                                 /* ...:root, ...:user<path><name> */
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

/* A new IAM user id, "AIDA" + 17 base32 characters. false if the random
 * source fails. */
bool principal_new_user_id(char out[22]);

/* A new access key (committed) for the IAM user `user` (its canonical
 * name, user id and path); out and secret as principals_ensure. */
bool principals_user_key_create(principals *p, const char *user, const char *user_id,
                                const char *path, principal *out,
                                char secret[PRINCIPAL_SECRET_LEN + 1]);

typedef struct {
    char access_key_id[PRINCIPAL_KEY_ID_LEN + 1];
    long long created_ms;
} principal_key_info;

/* The keys of IAM user `user`, oldest first, in *out (caller frees):
 * their count, or -1 (logged) when the store fails. */
int principals_user_keys(principals *p, const char *user, principal_key_info **out);

/* Deletes the key access_key_id of IAM user `user` (committed); *found
 * false when the user has no such key. false (logged) on a store failure. */
bool principals_user_key_delete(principals *p, const char *user, const char *access_key_id,
                                bool *found);

/* The principal owning access_key_id and its secret. *found is false for
 * an unknown key (also for a malformed one). false (logged) on a store or
 * unsealing failure. */
bool principals_lookup(principals *p, const char *access_key_id, principal *out,
                       char secret[PRINCIPAL_SECRET_LEN + 1], bool *found);

/* The permission check of every API call: may `who` call
 * <service>:<action> (service as in IAM: "rds", "kms", "sns", "sqs",
 * "ec2", "iam", "sts") on resource (an ARN, or NULL / "*" when the
 * request names none)?
 *   sts:GetCallerIdentity           everyone
 *   the administrator               everything
 *   operator actions, iam:*          the administrator only, whatever a
 *                                    user's policy says
 *   the agents                      kms:Decrypt
 *   an IAM user                     its inline policies (policy_evaluate;
 *                                    read from p's store; p NULL: none)
 * false with AWS's AccessDenied message in why (may be NULL). */
bool principal_may(principals *p, const principal *who, const char *service, const char *action,
                   const char *resource, char *why, size_t why_len);
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
