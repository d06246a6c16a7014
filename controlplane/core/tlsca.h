/* tlsca: the region's certificate authorities and the server certificates
 * of its nodes (issue 14, item 3), with OpenSSL's libcrypto.
 *
 * Like RDS, the region has named CAs: rds-ca-rsa2048-g1 (RSA 2048,
 * SHA-256; the default for new instances) and rds-ca-ecc384-g1 (P-384,
 * SHA-384). Each is made once, with the region, under <home>/ca/: the key
 * <id>.key (mode 0600, root's: it never leaves these files) and the
 * self-signed certificate <id>.pem. The bundle of both certificates is
 * <certs>/global-bundle.pem (0644; scripts/region.sh: $RDS_HOME/certs),
 * the file the API serves at /global/global-bundle.pem (RDS's truststore
 * path).
 *
 * A node's server certificate is signed by its instance's CA: CN the
 * instance endpoint, subjectAltName every name a client dials (the
 * endpoint, the public endpoint, the node's own DNS name) and the node's
 * IP, so libpq's sslmode=verify-full accepts it whichever node is the
 * primary. Its key (P-256 under both CAs: made in well under a
 * millisecond on the event loop, where RSA 2048 takes tens) is made here and kept in memory only, per node: it travels to the agent
 * sealed under the agent's key (view/nodespec.c), and a restarted
 * controlplane issues new ones (the agent reloads PostgreSQL). The
 * validity of a server certificate is a year from an anniversary of its
 * CA, so CertificateDetails.ValidTill does not move with each issue.
 *
 * Invariants:
 *  1. A CA key file is created O_EXCL mode 0600 before anything is signed
 *     with it; a key file of another mode, or unreadable, is refused.
 *  2. A CA whose files are missing is made anew; one whose key does not
 *     match its certificate is refused (the region does not start). */
#ifndef RDSIM_TLSCA_H
#define RDSIM_TLSCA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSCA_DEFAULT "rds-ca-rsa2048-g1"
#define TLSCA_BUNDLE_PATH "/global/global-bundle.pem"
#define TLSCA_MAX_NAMES 8

typedef struct tlsca tlsca;

typedef struct {
    const char *id;         /* "rds-ca-rsa2048-g1" */
    char thumbprint[41];    /* SHA-1 of the DER certificate, lowercase hex (RDS's Thumbprint) */
    int64_t valid_from_s;   /* epoch seconds */
    int64_t valid_till_s;
} tlsca_info;

/* Loads the CAs under home/ca, making each that is missing, and writes
 * certs/global-bundle.pem (certs made 0755 if missing). NULL (logged) when a file cannot be
 * written or read, a key file is not 0600, or a key and its certificate
 * disagree. */
tlsca *tlsca_open(const char *home, const char *certs);
void tlsca_free(tlsca *t);

/* The CAs, in a stable order (i < tlsca_count). */
size_t tlsca_count(const tlsca *t);
const tlsca_info *tlsca_at(const tlsca *t, size_t i);
/* The CA named id, or NULL. */
const tlsca_info *tlsca_find(const tlsca *t, const char *id);
/* The PEM bundle (every CA certificate), NUL-terminated, owned by t. */
const char *tlsca_bundle(const tlsca *t, size_t *len);

/* The notAfter of a server certificate issued now_s under ca (see the top). */
int64_t tlsca_server_valid_till(const tlsca_info *ca, int64_t now_s);

/* Issues a server certificate under CA ca_id for the DNS names (the first
 * is the CN; 1..TLSCA_MAX_NAMES) and ip (dotted IPv4, or NULL). *cert_pem
 * and *key_pem (PKCS#8) are malloc'd, the caller's (wipe the key). false
 * (logged) for an unknown CA, a bad name or an OpenSSL failure. */
bool tlsca_issue(tlsca *t, const char *ca_id, const char *const *names, size_t nnames,
                 const char *ip, int64_t now_s, char **cert_pem, char **key_pem);

/* tlsca_issue through a cache per node_id: the same (ca_id, names, ip) as
 * the last call for node_id gives the same certificate and key (owned by
 * t, valid until the next call for node_id); anything else issues anew.
 * false (logged) as tlsca_issue. */
bool tlsca_node_cert(tlsca *t, const char *node_id, const char *ca_id,
                     const char *const *names, size_t nnames, const char *ip, int64_t now_s,
                     const char **cert_pem, const char **key_pem);

/* Drops node_id's cached certificate and key (the node's row is gone); a
 * later tlsca_node_cert issues anew. t NULL or an unknown id: nothing. */
void tlsca_node_forget(tlsca *t, const char *node_id);

#endif
