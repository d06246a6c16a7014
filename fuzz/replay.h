/* replay: the unit tests' side of the fuzzers. Lists the files of a seed
 * corpus directory (sorted, dot files skipped) and reads each, so a test
 * can run a fuzzer's oracle over every seed and every reproducer added
 * there. Header-only (static functions): included by the replay tests
 * next to the fuzz target they include. Run from the repository root. */
#ifndef RDSIM_FUZZ_REPLAY_H
#define RDSIM_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

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

#endif
