/* sigv4_verify: CPU time of what the API's auth gate does per request,
 * without the network: parse the Authorization header and verify the
 * signature (sigv4_parse + sigv4_verify: canonical request, SHA-256 of
 * the body and of the canonical request, five HMACs, constant-time
 * compare), and the access key lookup (principals_lookup: one SQLite
 * SELECT and one AES-256-GCM unseal), and the permission check
 * (principal_may: the administrator's table, and an IAM user's two
 * inline policies read from the store and evaluated). Built and run by
 * bench/sigv4.sh.
 *
 *   sigv4_verify DIR [N]   (DIR: a scratch directory; N: iterations, 20000)
 *
 * Prints "verify_us=… lookup_us=… may_us=… user_may_us=… total_us=…"
 * (total: the administrator's gate): CPU microseconds
 * per call (CLOCK_PROCESS_CPUTIME_ID), each the mean over N. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controlplane/core/principal.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/sigv4.h"
#include "lib/util.h"

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    long n = argc > 2 ? atol(argv[2]) : 20000;
    log_set_level(LOG_LEVEL_WARN);
    char *db = xasprintf("%s/bench.db", argv[1]), *master = xasprintf("%s/master.key", argv[1]);
    store *st = store_open(db);
    principals *p = st ? principals_open(st, master, "123456789012") : NULL;
    principal admin, who;
    char secret[PRINCIPAL_SECRET_LEN + 1], got[PRINCIPAL_SECRET_LEN + 1];
    if (!p || !principals_ensure(p, PRINCIPAL_ADMIN_NAME, PRINCIPAL_ADMIN, &admin, secret))
        return 1;

    /* A request as the aws CLI sends DescribeDBInstances. */
    const char *body = "Action=DescribeDBInstances&Version=2014-10-31";
    long long now = (long long)time(NULL);
    char date[17];
    sigv4_amz_date(now, date);
    sigv4_header h[6] = {
        {"Host", "127.0.0.1:8780"},
        {"Accept-Encoding", "identity"},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"User-Agent", "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux"},
        {"X-Amz-Date", date},
        {"Authorization", NULL},
    };
    sigv4_request rq = {"POST", "/", NULL, h, 5, body, strlen(body)};
    sigv4_header signed_h[4] = {h[0], h[2], h[4], {0}};
    sigv4_request to_sign = {"POST", "/", NULL, signed_h, 3, body, strlen(body)};
    sigv4_key k = {admin.access_key_id, secret, "us-east-1", "rds"};
    char *authz = sigv4_sign_authorization(&to_sign, &k, date);
    h[5].value = authz;
    rq.n_headers = 6;

    double t0 = cpu_us();
    int okc = 0;
    for (long i = 0; i < n; i++) {
        sigv4_auth a;
        okc += sigv4_parse(&rq, &a, NULL, 0) == SIGV4_PARSED &&
               sigv4_verify(&rq, &a, secret, now, NULL, 0) == SIGV4_VERIFY_OK;
    }
    double t1 = cpu_us();
    bool found = false;
    for (long i = 0; i < n; i++)
        okc += principals_lookup(p, admin.access_key_id, &who, got, &found) && found;
    double t2 = cpu_us();
    for (long i = 0; i < n; i++)
        okc += principal_may(p, &who, "rds", "DescribeDBInstances", NULL, NULL, 0);
    double t3 = cpu_us();
    /* An IAM user with an Allow rds:Describe* and a Deny on one ARN. */
    principal user = {.kind = PRINCIPAL_USER};
    snprintf(user.name, sizeof user.name, "bench");
    if (sqlite3_exec(store_sqlite(st),
                     "INSERT INTO iam_users VALUES('bench','AIDAEXAMPLEEXAMPLE12','/',1);"
                     "INSERT INTO iam_user_policies VALUES('bench','ro','{\"Version\":"
                     "\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                     "[\"rds:Describe*\",\"rds:List*\"],\"Resource\":\"*\"}]}');"
                     "INSERT INTO iam_user_policies VALUES('bench','deny','{\"Version\":"
                     "\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":"
                     "\"rds:*\",\"Resource\":\"arn:aws:rds:*:*:db:prod-*\"}]}');",
                     NULL, NULL, NULL) != SQLITE_OK)
        return 1;
    for (long i = 0; i < n; i++)
        okc += principal_may(p, &user, "rds", "DescribeDBInstances",
                             "arn:aws:rds:us-east-1:123456789012:db:shop", NULL, 0);
    double t4 = cpu_us();
    if (okc != 4 * n) {
        fprintf(stderr, "sigv4_verify: %d of %ld checks failed\n", (int)(4 * n - okc), 4 * n);
        return 1;
    }
    double v = (t1 - t0) / (double)n, l = (t2 - t1) / (double)n, m = (t3 - t2) / (double)n;
    double u = (t4 - t3) / (double)n;
    printf("verify_us=%.2f lookup_us=%.2f may_us=%.3f user_may_us=%.2f total_us=%.2f n=%ld\n", v,
           l, m, u, v + l + m, n);
    free(authz);
    principals_close(p);
    store_close(st);
    free(db);
    free(master);
    return 0;
}
