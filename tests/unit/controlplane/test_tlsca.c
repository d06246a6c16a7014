/* tlsca: the region's CAs made once and kept (key 0600, bundle written),
 * reloaded unchanged, refused when the key is readable by others; server
 * certificates whose chain verifies with X509_verify_cert, whose SANs are
 * the names given and match by X509_check_host, whose validity is
 * stable; the per-node cache; bad input refused. */
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/core/tlsca.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

static X509 *x509_of(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    return x;
}

/* Verifies pem against the bundle (every CA in it trusted). */
static bool chain_ok(const char *bundle, const char *pem)
{
    X509_STORE *st = X509_STORE_new();
    BIO *b = BIO_new_mem_buf(bundle, -1);
    X509 *ca;
    while ((ca = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        X509_STORE_add_cert(st, ca);
        X509_free(ca);
    }
    BIO_free(b);
    X509 *x = x509_of(pem);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    bool ok = x && X509_STORE_CTX_init(ctx, st, x, NULL) == 1 && X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_free(x);
    X509_STORE_free(st);
    return ok;
}

static void test_issue(tlsca *t, const char *ca_id, size_t len)
{
    const char *names[] = {"db1.abc.us-east-1.rds.internal", "ip-127-0-1-5.us-east-1a.us-east-1.rds.internal"};
    char *cert = NULL, *key = NULL;
    int64_t now = (int64_t)time(NULL);
    char *nm = xasprintf("%s: issue", ca_id);
    ok(tlsca_issue(t, ca_id, names, 2, "127.0.1.5", now, &cert, &key), nm);
    free(nm);
    nm = xasprintf("%s: chain verifies with X509_verify_cert", ca_id);
    ok(cert && chain_ok(tlsca_bundle(t, NULL), cert), nm);
    free(nm);
    X509 *x = cert ? x509_of(cert) : NULL;
    nm = xasprintf("%s: endpoint and node name match the SANs", ca_id);
    ok(x && X509_check_host(x, names[0], 0, 0, NULL) == 1 &&
           X509_check_host(x, names[1], 0, 0, NULL) == 1,
       nm);
    free(nm);
    nm = xasprintf("%s: another name does not match", ca_id);
    ok(x && X509_check_host(x, "other.abc.us-east-1.rds.internal", 0, 0, NULL) != 1, nm);
    free(nm);
    nm = xasprintf("%s: the IP matches", ca_id);
    ok(x && X509_check_ip_asc(x, "127.0.1.5", 0) == 1, nm);
    free(nm);
    nm = xasprintf("%s: the key is the certificate's", ca_id);
    BIO *b = BIO_new_mem_buf(key ? key : "", -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    ok(x && k && X509_check_private_key(x, k) == 1, nm);
    free(nm);
    const tlsca_info *ca = tlsca_find(t, ca_id);
    struct tm tm;
    nm = xasprintf("%s: notAfter is the stable ValidTill, within the CA, after now", ca_id);
    int64_t till = x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1 ? (int64_t)timegm(&tm) : 0;
    ok(ca && till == tlsca_server_valid_till(ca, now) && till == tlsca_server_valid_till(ca, now + 60) &&
           till <= ca->valid_till_s && till > now,
       nm);
    free(nm);
    (void)len;
    EVP_PKEY_free(k);
    X509_free(x);
    free(cert);
    free(key);
}

static void test_cache(tlsca *t)
{
    const char *a[] = {"db1.x.us-east-1.rds.internal"};
    const char *b[] = {"db2.x.us-east-1.rds.internal"};
    const char *c1, *k1, *c2, *k2, *c3, *k3;
    int64_t now = (int64_t)time(NULL);
    ok(tlsca_node_cert(t, "n1", TLSCA_DEFAULT, a, 1, NULL, now, &c1, &k1), "cache: first issue");
    char *save = xstrdup(c1);
    ok(tlsca_node_cert(t, "n1", TLSCA_DEFAULT, a, 1, NULL, now, &c2, &k2) && strcmp(save, c2) == 0,
       "cache: same names, same certificate");
    ok(tlsca_node_cert(t, "n1", TLSCA_DEFAULT, b, 1, NULL, now, &c3, &k3) && strcmp(save, c3) != 0,
       "cache: other names, a new certificate");
    ok(tlsca_node_cert(t, "n1", "rds-ca-ecc384-g1", b, 1, NULL, now, &c3, &k3) &&
           chain_ok(tlsca_bundle(t, NULL), c3),
       "cache: another CA, a new certificate that verifies");
    char *ecc = xstrdup(c3);
    tlsca_node_forget(t, "n1");
    ok(tlsca_node_cert(t, "n1", "rds-ca-ecc384-g1", b, 1, NULL, now, &c2, &k2) &&
           strcmp(c2, ecc) != 0,
       "forgotten: issued anew");
    free(ecc);
    tlsca_node_forget(t, "nope");
    tlsca_node_forget(NULL, "n1");
    free(save);
}

static void test_refusals(tlsca *t)
{
    const char *bad[] = {"evil\nname"};
    const char *good[] = {"db.example"};
    char *c = NULL, *k = NULL;
    ok(!tlsca_issue(t, "rds-ca-2019", good, 1, NULL, 0, &c, &k) && !c && !k, "unknown CA refused");
    ok(!tlsca_issue(t, TLSCA_DEFAULT, bad, 1, NULL, 0, &c, &k), "a name with a newline refused");
    ok(!tlsca_issue(t, TLSCA_DEFAULT, good, 0, NULL, 0, &c, &k), "no name refused");
    ok(!tlsca_issue(t, TLSCA_DEFAULT, good, 1, "1.2.3", 0, &c, &k), "a bad IP refused");
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    char tmpl[] = "/tmp/test_tlsca.XXXXXX";
    const char *home = mkdtemp(tmpl);
    char *certs = xasprintf("%s/certs", home);
    tlsca *t = tlsca_open(home, certs);
    ok(t != NULL, "open makes the CAs");
    if (!t)
        return done_testing();
    ok(tlsca_count(t) == 2 && tlsca_find(t, "rds-ca-rsa2048-g1") && tlsca_find(t, "rds-ca-ecc384-g1"),
       "two CAs, named as RDS names them");
    struct stat st;
    char *kp = xasprintf("%s/ca/%s.key", home, TLSCA_DEFAULT);
    char *bp = xasprintf("%s/certs/global-bundle.pem", home);
    ok(stat(kp, &st) == 0 && (st.st_mode & 0777) == 0600, "CA key is 0600");
    size_t blen = 0;
    char *bundle = fs_read_all(bp, 1 << 20, &blen);
    size_t len = 0;
    const char *mem = tlsca_bundle(t, &len);
    ok(bundle && blen == len && memcmp(bundle, mem, len) == 0, "bundle file is the bundle");
    ok(stat(bp, &st) == 0 && (st.st_mode & 0777) == 0644, "bundle is readable (0644)");
    const tlsca_info *i0 = tlsca_at(t, 0);
    ok(strlen(i0->thumbprint) == 40 && i0->valid_till_s - i0->valid_from_s > 39LL * 365 * 86400,
       "thumbprint and a long validity");
    char thumb[41];
    memcpy(thumb, i0->thumbprint, sizeof thumb);
    test_issue(t, "rds-ca-rsa2048-g1", len);
    test_issue(t, "rds-ca-ecc384-g1", len);
    test_cache(t);
    test_refusals(t);
    tlsca_free(t);
    t = tlsca_open(home, certs);
    ok(t && strcmp(tlsca_at(t, 0)->thumbprint, thumb) == 0, "reopened: the same CA");
    tlsca_free(t);
    chmod(kp, 0644);
    t = tlsca_open(home, certs);
    ok(t == NULL, "a CA key others can read is refused");
    tlsca_free(t);
    free(bundle);
    free(kp);
    free(bp);
    free(certs);
    fs_rm_rf(home);
    return done_testing();
}
