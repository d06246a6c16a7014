/* fdguard: see fdguard.h. */
#include "lib/fdguard.h"

#include <errno.h>
#include <sys/resource.h>

size_t fdguard_budget(unsigned share_pct, size_t lo, size_t hi)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return hi;
    size_t limit = (size_t)rl.rlim_cur;
    size_t reserve = limit / 8 > FDGUARD_RESERVE ? limit / 8 : FDGUARD_RESERVE;
    size_t avail = limit > reserve ? limit - reserve : 0;
    size_t n = avail / 100 * share_pct + avail % 100 * share_pct / 100;
    if (n < lo)
        return lo;
    return n > hi ? hi : n;
}

bool fdguard_exhausted(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}
