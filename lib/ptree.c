/* ptree: see ptree.h. */
#include "lib/ptree.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

pid_t ptree_ppid_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "re");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: the
     * fields after it start after its last ')'. */
    const char *close = strrchr(buf, ')');
    int ppid = 0;
    char st;
    if (!close || sscanf(close + 1, " %c %d", &st, &ppid) != 2)
        return 0;
    return (pid_t)ppid;
}

int ptree_children(pid_t parent, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d))) {
        int64_t pid;
        if (str_to_int64(e->d_name, 2, INT_MAX, &pid) && ptree_ppid_of((pid_t)pid) == parent)
            out[n++] = (pid_t)pid;
    }
    closedir(d);
    return n;
}

bool ptree_signal_server(pid_t postmaster, int sig, pid_t *out, int max, int *nout)
{
    /* Children listed before the postmaster is signalled (a killed one
     * loses them to reparenting at once) and again after (a stopped one
     * may have forked in between: it forks nothing more). */
    pid_t kids[PTREE_MAX];
    int n = ptree_children(postmaster, kids, PTREE_MAX / 2);
    bool ok = kill(-postmaster, sig) == 0 || kill(postmaster, sig) == 0;
    int saved = errno;
    pid_t more[PTREE_MAX / 2];
    int m = ptree_children(postmaster, more, PTREE_MAX / 2);
    for (int i = 0; i < m; i++) {
        bool seen = false;
        for (int j = 0; j < n && !seen; j++)
            seen = kids[j] == more[i];
        if (!seen)
            kids[n++] = more[i];
    }
    ptree_signal_list(kids, n, sig);
    if (out && nout) {
        *nout = n < max ? n : max;
        memcpy(out, kids, (size_t)*nout * sizeof *out);
    }
    errno = saved;
    return ok;
}

void ptree_signal_list(const pid_t *pids, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 1)
            kill(pids[i], sig);
}
