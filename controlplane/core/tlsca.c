/* tlsca: the region's CAs and its nodes' server certificates. See tlsca.h. */
#include "controlplane/core/tlsca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

#define YEAR_S (365LL * 86400)

typedef struct {
    const char *id;
    bool ec;          /* P-384 (else RSA 2048) */
    /* The server keys it signs: "P-256", or NULL for RSA 2048 as RDS's
     * rsa2048 CA issues. P-256 for both: an RSA key takes tens of ms to
     * make, on the event loop, once per node after each start. */
    const char *leaf;
} ca_kind;

static const ca_kind kinds[] = {
    {"rds-ca-rsa2048-g1", false, "P-256"},
    {"rds-ca-ecc384-g1", true, "P-256"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef struct {
    char *node_id, *fp; /* fp: ca_id, names and ip, joined */
    char *cert, *key;
} node_entry;

struct tlsca {
    tlsca_info info[NKINDS];
    EVP_PKEY *key[NKINDS];
    X509 *cert[NKINDS];
    char *bundle;
    size_t bundle_len;
    node_entry *nodes;
    size_t nnodes;
};

static void log_ssl(const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    LOG_ERROR("tls: %s failed err=%s", what, e ? buf : "none");
    ERR_clear_error();
}

static EVP_PKEY *key_new(bool ec, const char *curve)
{
    EVP_PKEY *k = ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve)
                     : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!k)
        log_ssl("key generation");
    return k;
}

static char *pem_of(X509 *x, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    bool ok = x ? PEM_write_bio_X509(b, x) == 1
                : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1;
    char *out = NULL;
    if (ok) {
        char *p;
        long n = BIO_get_mem_data(b, &p);
        out = xstrndup(p, (size_t)n);
    } else {
        log_ssl("PEM write");
    }
    BIO_free(b);
    return out;
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    if (!ok)
        log_ssl("certificate extension");
    return ok;
}

static const EVP_MD *md_of(bool ec)
{
    return ec ? EVP_sha384() : EVP_sha256();
}

/* A random positive 64-bit serial. */
static bool set_serial(X509 *x)
{
    unsigned char r[8];
    if (RAND_bytes(r, sizeof r) != 1)
        return false;
    r[0] &= 0x7f;
    r[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(r, sizeof r, NULL);
    bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    return ok;
}

static X509 *ca_make(const ca_kind *k, EVP_PKEY *key, int64_t now_s)
{
    time_t now = (time_t)now_s;
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);
    bool ok = X509_set_version(x, 2) && set_serial(x) &&
              X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                                         (const unsigned char *)"Amazon Web Services, Inc. (rdsim)", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"RDS", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                         (const unsigned char *)k->id, -1, -1, 0) &&
              X509_set_issuer_name(x, n) &&
              X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) &&
              X509_time_adj_ex(X509_getm_notAfter(x), 40 * 365, 0, &now) &&
              X509_set_pubkey(x, key) &&
              add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
              add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") &&
              add_ext(x, x, NID_subject_key_identifier, "hash") &&
              X509_sign(x, key, md_of(k->ec)) > 0;
    if (!ok) {
        log_ssl("CA certificate");
        X509_free(x);
        return NULL;
    }
    return x;
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static void info_fill(tlsca_info *in, const char *id, X509 *x)
{
    in->id = id;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha1(), md, &n);
    for (unsigned int i = 0; i < n && i < 20; i++)
        snprintf(in->thumbprint + 2 * i, 3, "%02x", md[i]);
    in->valid_from_s = asn1_epoch(X509_get0_notBefore(x));
    in->valid_till_s = asn1_epoch(X509_get0_notAfter(x));
}

