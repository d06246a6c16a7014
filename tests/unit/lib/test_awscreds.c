/* awscreds: the INI reader, the order of the credential sources (env
 * before the shared file, the profile's section, the region's sources),
 * and a signed POST that the verifier accepts, as the controlplane's gate
 * would see it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/awscreds.h"
#include "lib/fsutil.h"
#include "lib/sigv4.h"
#include "lib/tap.h"
#include "lib/util.h"

static char dir[] = "/tmp/rdsim-awscreds-XXXXXX";

static void test_ini(void)
{
    const char *text = "[default]\naws_access_key_id = D\n\n[rdsim]\n  aws_access_key_id=K1 \n"
                       "aws_secret_access_key = S/1+x=\n[profile rdsim]\nregion = r-1\n";
    char *v = awscreds_ini_get(text, "rdsim", "aws_access_key_id");
    is_str(v, "K1", "key of [rdsim], trimmed");
    free(v);
    v = awscreds_ini_get(text, "rdsim", "aws_secret_access_key");
    is_str(v, "S/1+x=", "a value keeps its '=' and '/'");
    free(v);
    v = awscreds_ini_get(text, "default", "aws_access_key_id");
    is_str(v, "D", "[default]");
    free(v);
    v = awscreds_ini_get(text, "profile rdsim", "region");
    is_str(v, "r-1", "[profile rdsim] region");
    free(v);
    ok(awscreds_ini_get(text, "nope", "region") == NULL, "a missing section: NULL");
    ok(awscreds_ini_get(text, "rdsim", "aws_access_key") == NULL, "a key's prefix is no match");
}

static void test_sources(void)
{
    char *cred = xasprintf("%s/credentials", dir), *conf = xasprintf("%s/config", dir);
    const char *c = "[rdsim]\naws_access_key_id = AKIAFILE\naws_secret_access_key = filesecret\n";
    const char *f = "[profile rdsim]\nregion = file-region-1\n";
    fs_write_atomic(cred, c, strlen(c), 0600);
    fs_write_atomic(conf, f, strlen(f), 0600);
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    setenv("AWS_PROFILE", "rdsim", 1);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    awscreds k;
    ok(awscreds_load(&k, NULL), "the shared file's profile");
    is_str(k.access_key, "AKIAFILE", "... its key");
    is_str(k.secret, "filesecret", "... its secret");
    is_str(k.region, "file-region-1", "... the config's region for the profile");
    awscreds_clear(&k);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_REGION", "env-region-1", 1);
    ok(awscreds_load(&k, NULL), "the environment");
    is_str(k.access_key, "AKIAENV", "the environment wins over the file");
    is_str(k.region, "env-region-1", "AWS_REGION wins over the config");
    awscreds_clear(&k);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_PROFILE", "other", 1);
    ok(!awscreds_load(&k, "fb-1"), "a profile that is not in the file: no keys");
    ok(k.access_key == NULL && k.secret == NULL, "... none half-filled");
    awscreds_clear(&k);
    unsetenv("AWS_REGION");
    unsetenv("AWS_CONFIG_FILE");
    ok(awscreds_load_file(&k, cred, "rdsim", "fb-1"), "an explicit file and profile");
    is_str(k.region, "file-region-1", "... the region from the config beside it");
    awscreds_clear(&k);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    free(cred);
    free(conf);
}

static void test_signed_post(void)
{
    awscreds k = {xstrdup("AKIAEXAMPLE000000000"), xstrdup("secret"), xstrdup("us-east-1")};
    const char *body = "Action=DescribeDBInstances&Version=2014-10-31";
    const char *extra[] = {"X-Amz-Target", "TrentService.Decrypt", NULL};
    long long now = (long long)time(NULL);
    char **h = awscreds_sign_post(&k, "kms", "http://127.0.0.1:8780", "application/x-amz-json-1.1",
                                  extra, body, strlen(body), now);
    ok(h != NULL, "signed");
    is_str(h[0], "X-Amz-Target", "the extra header comes first");
    is_str(h[2], "X-Amz-Date", "then X-Amz-Date");
    is_str(h[4], "Authorization", "then Authorization");
    ok(strstr(h[5], "SignedHeaders=content-type;host;x-amz-date;x-amz-target,") != NULL,
       "content-type, host, the date and the target are signed");
    /* What the server receives: httpc's Host, Content-Type, then ours. */
    sigv4_header rx[] = {{"Host", "127.0.0.1:8780"},
                         {"Connection", "close"},
                         {"Content-Type", "application/x-amz-json-1.1"},
                         {h[0], h[1]},
                         {h[2], h[3]},
                         {h[4], h[5]}};
    sigv4_request rq = {"POST", "/", NULL, rx, 6, body, strlen(body)};
    sigv4_auth a;
    ok(sigv4_parse(&rq, &a, NULL, 0) == SIGV4_PARSED, "the server parses it");
    is_str(a.service, "kms", "scope service kms");
    is_int(sigv4_verify(&rq, &a, "secret", now, NULL, 0), SIGV4_VERIFY_OK, "and verifies it");
    awscreds_headers_free(h);
    ok(awscreds_sign_post(&k, "rds", "not a url", NULL, NULL, "", 0, now) == NULL,
       "a malformed url: NULL");
    awscreds_clear(&k);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_ini();
    test_sources();
    test_signed_post();
    fs_rm_rf(dir);
    return done_testing();
}
