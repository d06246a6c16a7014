/* test_fuzz_query: replays fuzz/corpus/query (the Query fuzzer's seeds and
 * any reproducer added there) through the fuzzer's own oracle
 * (fuzz/fuzz_query.c), and checks the seeds' known outcomes: ok_* parse,
 * bad_* are refused. Run from the repository root. */
#define FUZZ_NO_ENTRY
#include "fuzz/fuzz_query.c"
#include "fuzz/replay.h"

#include "lib/fsutil.h"
#include "lib/tap.h"

#define CORPUS "fuzz/corpus/query"

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    static char *files[REPLAY_MAX_FILES];
    int n = replay_list(CORPUS, files);
    if (!ok(n >= 0, CORPUS " found (run from the repository root)"))
        return done_testing();
    ok(n >= 25, "the seed corpus is there");
    int nok = 0, nbad = 0;
    for (int i = 0; i < n; i++) {
        char path[600], label[700];
        snprintf(path, sizeof path, CORPUS "/%s", files[i]);
        size_t len = 0;
        char *body = fs_read_all(path, QUERY_MAX_BODY + 1, &len);
        snprintf(label, sizeof label, "corpus %s: the fuzzer's rules hold", files[i]);
        const char *why = body ? fuzz_query_check((const uint8_t *)body, len) : "unreadable";
        if (!ok(why == NULL, label))
            diag("%s", why);
        if (body && (strncmp(files[i], "ok_", 3) == 0 || strncmp(files[i], "bad_", 4) == 0)) {
            bool want = files[i][0] == 'o';
            awserr e = {0};
            params *p = params_parse(body, len, &e);
            snprintf(label, sizeof label, "corpus %s: %s", files[i],
                     want ? "parses" : "is refused");
            if (!ok((p != NULL) == want, label))
                diag("%s", e.message);
            params_free(p);
            want ? nok++ : nbad++;
        }
        free(body);
        free(files[i]);
    }
    char label[100];
    snprintf(label, sizeof label, "seeds of both outcomes (%d parse, %d refused)", nok, nbad);
    ok(nok >= 10 && nbad >= 10, label);
    return done_testing();
}
