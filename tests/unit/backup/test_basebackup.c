/* basebackup: the archive stream's messages as a hostile server could
 * send them — only one archive's data goes to the sink, and every short,
 * unterminated, unknown or out-of-order message fails the backup. */
#include <stdio.h>
#include <string.h>

#include "backup/basebackup.h"
#include "lib/tap.h"

typedef struct {
    const char *name;
    const char *msg; /* bytes, lengths below (may hold NULs) */
    size_t len;
    int archives_before;
    basebackup_msg want;
    size_t want_data; /* DATA: the payload's length */
} msg_case;

static const msg_case cases[] = {
    {"empty message", "", 0, 0, BASEBACKUP_MSG_BAD, 0},
    {"new archive", "nbase.tar\0\0", 11, 0, BASEBACKUP_MSG_SKIP, 0},
    {"new archive, path unterminated", "nbase.tar\0/x", 12, 0, BASEBACKUP_MSG_BAD, 0},
    {"new archive, name unterminated", "nbase.tar", 9, 0, BASEBACKUP_MSG_BAD, 0},
    {"new archive, type byte only", "n", 1, 0, BASEBACKUP_MSG_BAD, 0},
    {"a second archive (a tablespace)", "n16384.tar\0/ts\0", 16, 1, BASEBACKUP_MSG_BAD, 0},
    {"data of the archive", "dtar bytes", 10, 1, BASEBACKUP_MSG_DATA, 9},
    {"empty data", "d", 1, 1, BASEBACKUP_MSG_DATA, 0},
    {"data before any archive", "dtar", 4, 0, BASEBACKUP_MSG_BAD, 0},
    {"progress", "p\0\0\0\0\0\0\0\1", 9, 1, BASEBACKUP_MSG_SKIP, 0},
    {"progress, short", "p\0\0\0", 4, 1, BASEBACKUP_MSG_BAD, 0},
    {"progress, long", "p\0\0\0\0\0\0\0\0\0", 10, 1, BASEBACKUP_MSG_BAD, 0},
    {"a manifest, not asked for", "m", 1, 1, BASEBACKUP_MSG_BAD, 0},
    {"an unknown type", "zzz", 3, 1, BASEBACKUP_MSG_BAD, 0},
};

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const msg_case *c = &cases[i];
        basebackup_stream s = {.archives = c->archives_before};
        const uint8_t *data = NULL;
        size_t len = 99;
        const char *why = NULL;
        basebackup_msg m =
            basebackup_message(&s, (const uint8_t *)c->msg, c->len, &data, &len, &why);
        char name[128];
        snprintf(name, sizeof name, "%s: %s", c->name,
                 c->want == BASEBACKUP_MSG_DATA   ? "data"
                 : c->want == BASEBACKUP_MSG_SKIP ? "skipped"
                                                  : "refused");
        ok(m == c->want, name);
        if (m == BASEBACKUP_MSG_DATA) {
            snprintf(name, sizeof name, "%s: the payload after the type byte", c->name);
            ok(len == c->want_data && data == (const uint8_t *)c->msg + 1, name);
        }
        if (m == BASEBACKUP_MSG_BAD) {
            snprintf(name, sizeof name, "%s: says why", c->name);
            ok(why && why[0], name);
        }
    }
}

/* A whole well-formed stream: the data of its one archive, in order. */
static void test_stream(void)
{
    basebackup_stream s = {0};
    const char *msgs[] = {"nbase.tar\0", "dab", "p\0\0\0\0\0\0\0\2", "dcd"};
    const size_t lens[] = {11, 3, 9, 3};
    char got[8] = "";
    size_t n = 0;
    bool good = true;
    for (int i = 0; i < 4; i++) {
        const uint8_t *data = NULL;
        size_t len = 0;
        const char *why = NULL;
        basebackup_msg m = basebackup_message(&s, (const uint8_t *)msgs[i], lens[i], &data,
                                              &len, &why);
        good = good && m != BASEBACKUP_MSG_BAD;
        if (m == BASEBACKUP_MSG_DATA && n + len < sizeof got) {
            memcpy(got + n, data, len);
            n += len;
        }
    }
    got[n] = '\0';
    ok(good && strcmp(got, "abcd") == 0, "a stream's archive data in order");
}

int main(void)
{
    test_cases();
    test_stream();
    return done_testing();
}
