/* wal: see wal.h. */
#include "lib/wal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool hexdigits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static bool parse_hex32(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v * 16 + (uint64_t)d;
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return n > 0;
}

bool wal_lsn_parse(const char *s, wal_lsn *out)
{
    if (!s)
        return false;
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || slash - s > 8)
        return false;
    size_t lo_len = strlen(slash + 1);
    if (lo_len == 0 || lo_len > 8)
        return false;
    uint32_t hi = 0, lo = 0;
    if (!parse_hex32(s, (size_t)(slash - s), &hi) || !parse_hex32(slash + 1, lo_len, &lo))
        return false;
    *out = ((uint64_t)hi << 32) | lo;
    return true;
}

char *wal_lsn_format(wal_lsn lsn, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
    return buf;
}

char *wal_seg_name(uint32_t tli, uint64_t segno, char *buf, size_t size)
{
    uint64_t per = 0x100000000ULL / WAL_SEG_SIZE;
    snprintf(buf, size, "%08" PRIX32 "%08" PRIX32 "%08" PRIX32, tli, (uint32_t)(segno / per),
             (uint32_t)(segno % per));
    return buf;
}

wal_file_kind wal_file_parse(const char *name, const char *suffix, uint32_t *tli,
                             uint64_t *segno)
{
    size_t n = strlen(name);
    if (suffix) {
        size_t k = strlen(suffix);
        if (n < k || strcmp(name + n - k, suffix) != 0)
            return WAL_FILE_OTHER;
        n -= k;
    }
    if (n == 8 + strlen(".history") && hexdigits(name, 8) &&
        strncmp(name + 8, ".history", 8) == 0) {
        parse_hex32(name, 8, tli);
        return WAL_FILE_HISTORY;
    }
    bool partial = n == WAL_NAME_LEN + strlen(".partial") &&
                   strncmp(name + WAL_NAME_LEN, ".partial", 8) == 0;
    if ((n != WAL_NAME_LEN && !partial) || !hexdigits(name, WAL_NAME_LEN))
        return WAL_FILE_OTHER;
    uint32_t t = 0, hi = 0, lo = 0;
    parse_hex32(name, 8, &t);
    parse_hex32(name + 8, 8, &hi);
    parse_hex32(name + 16, 8, &lo);
    uint64_t per = 0x100000000ULL / WAL_SEG_SIZE;
    if (lo >= per)
        return WAL_FILE_OTHER;
    *tli = t;
    if (segno)
        *segno = (uint64_t)hi * per + lo;
    return partial ? WAL_FILE_PARTIAL : WAL_FILE_SEGMENT;
}

/* The LSN after `key` in text, up to the next space or end of line. */
static bool lsn_after(const char *text, const char *key, wal_lsn *out, const char **rest)
{
    const char *p = strstr(text, key);
    if (!p)
        return false;
    p += strlen(key);
    char buf[32];
    size_t n = strcspn(p, " \r\n");
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    if (rest)
        *rest = p + n;
    return wal_lsn_parse(buf, out);
}

bool wal_basebackup_points(const char *text, wal_lsn *start, wal_lsn *end, uint32_t *tli)
{
    const char *rest = NULL;
    if (!text || !lsn_after(text, "write-ahead log start point: ", start, &rest) ||
        !lsn_after(text, "write-ahead log end point: ", end, NULL))
        return false;
    const char *on = " on timeline ";
    if (strncmp(rest, on, strlen(on)) != 0)
        return false;
    char *e = NULL;
    unsigned long t = strtoul(rest + strlen(on), &e, 10);
    if (e == rest + strlen(on) || t == 0 || t > UINT32_MAX)
        return false;
    *tli = (uint32_t)t;
    return *end >= *start;
}

int64_t wal_restorable_ms(const wal_sample *samples, int n, wal_lsn sealed, int64_t prev)
{
    int64_t best = prev;
    for (int i = 0; i < n; i++)
        if (samples[i].lsn <= sealed && samples[i].t_ms > best)
            best = samples[i].t_ms;
    return best;
}
