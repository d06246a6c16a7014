/* replay: the unit tests' side of the fuzzers. Lists the files of a seed
 * corpus directory (sorted, dot files skipped) and reads each, so a test
 * can run a fuzzer's oracle over every seed and every reproducer added
 * there. Header-only (static functions): included by the replay tests
 * next to the fuzz target they include. Run from the repository root. */
#ifndef RDSIM_FUZZ_REPLAY_H
#define RDSIM_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/tap.h"

#define REPLAY_MAX_FILES 4096

static int replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names of dir, sorted, into names (caller frees each); the
 * count, or -1 when dir cannot be opened. */
static int replay_list(const char *dir, char *names[REPLAY_MAX_FILES])
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < REPLAY_MAX_FILES)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof names[0], replay_cmp);
    return n;
}

/* What a replay test checks of one file beyond the oracle (by its name's
 * known outcome); data is NULL when the file could not be read. */
typedef void (*replay_visit)(const char *name, const char *data, size_t len, void *ctx);

/* Replays every file of dir (at most max bytes each) through the fuzzer's
 * oracle, one TAP test per file, then hands it to visit (may be NULL).
 * Also checks that dir is there and holds at least min_files seeds. */
static void replay_corpus(const char *dir, size_t max, int min_files,
                          const char *(*check)(const uint8_t *, size_t), replay_visit visit,
                          void *ctx)
{
    static char *files[REPLAY_MAX_FILES];
    char label[700];
    int n = replay_list(dir, files);
    snprintf(label, sizeof label, "%s found (run from the repository root)", dir);
    if (!ok(n >= 0, label))
        return;
    ok(n >= min_files, "the seed corpus is there");
    for (int i = 0; i < n; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        size_t len = 0;
        char *data = fs_read_all(path, max, &len);
        snprintf(label, sizeof label, "corpus %s: the fuzzer's rules hold", files[i]);
        const char *why = data ? check((const uint8_t *)data, len) : "unreadable";
        if (!ok(why == NULL, label))
            diag("%s", why);
        if (visit)
            visit(files[i], data, len, ctx);
        free(data);
        free(files[i]);
    }
}

#endif
