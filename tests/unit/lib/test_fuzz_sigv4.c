/* test_fuzz_sigv4: replays fuzz/corpus/sigv4 (the SigV4 fuzzer's seeds and
 * any reproducer added there) through the fuzzer's own oracle
 * (fuzz/fuzz_sigv4.c: parse as given, then a sign/verify round trip), and
 * checks the seeds' known outcomes: signed_* and presigned_* (signed by
 * fuzz/gen_corpus.py in Python, independently of lib/sigv4.c) verify at
 * the fuzzer's time, header_* and query_* do not parse. Run from the
 * repository root. */
#define FUZZ_NO_ENTRY
#include "fuzz/fuzz_sigv4.c"
#include "fuzz/replay.h"

#define CORPUS "fuzz/corpus/sigv4"

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

typedef struct {
    int nsigned, nbroken;
} counts;

/* signed_* and presigned_* verify; header_bad_signature* parses and does
 * not verify; the other header_* and query_* are malformed. */
static void outcome(const char *name, const char *data, size_t len, void *ctx)
{
    counts *c = ctx;
    bool good = has_prefix(name, "signed_") || has_prefix(name, "presigned_");
    bool broken = has_prefix(name, "header_") || has_prefix(name, "query_");
    if (!data || !(good || broken))
        return;
    fuzz_req fr;
    fuzz_req_split(&fr, (const uint8_t *)data, len);
    sigv4_auth a;
    char msg[512], label[700];
    sigv4_parse_status st = sigv4_parse(&fr.rq, &a, msg, sizeof msg);
    if (good) {
        snprintf(label, sizeof label, "corpus %s: verifies", name);
        bool pass = st == SIGV4_PARSED &&
                    sigv4_verify(&fr.rq, &a, FUZZ_SIGV4_SECRET, FUZZ_SIGV4_TIME, msg,
                                 sizeof msg) == SIGV4_VERIFY_OK;
        if (!ok(pass, label))
            diag("%s", msg);
        c->nsigned++;
    } else if (has_prefix(name, "header_bad_signature")) {
        snprintf(label, sizeof label, "corpus %s: parses, does not verify", name);
        ok(st == SIGV4_PARSED && sigv4_verify(&fr.rq, &a, FUZZ_SIGV4_SECRET, FUZZ_SIGV4_TIME,
                                              msg, sizeof msg) == SIGV4_VERIFY_MISMATCH,
           label);
        c->nbroken++;
    } else {
        snprintf(label, sizeof label, "corpus %s: refused as malformed", name);
        if (!ok(st == SIGV4_MALFORMED && msg[0], label))
            diag("status %d", (int)st);
        c->nbroken++;
    }
    free(fr.text);
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    counts c = {0, 0};
    replay_corpus(CORPUS, 1 << 20, 15, fuzz_sigv4_check, outcome, &c);
    char label[100];
    snprintf(label, sizeof label, "seeds of both kinds (%d signed, %d broken)", c.nsigned,
             c.nbroken);
    ok(c.nsigned >= 5 && c.nbroken >= 5, label);
    return done_testing();
}
