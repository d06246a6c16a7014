/* sigv4: AWS's published Signature Version 4 test suite (sigv4_vectors.inc,
 * from awslabs/aws-c-auth): for every case the canonical request, the
 * header-form signature our signer computes, the suite's signed request
 * accepted by the verifier, and the same for the presigned-query form;
 * then the verifier's refusals: wrong secret, tampered body and header,
 * skew both ways, presigned expiry, and malformed Authorization headers. */
#include <stdlib.h>
#include <string.h>

#include "lib/sigv4.h"
#include "lib/tap.h"
#include "lib/util.h"

typedef struct {
    const char *name;
    const char *header_signed;
    const char *query_signed;
    const char *canonical;
    const char *query_canonical;
    const char *signature;
    const char *query_signature;
} vector;

static const vector vectors[] = {
#include "tests/unit/lib/sigv4_vectors.inc"
};

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0 1440938160 /* 2015-08-30T12:36:00Z */
#define MAXH 32

/* A request parsed from the suite's text form; owns its strings. */
typedef struct {
    char *text;
    char *method, *path, *query;
    sigv4_header h[MAXH];
    size_t nh;
    char *body;
    sigv4_request rq;
} parsed;

static void parse_request(const char *text, parsed *p)
{
    memset(p, 0, sizeof *p);
    p->text = xstrdup(text);
    char *line_end = strchr(p->text, '\n');
    *line_end = '\0';
    char *http = strstr(p->text, " HTTP/1.1");
    *http = '\0';
    char *sp = strchr(p->text, ' ');
    *sp = '\0';
    p->method = p->text;
    p->path = sp + 1;
    char *q = strchr(p->path, '?');
    if (q) {
        *q = '\0';
        p->query = q + 1;
    }
    char *l = line_end + 1;
    while (*l && *l != '\n') {
        char *e = strchr(l, '\n');
        if (e)
            *e = '\0';
        char *colon = strchr(l, ':');
        *colon = '\0';
        p->h[p->nh].name = l;
        p->h[p->nh].value = colon + 1;
        p->nh++;
        l = e ? e + 1 : l + strlen(l);
    }
    p->body = *l == '\n' ? l + 1 : l;
    p->rq = (sigv4_request){.method = p->method, .path = p->path, .query = p->query,
                            .headers = p->h, .n_headers = p->nh, .body = p->body,
                            .body_len = strlen(p->body)};
}

static void parsed_free(parsed *p)
{
    free(p->text);
}

static void test_vector(const vector *v)
{
    char name[200];
    const sigv4_key key = {"AKIDEXAMPLE", SECRET, "us-east-1", "service"};
    parsed p;
    parse_request(v->header_signed, &p);
    sigv4_auth a;
    char why[512];
    snprintf(name, sizeof name, "%s: header form parses", v->name);
    if (!ok(sigv4_parse(&p.rq, &a, why, sizeof why) == SIGV4_PARSED, name))
        printf("# %s\n", why);
    char *cr = sigv4_canonical_request(&p.rq, a.signed_headers, false);
    snprintf(name, sizeof name, "%s: canonical request", v->name);
    is_str(cr, v->canonical, name);
    free(cr);
    snprintf(name, sizeof name, "%s: the suite's signed request verifies", v->name);
    is_int(sigv4_verify(&p.rq, &a, SECRET, T0 + 30, why, sizeof why), SIGV4_VERIFY_OK, name);
    /* Sign again: every header but Authorization is what the suite signed. */
    sigv4_request unsigned_rq = p.rq;
    sigv4_header hs[MAXH];
    size_t n = 0;
    for (size_t i = 0; i < p.nh; i++)
        if (strcasecmp(p.h[i].name, "Authorization") != 0)
            hs[n++] = p.h[i];
    unsigned_rq.headers = hs;
    unsigned_rq.n_headers = n;
    char *authz = sigv4_sign_authorization(&unsigned_rq, &key, "20150830T123600Z");
    snprintf(name, sizeof name, "%s: our header signature", v->name);
    ok(strstr(authz, v->signature) != NULL, name);
    free(authz);
    parsed_free(&p);

    if (!*v->query_signed)
        return;
    parse_request(v->query_signed, &p);
    snprintf(name, sizeof name, "%s: presigned form parses", v->name);
    ok(sigv4_parse(&p.rq, &a, why, sizeof why) == SIGV4_PARSED && a.presigned, name);
    cr = sigv4_canonical_request(&p.rq, a.signed_headers, true);
    snprintf(name, sizeof name, "%s: presigned canonical request", v->name);
    is_str(cr, v->query_canonical, name);
    free(cr);
    snprintf(name, sizeof name, "%s: the suite's presigned request verifies", v->name);
    is_int(sigv4_verify(&p.rq, &a, SECRET, T0 + 3000, why, sizeof why), SIGV4_VERIFY_OK, name);
    snprintf(name, sizeof name, "%s: presigned, refused past X-Amz-Expires", v->name);
    is_int(sigv4_verify(&p.rq, &a, SECRET, T0 + 3601, why, sizeof why), SIGV4_VERIFY_EXPIRED,
           name);
    parsed_free(&p);
}

