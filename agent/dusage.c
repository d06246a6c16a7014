/* dusage: see dusage.h. nftw keeps its state on the stack, so the running
 * total travels through a file-scope variable set and read in one call
 * (the agent is single-threaded). */
#include "agent/dusage.h"

#include <ftw.h>
#include <sys/stat.h>

static int64_t dusage_total;

static int dusage_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F || flag == FTW_D || flag == FTW_DP || flag == FTW_SL)
        dusage_total += (int64_t)st->st_blocks * 512;
    return 0; /* FTW_NS/FTW_DNR: vanished or unreadable, skipped */
}

bool dusage_bytes(const char *dir, int64_t *bytes)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    dusage_total = 0;
    if (nftw(dir, dusage_visit, 16, FTW_PHYS) != 0)
        return false;
    *bytes = dusage_total;
    return true;
}
