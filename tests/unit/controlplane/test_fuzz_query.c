/* test_fuzz_query: replays fuzz/corpus/query (the Query fuzzer's seeds and
 * any reproducer added there) through the fuzzer's own oracle
 * (fuzz/fuzz_query.c), and checks the seeds' known outcomes: ok_* parse,
 * bad_* are refused. Run from the repository root. */
#define FUZZ_NO_ENTRY
#include "fuzz/fuzz_query.c"
#include "fuzz/replay.h"

#define CORPUS "fuzz/corpus/query"

typedef struct {
    int nok, nbad;
} counts;

/* ok_* parse, bad_* are refused. */
static void outcome(const char *name, const char *body, size_t len, void *ctx)
{
    counts *c = ctx;
    if (!body || (strncmp(name, "ok_", 3) != 0 && strncmp(name, "bad_", 4) != 0))
        return;
    bool want = name[0] == 'o';
    awserr e = {0};
    params *p = params_parse(body, len, &e);
    char label[700];
    snprintf(label, sizeof label, "corpus %s: %s", name, want ? "parses" : "is refused");
    if (!ok((p != NULL) == want, label))
        diag("%s", e.message);
    params_free(p);
    want ? c->nok++ : c->nbad++;
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    counts c = {0, 0};
    replay_corpus(CORPUS, QUERY_MAX_BODY + 1, 25, fuzz_query_check, outcome, &c);
    char label[100];
    snprintf(label, sizeof label, "seeds of both outcomes (%d parse, %d refused)", c.nok, c.nbad);
    ok(c.nok >= 10 && c.nbad >= 10, label);
    return done_testing();
}