/* A request our signer made, then changed in one way. */
static void test_refusals(void)
{
    const sigv4_key key = {"AKIAEXAMPLE123456789", "s3cr3t", "local-1", "rds"};
    const char *body = "Action=DescribeDBInstances&Version=2014-10-31";
    char date[17];
    sigv4_amz_date(T0, date);
    sigv4_header h[4] = {{"Host", "127.0.0.1:8780"},
                         {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                         {"X-Amz-Date", date},
                         {"Authorization", NULL}};
    sigv4_request rq = {"POST", "/", NULL, h, 3, body, strlen(body)};
    char *authz = sigv4_sign_authorization(&rq, &key, date);
    h[3].value = authz;
    rq.n_headers = 4;
    sigv4_auth a;
    char why[512];
    ok(sigv4_parse(&rq, &a, why, sizeof why) == SIGV4_PARSED, "own request parses");
    is_str(a.access_key, "AKIAEXAMPLE123456789", "access key read");
    is_str(a.region, "local-1", "region read");
    is_str(a.service, "rds", "service read");
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0, why, sizeof why), SIGV4_VERIFY_OK,
           "own request verifies");
    is_int(sigv4_verify(&rq, &a, "s3cr3T", T0, why, sizeof why), SIGV4_VERIFY_MISMATCH,
           "wrong secret: mismatch");
    ok(strstr(why, "does not match") != NULL, "mismatch message is AWS's");
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0 + 301, why, sizeof why), SIGV4_VERIFY_EXPIRED,
           "5 min + 1 s late: expired");
    ok(strstr(why, "Signature expired") != NULL, "expired message is AWS's");
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0 - 301, why, sizeof why), SIGV4_VERIFY_EXPIRED,
           "5 min + 1 s early: refused");
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0 + 299, why, sizeof why), SIGV4_VERIFY_OK,
           "within 5 min: fine");
    const char *tampered = "Action=DeleteDBInstance&Version=2014-10-31";
    rq.body = tampered;
    rq.body_len = strlen(tampered);
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0, why, sizeof why), SIGV4_VERIFY_MISMATCH,
           "tampered body: mismatch");
    rq.body = body;
    rq.body_len = strlen(body);
    h[1].value = "application/json";
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0, why, sizeof why), SIGV4_VERIFY_MISMATCH,
           "tampered signed header: mismatch");
    h[1].value = "application/x-www-form-urlencoded; charset=utf-8";
    h[2].value = "20150830T123601Z";
    ok(sigv4_parse(&rq, &a, why, sizeof why) == SIGV4_PARSED, "re-dated request parses");
    is_int(sigv4_verify(&rq, &a, "s3cr3t", T0, why, sizeof why), SIGV4_VERIFY_MISMATCH,
           "replayed with a new X-Amz-Date: mismatch");
    h[2].value = date;
    free(authz);

    /* Presigned: our own, then expired, then tampered. */
    sigv4_header hh[1] = {{"Host", "127.0.0.1:8780"}};
    sigv4_request pr = {"GET", "/", "Action=DescribeDBInstances", hh, 1, NULL, 0};
    char *q = sigv4_presign_query(&pr, &key, date, 900);
    pr.query = q;
    ok(sigv4_parse(&pr, &a, why, sizeof why) == SIGV4_PARSED && a.presigned,
       "own presigned URL parses");
    is_int(a.expires, 900, "X-Amz-Expires read");
    is_int(sigv4_verify(&pr, &a, "s3cr3t", T0 + 899, why, sizeof why), SIGV4_VERIFY_OK,
           "presigned, within 15 min: fine");
    is_int(sigv4_verify(&pr, &a, "s3cr3t", T0 + 901, why, sizeof why), SIGV4_VERIFY_EXPIRED,
           "presigned, past 15 min: expired");
    char *q2 = xasprintf("%s&Extra=1", q);
    pr.query = q2;
    ok(sigv4_parse(&pr, &a, why, sizeof why) == SIGV4_PARSED, "presigned + extra param parses");
    is_int(sigv4_verify(&pr, &a, "s3cr3t", T0, why, sizeof why), SIGV4_VERIFY_MISMATCH,
           "presigned with an added parameter: mismatch");
    free(q2);
    free(q);
}