/* Writes a new CA's key (O_EXCL, 0600: invariant 1) then its certificate. */
static bool ca_create(const char *dir, const ca_kind *k, EVP_PKEY **key, X509 **cert)
{
    char *kpath = xasprintf("%s/%s.key", dir, k->id);
    char *cpath = xasprintf("%s/%s.pem", dir, k->id);
    bool ok = false;
    char *kp = NULL, *cp = NULL;
    *key = key_new(k->ec, "P-384");
    *cert = *key ? ca_make(k, *key, (int64_t)time(NULL)) : NULL;
    if (!*cert)
        goto done;
    kp = pem_of(NULL, *key);
    cp = pem_of(*cert, NULL);
    unlink(kpath); /* a key without its certificate is worthless */
    int fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || !kp || !cp) {
        LOG_ERROR("tls: cannot create CA key path=%s err=%s", kpath, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto done;
    }
    size_t len = strlen(kp);
    ok = write(fd, kp, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    ok = ok && fs_write_atomic(cpath, cp, strlen(cp), 0644);
    if (ok)
        LOG_INFO("tls: created CA id=%s path=%s", k->id, cpath);
done:
    if (kp)
        OPENSSL_cleanse(kp, strlen(kp));
    free(kp);
    free(cp);
    free(kpath);
    free(cpath);
    return ok;
}

/* Loads a CA's key and certificate; false (logged) if either is bad. */
static bool ca_load(const char *dir, const ca_kind *k, EVP_PKEY **key, X509 **cert, bool *missing)
{
    char *kpath = xasprintf("%s/%s.key", dir, k->id);
    char *cpath = xasprintf("%s/%s.pem", dir, k->id);
    bool ok = false;
    *missing = false;
    struct stat st;
    if (lstat(kpath, &st) != 0 || lstat(cpath, &st) != 0) {
        *missing = errno == ENOENT;
        if (!*missing)
            LOG_ERROR("tls: cannot stat CA files id=%s err=%s", k->id, strerror(errno));
        goto done;
    }
    if (lstat(kpath, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        LOG_ERROR("tls: CA key is not a private regular file path=%s", kpath);
        goto done;
    }
    FILE *f = fopen(kpath, "r");
    *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(cpath, "r");
    *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    ok = *key && *cert && X509_check_private_key(*cert, *key) == 1;
    if (!ok)
        LOG_ERROR("tls: CA key and certificate unreadable or disagree id=%s", k->id);
done:
    free(kpath);
    free(cpath);
    return ok;
}

tlsca *tlsca_open(const char *home, const char *certs)
{
    tlsca *t = xcalloc(1, sizeof *t);
    char *dir = xasprintf("%s/ca", home);
    char *bpath = xasprintf("%s/global-bundle.pem", certs);
    bool ok = fs_mkdir_p(dir, 0700) && chmod(dir, 0700) == 0 && fs_mkdir_p(certs, 0755);
    sbuf b = {0};
    for (size_t i = 0; ok && i < NKINDS; i++) {
        bool missing = false;
        ok = ca_load(dir, &kinds[i], &t->key[i], &t->cert[i], &missing);
        if (!ok && missing)
            ok = ca_create(dir, &kinds[i], &t->key[i], &t->cert[i]);
        if (!ok)
            break;
        info_fill(&t->info[i], kinds[i].id, t->cert[i]);
        char *pem = pem_of(t->cert[i], NULL);
        sbuf_printf(&b, "%s", pem ? pem : "");
        free(pem);
    }
    t->bundle = sbuf_take(&b);
    t->bundle_len = strlen(t->bundle);
    ok = ok && fs_write_atomic(bpath, t->bundle, t->bundle_len, 0644);
    free(dir);
    free(bpath);
    if (!ok) {
        tlsca_free(t);
        return NULL;
    }
    return t;
}

static void node_entry_clear(node_entry *e)
{
    free(e->node_id);
    free(e->fp);
    free(e->cert);
    if (e->key)
        OPENSSL_cleanse(e->key, strlen(e->key));
    free(e->key);
}

void tlsca_free(tlsca *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < NKINDS; i++) {
        EVP_PKEY_free(t->key[i]);
        X509_free(t->cert[i]);
    }
    for (size_t i = 0; i < t->nnodes; i++)
        node_entry_clear(&t->nodes[i]);
    free(t->nodes);
    free(t->bundle);
    free(t);
}

size_t tlsca_count(const tlsca *t)
{
    (void)t;
    return NKINDS;
}

const tlsca_info *tlsca_at(const tlsca *t, size_t i)
{
    return i < NKINDS ? &t->info[i] : NULL;
}

static int ca_index(const char *id)
{
    for (size_t i = 0; id && i < NKINDS; i++)
        if (strcmp(kinds[i].id, id) == 0)
            return (int)i;
    return -1;
}

const tlsca_info *tlsca_find(const tlsca *t, const char *id)
{
    int i = ca_index(id);
    return i < 0 ? NULL : &t->info[i];
}

const char *tlsca_bundle(const tlsca *t, size_t *len)
{
    if (len)
        *len = t->bundle_len;
    return t->bundle;
}

int64_t tlsca_server_valid_till(const tlsca_info *ca, int64_t now_s)
{
    int64_t from = ca->valid_from_s;
    int64_t years = now_s > from ? (now_s - from) / YEAR_S + 1 : 1;
    int64_t till = from + years * YEAR_S;
    return till < ca->valid_till_s ? till : ca->valid_till_s;
}

/* [a-z0-9.-], 1..253: what the region's names are made of. */
static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static char *san_of(const char *const *names, size_t nnames, const char *ip)
{
    sbuf b = {0};
    for (size_t i = 0; i < nnames; i++)
        sbuf_printf(&b, "%sDNS:%s", i ? "," : "", names[i]);
    if (ip)
        sbuf_printf(&b, ",IP:%s", ip);
    return sbuf_take(&b);
}

bool tlsca_issue(tlsca *t, const char *ca_id, const char *const *names, size_t nnames,
                 const char *ip, int64_t now_s, char **cert_pem, char **key_pem)
{
    *cert_pem = *key_pem = NULL;
    int ci = ca_index(ca_id);
    struct in_addr a;
    bool valid = ci >= 0 && nnames >= 1 && nnames <= TLSCA_MAX_NAMES &&
                 (!ip || inet_pton(AF_INET, ip, &a) == 1);
    for (size_t i = 0; valid && i < nnames; i++)
        valid = name_ok(names[i]);
    if (!valid) {
        LOG_ERROR("tls: refused to issue ca=%s names=%zu", ca_id ? ca_id : "(null)", nnames);
        return false;
    }
    const ca_kind *k = &kinds[ci];
    EVP_PKEY *key = key_new(k->leaf != NULL, k->leaf);
    if (!key)
        return false;
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);
    char *san = san_of(names, nnames, ip);
    time_t now = (time_t)now_s;
    int64_t till = tlsca_server_valid_till(&t->info[ci], now_s);
    bool ok = X509_set_version(x, 2) && set_serial(x) &&
              X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)names[0],
                                         -1, -1, 0) &&
              X509_set_issuer_name(x, X509_get_subject_name(t->cert[ci])) &&
              X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) &&
              X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)(till - now_s), &now) &&
              X509_set_pubkey(x, key) &&
              add_ext(x, t->cert[ci], NID_basic_constraints, "critical,CA:FALSE") &&
              add_ext(x, t->cert[ci], NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
              add_ext(x, t->cert[ci], NID_ext_key_usage, "serverAuth") &&
              add_ext(x, t->cert[ci], NID_authority_key_identifier, "keyid:always") &&
              add_ext(x, t->cert[ci], NID_subject_alt_name, san) &&
              X509_sign(x, t->key[ci], md_of(k->ec)) > 0;
    if (ok) {
        *cert_pem = pem_of(x, NULL);
        *key_pem = pem_of(NULL, key);
        ok = *cert_pem && *key_pem;
    } else {
        log_ssl("server certificate");
    }
    free(san);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

void tlsca_node_forget(tlsca *t, const char *node_id)
{
    for (size_t i = 0; t && i < t->nnodes; i++) {
        if (strcmp(t->nodes[i].node_id, node_id) != 0)
            continue;
        node_entry_clear(&t->nodes[i]);
        t->nodes[i] = t->nodes[--t->nnodes];
        return;
    }
}

bool tlsca_node_cert(tlsca *t, const char *node_id, const char *ca_id,
                     const char *const *names, size_t nnames, const char *ip, int64_t now_s,
                     const char **cert_pem, const char **key_pem)
{
    sbuf b = {0};
    sbuf_printf(&b, "%s|%s", ca_id ? ca_id : "", ip ? ip : "");
    for (size_t i = 0; i < nnames; i++)
        sbuf_printf(&b, "|%s", names[i] ? names[i] : "");
    char *fp = sbuf_take(&b);
    node_entry *e = NULL;
    for (size_t i = 0; i < t->nnodes && !e; i++)
        if (strcmp(t->nodes[i].node_id, node_id) == 0)
            e = &t->nodes[i];
    if (e && strcmp(e->fp, fp) == 0) {
        free(fp);
        *cert_pem = e->cert;
        *key_pem = e->key;
        return true;
    }
    char *cert, *key;
    if (!tlsca_issue(t, ca_id, names, nnames, ip, now_s, &cert, &key)) {
        free(fp);
        return false;
    }
    if (!e) {
        t->nodes = xrealloc(t->nodes, (t->nnodes + 1) * sizeof *t->nodes);
        e = &t->nodes[t->nnodes++];
        e->node_id = xstrdup(node_id);
    } else {
        free(e->fp);
        free(e->cert);
        OPENSSL_cleanse(e->key, strlen(e->key));
        free(e->key);
    }
    e->fp = fp;
    e->cert = cert;
    e->key = key;
    LOG_INFO("tls: issued server certificate node=%s ca=%s cn=%s", node_id, ca_id, names[0]);
    *cert_pem = e->cert;
    *key_pem = e->key;
    return true;
}
