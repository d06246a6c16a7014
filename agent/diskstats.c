/* diskstats: see diskstats.h. */
#include "agent/diskstats.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/util.h"

bool dsk_parse(const char *text, const char *name, dsk_counters *out)
{
    if (!text || !name || !*name)
        return false;
    const char *line = text;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512], dev[64];
        if (len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            unsigned maj, min;
            unsigned long long f[11];
            /* major minor name, then: 1 reads 2 merged 3 sectors 4 ms reading
             * 5 writes 6 merged 7 sectors 8 ms writing 9 in progress
             * 10 ms doing I/O 11 weighted ms. */
            int k = sscanf(buf, " %u %u %63s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &maj, &min, dev, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
                           &f[7], &f[8], &f[9], &f[10]);
            if (k >= 3 && strcmp(dev, name) == 0) {
                if (k != 14)
                    return false;
                out->rd_ios = f[0], out->rd_ms = f[3];
                out->wr_ios = f[4], out->wr_ms = f[7];
                out->wtd_ms = f[10];
                return true;
            }
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return false;
}

bool dsk_device(const char *path, char *name, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    char link[128], target[512];
    snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
    ssize_t k = readlink(link, target, sizeof target - 1);
    if (k <= 0)
        return false;
    target[k] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    if (!*base || strlen(base) >= n)
        return false;
    snprintf(name, n, "%s", base);
    return true;
}

static char *dsk_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 65536, len = 0;
    char *buf = xmalloc(cap);
    size_t k;
    while (len < cap - 1 && (k = fread(buf + len, 1, cap - 1 - len, f)) > 0)
        len += k;
    fclose(f);
    buf[len] = '\0';
    return buf;
}

cJSON *dsk_read(const char *path)
{
    char dev[64];
    if (!dsk_device(path, dev, sizeof dev))
        return NULL;
    char *t = dsk_file("/proc/diskstats");
    dsk_counters c;
    bool ok = t && dsk_parse(t, dev, &c);
    free(t);
    if (!ok)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dev", dev);
    cJSON_AddNumberToObject(o, "rd_ios", (double)c.rd_ios);
    cJSON_AddNumberToObject(o, "rd_ms", (double)c.rd_ms);
    cJSON_AddNumberToObject(o, "wr_ios", (double)c.wr_ios);
    cJSON_AddNumberToObject(o, "wr_ms", (double)c.wr_ms);
    cJSON_AddNumberToObject(o, "wtd_ms", (double)c.wtd_ms);
    return o;
}