static void test_malformed(void)
{
    static const struct {
        const char *name;
        const char *authz;
        const char *xdate;
        sigv4_parse_status want;
        const char *why_has;
    } cases[] = {
        {"no authentication at all", NULL, "20150830T123600Z", SIGV4_ABSENT, ""},
        {"Basic scheme", "Basic dXNlcjpwYXNz", "20150830T123600Z", SIGV4_MALFORMED,
         "algorithm"},
        {"algorithm only", "AWS4-HMAC-SHA256 ", "20150830T123600Z", SIGV4_MALFORMED,
         "'Credential' 'SignedHeaders' 'Signature' parameters"},
        {"no Signature",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date",
         "20150830T123600Z", SIGV4_MALFORMED, "'Signature' parameter."},
        {"credential missing the terminator",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds, SignedHeaders=host;x-amz-date, "
         "Signature=00",
         "20150830T123600Z", SIGV4_MALFORMED, "Credential is malformed"},
        {"credential with a bad date",
         "AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         "20150830T123600Z", SIGV4_MALFORMED, "Credential is malformed"},
        {"empty key id",
         "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         "20150830T123600Z", SIGV4_MALFORMED, "Credential is malformed"},
        {"host not signed",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=x-amz-date, Signature=00",
         "20150830T123600Z", SIGV4_MALFORMED, "'Host'"},
        {"date not signed",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host, Signature=00",
         "20150830T123600Z", SIGV4_MALFORMED, "X-Amz-Date must be a signed header"},
        {"no date header",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         NULL, SIGV4_MALFORMED, "'X-Amz-Date' or a 'Date'"},
        {"malformed X-Amz-Date",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         "2015-08-30T12:36:00Z", SIGV4_MALFORMED, "YYYYMMDD"},
        {"X-Amz-Date in the year 835 (prints with three digits; found by fuzz_sigv4)",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         "08350120T123600Z", SIGV4_MALFORMED, "YYYYMMDD"},
        {"X-Amz-Date on a day that does not exist",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         "20150231T123600Z", SIGV4_MALFORMED, "YYYYMMDD"},
        {"upper-case signed header names",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=Host;X-Amz-Date, Signature=00",
         "20150830T123600Z", SIGV4_MALFORMED, "'SignedHeaders'"},
        {"well formed (a bad signature is the verifier's)",
         "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/rds/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=00",
         "20150830T123600Z", SIGV4_PARSED, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sigv4_header h[3];
        size_t n = 0;
        h[n++] = (sigv4_header){"Host", "localhost"};
        if (cases[i].xdate)
            h[n++] = (sigv4_header){"X-Amz-Date", cases[i].xdate};
        if (cases[i].authz)
            h[n++] = (sigv4_header){"Authorization", cases[i].authz};
        sigv4_request rq = {"POST", "/", NULL, h, n, "", 0};
        sigv4_auth a;
        char why[512];
        sigv4_parse_status st = sigv4_parse(&rq, &a, why, sizeof why);
        is_int(st, cases[i].want, cases[i].name);
        if (!ok(strstr(why, cases[i].why_has) != NULL, "  ... and says why"))
            printf("# why: %s\n", why);
    }
    /* Presigned with parts missing or out of range. */
    sigv4_header h[1] = {{"Host", "localhost"}};
    static const char *const bad_q[] = {
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Frds%2F"
        "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=00",
        "X-Amz-Algorithm=HMAC-MD5&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Frds%2F"
        "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=00",
    };
    for (size_t i = 0; i < 3; i++) {
        sigv4_request rq = {"GET", "/", bad_q[i], h, 1, NULL, 0};
        sigv4_auth a;
        char name[64];
        snprintf(name, sizeof name, "malformed presigned query %zu refused", i);
        is_int(sigv4_parse(&rq, &a, NULL, 0), SIGV4_MALFORMED, name);
    }
}

int main(void)
{
    size_t n = sizeof vectors / sizeof vectors[0];
    ok(n >= 8, "at least eight suite cases");
    for (size_t i = 0; i < n; i++)
        test_vector(&vectors[i]);
    test_refusals();
    /* Every amz date that parses prints back as the same text. */
    static const char *const dates[] = {"20150830T123600Z", "19700101T000000Z",
                                        "99991231T235959Z", "20240229T000000Z"};
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        int64_t t = 0;
        char back[17] = "";
        bool read_ok = sigv4_parse_amz_date(dates[i], &t);
        sigv4_amz_date(t, back);
        char name[80];
        snprintf(name, sizeof name, "amz date %s parses and prints back", dates[i]);
        ok(read_ok && strcmp(back, dates[i]) == 0, name);
    }
    int64_t t0 = 0;
    ok(!sigv4_parse_amz_date("20230229T000000Z", &t0) &&
           !sigv4_parse_amz_date("00010101T000000Z", &t0),
       "amz dates that do not exist or print otherwise are refused");
    test_malformed();
    return done_testing();
}
