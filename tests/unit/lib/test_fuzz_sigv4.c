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

#include "lib/fsutil.h"
#include "lib/tap.h"

#define CORPUS "fuzz/corpus/sigv4"

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    static char *files[REPLAY_MAX_FILES];
    int n = replay_list(CORPUS, files);
    if (!ok(n >= 0, CORPUS " found (run from the repository root)"))
        return done_testing();
    ok(n >= 15, "the seed corpus is there");
    int nsigned = 0, nbroken = 0;
    for (int i = 0; i < n; i++) {
        char path[600], label[700];
        snprintf(path, sizeof path, CORPUS "/%s", files[i]);
        size_t len = 0;
        char *data = fs_read_all(path, 1 << 20, &len);
        snprintf(label, sizeof label, "corpus %s: the fuzzer's rules hold", files[i]);
        const char *why = data ? fuzz_sigv4_check((const uint8_t *)data, len) : "unreadable";
        if (!ok(why == NULL, label))
            diag("%s", why);
        bool good = has_prefix(files[i], "signed_") || has_prefix(files[i], "presigned_");
        bool broken = has_prefix(files[i], "header_") || has_prefix(files[i], "query_");
        if (data && (good || broken)) {
            fuzz_req fr;
            fuzz_req_split(&fr, (const uint8_t *)data, len);
            sigv4_auth a;
            char msg[512];
            sigv4_parse_status st = sigv4_parse(&fr.rq, &a, msg, sizeof msg);
            if (good) {
                snprintf(label, sizeof label, "corpus %s: verifies", files[i]);
                bool pass = st == SIGV4_PARSED &&
                            sigv4_verify(&fr.rq, &a, FUZZ_SIGV4_SECRET, FUZZ_SIGV4_TIME, msg,
                                         sizeof msg) == SIGV4_VERIFY_OK;
                if (!ok(pass, label))
                    diag("%s", msg);
                nsigned++;
            } else if (has_prefix(files[i], "header_bad_signature")) {
                snprintf(label, sizeof label, "corpus %s: parses, does not verify", files[i]);
                ok(st == SIGV4_PARSED &&
                       sigv4_verify(&fr.rq, &a, FUZZ_SIGV4_SECRET, FUZZ_SIGV4_TIME, msg,
                                    sizeof msg) == SIGV4_VERIFY_MISMATCH,
                   label);
                nbroken++;
            } else {
                snprintf(label, sizeof label, "corpus %s: refused as malformed", files[i]);
                if (!ok(st == SIGV4_MALFORMED && msg[0], label))
                    diag("status %d", (int)st);
                nbroken++;
            }
            free(fr.text);
        }
        free(data);
        free(files[i]);
    }
    char label[100];
    snprintf(label, sizeof label, "seeds of both kinds (%d signed, %d broken)", nsigned, nbroken);
    ok(nsigned >= 5 && nbroken >= 5, label);
    return done_testing();
}
