/* iamauth: the agent's side of IAM database authentication (README "IAM
 * database authentication").
 *
 * For every node whose spec has iam_db_auth, the agent serves a unix
 * socket, <nodes_dir>/<node_id>/iamauth.sock (the agent's, mode 0666 but
 * only reachable through the pg user's 0700 node directory, never chown'd
 * by path: issue 13; peers other than the pg user and root are refused by
 * SO_PEERCRED), where pam/pam_rdsim_iam.so, inside a
 * postgres backend of that node, asks whether a token logs a user in
 * ("<user>\n<token>\n"). The agent forwards the question, with the node id
 * the socket stands for, to the controlplane's POST /agent/v1/iam-auth,
 * signed with its key (lib/agentmac.h), checks the signed reply and answers
 * "allow\n" or "deny\n". Every failure is a deny: a malformed or oversize
 * question, a client silent for IAMAUTH_TIMEOUT_S, a controlplane that does
 * not answer within IAMAUTH_TIMEOUT_S, a reply that does not authenticate.
 * At most IAMAUTH_MAX_CONNS questions are open; more are denied at once.
 * Tokens are never logged.
 *
 * When root, it also writes /etc/pam.d/rdsim-iam (NODECONF_PAM_SERVICE)
 * naming the module by absolute path, rewritten only when it differs. */
#ifndef RDSIM_AGENT_IAMAUTH_H
#define RDSIM_AGENT_IAMAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/proc.h"
#include "lib/agentmac.h"

struct event_base;

#define IAMAUTH_PATH "/agent/v1/iam-auth"
#define IAMAUTH_SOCKET "iamauth.sock"
#define IAMAUTH_TIMEOUT_S 5
#define IAMAUTH_MAX_CONNS 32
#define IAMAUTH_MAX_REQUEST (63 + 4096 + 2)

typedef struct iamauth iamauth;

/* controlplane: "http://host:port"; module: the PAM module's absolute path
 * (NULL: pam_rdsim_iam.so beside the running executable); pam_dir: where
 * the PAM service file goes (NULL: /etc/pam.d). Strings are copied; user
 * must outlive it. */
iamauth *iamauth_new(struct event_base *base, const char *controlplane, const char *agent_id,
                     const uint8_t key[AGENTMAC_KEY_LEN], const proc_user *user,
                     const char *nodes_dir, const char *module, const char *pam_dir);
void iamauth_free(iamauth *ia);

/* One pass over the nodes: iamauth_want for each node that should have a
 * socket between iamauth_begin and iamauth_end; iamauth_end closes (and
 * unlinks) the sockets no longer wanted. */
void iamauth_begin(iamauth *ia);
void iamauth_want(iamauth *ia, const char *node_id);
void iamauth_end(iamauth *ia);

/* The PAM service file's text for module (pure; caller frees). */
char *iamauth_pam_service_text(const char *module);

/* Parses a question: "<user>\n<token>\n" in buf[0..len), user 1-63
 * printable bytes, token 1-4096 printable non-space bytes. true with
 * both NUL-terminated into user/token (buffers of 64 and 4097 bytes). */
bool iamauth_parse_question(const char *buf, size_t len, char *user, char *token);

#endif
