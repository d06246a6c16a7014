/* log: see log.h. Writes each line with one write(2) so that lines from
 * several processes sharing a log file do not interleave.
 *
 * Two bounds keep a flood from filling the disk (issue 13: a spinning
 * accept loop wrote 631 MB in 35 s):
 *  1. every call site (file:line) may write LOG_SITE_BURST lines per
 *     LOG_WINDOW_S-second window (LOG_*_RARE sites: one); the rest are
 *     counted, and the site's next line after its window reports how many
 *     were suppressed;
 *  2. with log_set_max_bytes, a stderr that is a regular file is rotated to
 *     <file>.1 (one generation) once this process has made it that big.
 * The site table is fixed-size; a site that finds no slot is not limited. */
#include "lib/log.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum {
    LOG_WINDOW_S = 10,
    LOG_SITE_BURST = 1000,
    LOG_SITES = 256,
    LOG_PROBES = 8,
};

typedef struct {
    const char *file; /* NULL: free slot */
    int line;
    long window;      /* tv_sec / LOG_WINDOW_S of the current window */
    unsigned written; /* lines written in that window */
    unsigned long suppressed;
} log_site;

static const char *log_ident = "rdsim";
static log_level log_min = LOG_LEVEL_INFO;
static log_site log_sites[LOG_SITES];
static size_t log_max_bytes;  /* 0: never rotate */
static off_t log_size = -1;   /* stderr's size as we know it; -1: not a regular file / unknown */

void log_set_ident(const char *ident) { log_ident = ident; }
void log_set_level(log_level level) { log_min = level; }

bool log_parse_level(const char *name, log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            *out = (log_level)i;
            return true;
        }
    }
    return false;
}

void log_set_max_bytes(size_t max)
{
    log_max_bytes = max;
    struct stat st;
    log_size = (max > 0 && fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode)) ? st.st_size
                                                                                     : -1;
}

/* The slot of a call site, or NULL when the table has none free nearby. */
static log_site *log_site_of(const char *file, int line)
{
    uintptr_t h = ((uintptr_t)file >> 3) * 31u + (uintptr_t)line;
    for (int i = 0; i < LOG_PROBES; i++) {
        log_site *s = &log_sites[(h + (uintptr_t)i) % LOG_SITES];
        if (s->file == file && s->line == line)
            return s;
        if (!s->file) {
            s->file = file;
            s->line = line;
            return s;
        }
    }
    return NULL;
}

/* Moves the file behind stderr to <file>.1 and reopens <file> as stderr. */
static void log_rotate(void)
{
    char path[PATH_MAX], old[PATH_MAX + 2];
    ssize_t n = readlink("/proc/self/fd/2", path, sizeof path - 1);
    if (n <= 0 || (size_t)n >= sizeof path - 1) {
        log_size = -1; /* cannot name it: stop trying */
        return;
    }
    path[n] = '\0';
    snprintf(old, sizeof old, "%s.1", path);
    int fd = -1;
    if (rename(path, old) == 0)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_size = -1;
        return;
    }
    dup2(fd, STDERR_FILENO);
    close(fd);
    log_size = 0;
}

static void log_emit(const char *buf, size_t len)
{
    ssize_t w = write(STDERR_FILENO, buf, len);
    if (w > 0 && log_size >= 0) {
        log_size += w;
        if ((size_t)log_size >= log_max_bytes)
            log_rotate();
    }
}

/* Formats "time LEVEL ident file:line " into buf; its length, or -1. */
static int log_prefix(char *buf, size_t size, const struct timeval *tv, log_level level,
                      const char *file, int line)
{
    static const char *tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    struct tm tm;
    gmtime_r(&tv->tv_sec, &tm);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    return snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s:%d ",
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                    tm.tm_sec, (long)(tv->tv_usec / 1000), tags[level], log_ident, base, line);
}

/* Whether a line of this site may be written now; reports (writes) the
 * suppressed count of the site's last window when a new one opens. */
static bool log_admit(const struct timeval *tv, log_level level, const char *file, int line,
                      unsigned burst)
{
    log_site *s = log_site_of(file, line);
    if (!s)
        return true;
    long window = (long)(tv->tv_sec / LOG_WINDOW_S);
    if (s->window != window) {
        if (s->suppressed > 0) {
            char buf[256];
            int n = log_prefix(buf, sizeof buf, tv, level, file, line);
            if (n > 0 && (size_t)n < sizeof buf) {
                int m = snprintf(buf + n, sizeof buf - (size_t)n,
                                 "log lines suppressed=%lu window_s=%d\n", s->suppressed,
                                 LOG_WINDOW_S);
                if (m > 0 && (size_t)(n + m) < sizeof buf)
                    log_emit(buf, (size_t)(n + m));
            }
        }
        s->window = window;
        s->written = 0;
        s->suppressed = 0;
    }
    if (s->written >= burst) {
        s->suppressed++;
        return false;
    }
    s->written++;
    return true;
}

static void log_vwrite(log_level level, const char *file, int line, unsigned burst,
                       const char *fmt, va_list ap)
{
    if (level < log_min)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (!log_admit(&tv, level, file, line, burst))
        return;
    char buf[2048];
    int n = log_prefix(buf, sizeof buf, &tv, level, file, line);
    if (n < 0)
        return;
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    log_emit(buf, len);
}

void log_write(log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, file, line, LOG_SITE_BURST, fmt, ap);
    va_end(ap);
}

void log_write_rare(log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, file, line, 1, fmt, ap);
    va_end(ap);
}
