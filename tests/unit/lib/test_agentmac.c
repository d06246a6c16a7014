/* Unit tests for lib/agentmac: the agent channel's MAC (wrong key,
 * truncated, tampered, replay, expired) and the sealing of secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/agentmac.h"
#include "lib/tap.h"
#include "lib/util.h"

static const char KEY_HEX[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char BODY[] = "{\"agent_id\":\"us-east-1a\",\"nodes\":[]}";
#define NOW 1790000000000LL

static agentmac_result check(const uint8_t *key, const char *path, const char *id,
                             const char *time, const char *nonce, const char *body,
                             const char *sig, int64_t now, agentmac_replay *c)
{
    return agentmac_verify(key, AGENTMAC_REQUEST, "POST", path, id, time, nonce, body,
                           strlen(body), sig, now, c);
}

int main(void)
{
    uint8_t key[32], other[32];
    ok(agentmac_key_parse(KEY_HEX, strlen(KEY_HEX), key), "a key of 64 hex digits parses");
    ok(agentmac_key_parse("0001020304050607080900a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 65,
                          other) == false,
       "65 digits are refused");
    ok(!agentmac_key_parse(KEY_HEX, 62, other), "a truncated key is refused");
    memcpy(other, key, 32);
    other[31] ^= 1;

    ok(agentmac_id_valid("us-east-1a"), "an AZ name is a valid agent id");
    ok(!agentmac_id_valid("../etc") && !agentmac_id_valid("") && !agentmac_id_valid("a/b"),
       "ids with '/', '.' or empty are refused");

    char nonce[AGENTMAC_NONCE_HEX + 1], n2[AGENTMAC_NONCE_HEX + 1], t[24], sig[AGENTMAC_SIG_HEX + 1];
    agentmac_nonce(nonce);
    agentmac_nonce(n2);
    ok(strlen(nonce) == 32 && strcmp(nonce, n2) != 0, "nonces are 32 hex digits and differ");
    agentmac_time(NOW, t);
    agentmac_sign(key, AGENTMAC_REQUEST, "POST", "/agent/v1/heartbeat", "us-east-1a", t, nonce,
                  BODY, strlen(BODY), sig);
    const char *P = "/agent/v1/heartbeat";

    agentmac_replay *c = agentmac_replay_new(4);
    is_int(check(key, P, "us-east-1a", t, nonce, BODY, sig, NOW + 5, c), AGENTMAC_OK,
           "a good request verifies");
    is_int(check(key, P, "us-east-1a", t, nonce, BODY, sig, NOW + 10, c), AGENTMAC_REPLAY,
           "the same request again is a replay");
    is_int(check(other, P, "us-east-1a", t, n2, BODY, sig, NOW, c), AGENTMAC_BAD_SIGNATURE,
           "wrong key");
    char trunc[AGENTMAC_SIG_HEX + 1];
    snprintf(trunc, sizeof trunc, "%.63s", sig);
    is_int(check(key, P, "us-east-1a", t, n2, BODY, trunc, NOW, c), AGENTMAC_MALFORMED,
           "a truncated signature");
    is_int(check(key, P, "us-east-1a", t, n2, "{\"agent_id\":\"us-east-1b\",\"nodes\":[]}", sig,
                 NOW, c),
           AGENTMAC_BAD_SIGNATURE, "body tampered");
    is_int(check(key, P, "us-east-1b", t, n2, BODY, sig, NOW, c), AGENTMAC_BAD_SIGNATURE,
           "another agent id");
    is_int(check(key, "/agent/v1/telemetry", "us-east-1a", t, n2, BODY, sig, NOW, c),
           AGENTMAC_BAD_SIGNATURE, "another path");
    is_int(agentmac_verify(key, AGENTMAC_REPLY, "POST", P, "us-east-1a", t, n2, BODY, strlen(BODY),
                           sig, NOW, c),
           AGENTMAC_BAD_SIGNATURE, "a request's signature is no reply's");
    char t2[24];
    agentmac_time(NOW + 1, t2);
    is_int(check(key, P, "us-east-1a", t2, nonce, BODY, sig, NOW, c), AGENTMAC_BAD_SIGNATURE,
           "another time");
    is_int(check(key, P, "us-east-1a", t, nonce, BODY, sig, NOW + AGENTMAC_WINDOW_MS + 1, c),
           AGENTMAC_EXPIRED, "a replay after the window is expired");
    is_int(check(key, P, "us-east-1a", t, nonce, BODY, sig, NOW - AGENTMAC_WINDOW_MS - 1, c),
           AGENTMAC_EXPIRED, "a time far in the future is refused");
    is_int(check(key, P, "us-east-1a", t, NULL, BODY, sig, NOW, c), AGENTMAC_MISSING,
           "no nonce");
    is_int(check(key, P, "us-east-1a", "12x", nonce, BODY, sig, NOW, c), AGENTMAC_MALFORMED,
           "a time that is no number");
    char upper[AGENTMAC_SIG_HEX + 1];
    for (int i = 0; i <= AGENTMAC_SIG_HEX; i++)
        upper[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
    ok(strcmp(upper, sig) != 0, "(an upper-case spelling differs)");
    is_int(check(key, P, "us-east-1a", t, n2, BODY, upper, NOW, c), AGENTMAC_BAD_SIGNATURE,
           "only the lower-case spelling");

    /* The cache fails closed when full. */
    for (int i = 0; i < 4; i++) {
        char nn[AGENTMAC_NONCE_HEX + 1], s[AGENTMAC_SIG_HEX + 1];
        agentmac_nonce(nn);
        agentmac_sign(key, AGENTMAC_REQUEST, "POST", P, "us-east-1a", t, nn, BODY, strlen(BODY), s);
        agentmac_result r = check(key, P, "us-east-1a", t, nn, BODY, s, NOW, c);
        if (i < 3)
            is_int(r, AGENTMAC_OK, "fresh nonce accepted");
        else
            is_int(r, AGENTMAC_BUSY, "a full replay cache refuses");
    }
    agentmac_replay_free(c);

    /* A reply binds the request's nonce. */
    char rs[AGENTMAC_SIG_HEX + 1];
    agentmac_sign(key, AGENTMAC_REPLY, "200", P, "us-east-1a", t, nonce, BODY, strlen(BODY), rs);
    is_int(agentmac_verify(key, AGENTMAC_REPLY, "200", P, "us-east-1a", t, nonce, BODY,
                           strlen(BODY), rs, NOW, NULL),
           AGENTMAC_OK, "a reply verifies against its request's nonce");
    is_int(agentmac_verify(key, AGENTMAC_REPLY, "200", P, "us-east-1a", t, n2, BODY, strlen(BODY),
                           rs, NOW, NULL),
           AGENTMAC_BAD_SIGNATURE, "and not against another request's");

    /* Sealing. */
    char *s = agentmac_seal(key, "n1/master_password", "p@ss'w\"rd");
    ok(strncmp(s, "v1:", 3) == 0 && !strstr(s, "p@ss"), "sealed, no plaintext");
    char *o = agentmac_open(key, "n1/master_password", s);
    is_str(o, "p@ss'w\"rd", "opens with the same key and label");
    free(o);
    ok(agentmac_open(other, "n1/master_password", s) == NULL, "not with another key");
    ok(agentmac_open(key, "n2/master_password", s) == NULL, "not with another label");
    s[10] = s[10] == '0' ? '1' : '0';
    ok(agentmac_open(key, "n1/master_password", s) == NULL, "not when tampered");
    s[strlen(s) - 2] = '\0';
    ok(agentmac_open(key, "n1/master_password", s) == NULL, "not when truncated");
    ok(agentmac_open(key, "x", "v1:zz") == NULL && agentmac_open(key, "x", "") == NULL,
       "garbage does not open");
    free(s);
    char *e = agentmac_seal(key, "l", "");
    o = agentmac_open(key, "l", e);
    is_str(o, "", "an empty value round-trips");
    free(o);
    free(e);

    /* Key files: 0600 only. */
    char dir[] = "/tmp/rdsim-mac-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/a.key", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", KEY_HEX);
    fclose(f);
    chmod(path, 0644);
    uint8_t loaded[32];
    char err[300];
    ok(!agentmac_key_load(path, loaded, err, sizeof err) && strstr(err, "chmod 600"),
       "a key file others can read is refused");
    chmod(path, 0600);
    ok(agentmac_key_load(path, loaded, err, sizeof err) && memcmp(loaded, key, 32) == 0,
       "a 0600 key file loads");
    unlink(path);
    ok(!agentmac_key_load(path, loaded, err, sizeof err), "a missing key file is refused");
    free(path);
    rmdir(dir);
    return done_testing();
}
