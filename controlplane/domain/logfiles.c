/* logfiles: see logfiles.h.
 *
 * Tables (in core/store.c's schema):
 *   log_files(node_id, name, instance_id, size, last_written_ms)
 *   log_chunks(node_id, name, offset, data)
 * Invariant: a file's size is the sum of its chunks' lengths, and its
 * chunks tile [0, size) without overlap (appends happen only at size). */
#include "controlplane/domain/logfiles.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

/* Through the store's statement cache (issue 18: these run for every
 * node's telemetry, every second); every statement goes back with
 * store_stmt_release (step_done does). */
static sqlite3_stmt *prep(region *r, const char *sql)
{
    return store_stmt_cached(r->st, sql);
}

static bool step_done(region *r, sqlite3_stmt *st)
{
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (st && rc != SQLITE_DONE)
        LOG_ERROR("sql step failed rc=%d", rc);
    store_stmt_release(r->st, st);
    return rc == SQLITE_DONE;
}

/* Bytes held of a file, -1 if the file is unknown. */
static int64_t held(region *r, const char *node_id, const char *name)
{
    sqlite3_stmt *st = prep(r, "SELECT size FROM log_files WHERE node_id=?1 AND name=?2");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    int64_t size = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    store_stmt_release(r->st, st);
    return size;
}

static bool valid_name(const char *s)
{
    return s && strncmp(s, "error/postgresql.log.", 21) == 0 && strlen(s) < 80 &&
           !strchr(s, '\'') && !strchr(s, '<');
}

static bool drop_file(region *r, const char *node_id, const char *name)
{
    sqlite3_stmt *a = prep(r, "DELETE FROM log_chunks WHERE node_id=?1 AND name=?2");
    if (a) {
        sqlite3_bind_text(a, 1, node_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 2, name, -1, SQLITE_TRANSIENT);
    }
    sqlite3_stmt *b = prep(r, "DELETE FROM log_files WHERE node_id=?1 AND name=?2");
    if (b) {
        sqlite3_bind_text(b, 1, node_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(b, 2, name, -1, SQLITE_TRANSIENT);
    }
    bool ok = step_done(r, a);
    return step_done(r, b) && ok;
}

static bool listed(const cJSON *files, const char *name)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(f, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* Files held for node_id that the agent no longer lists are dropped. */
static bool apply_listing(region *r, const char *node_id, const char *instance_id,
                          const cJSON *files)
{
    cJSON *have = logfiles_sizes(r, node_id);
    const cJSON *h;
    bool ok = true;
    cJSON_ArrayForEach(h, have)
        if (!listed(files, h->string))
            ok = drop_file(r, node_id, h->string) && ok;
    cJSON_Delete(have);
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "mtime_ms");
        if (!cJSON_IsString(n) || !valid_name(n->valuestring) || !cJSON_IsNumber(m))
            continue;
        sqlite3_stmt *st = prep(r,
            "INSERT INTO log_files(node_id,name,instance_id,size,last_written_ms)"
            " VALUES(?1,?2,?3,0,?4) ON CONFLICT(node_id,name) DO UPDATE SET"
            " last_written_ms=excluded.last_written_ms, instance_id=excluded.instance_id");
        if (!st)
            return false;
        sqlite3_bind_text(st, 1, node_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, n->valuestring, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, instance_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, (int64_t)m->valuedouble);
        ok = step_done(r, st) && ok;
    }
    return ok;
}

static bool append_chunk(region *r, const char *node_id, const cJSON *c)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(c, "offset");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, "data");
    if (!cJSON_IsString(n) || !cJSON_IsNumber(o) || !cJSON_IsString(d) || !*d->valuestring)
        return true;
    int64_t size = held(r, node_id, n->valuestring);
    if (size < 0 || (int64_t)o->valuedouble != size)
        return true; /* unknown file or not at our end: the reply resyncs the agent */
    size_t len = strlen(d->valuestring);
    sqlite3_stmt *st = prep(r, "INSERT INTO log_chunks(node_id,name,offset,data) VALUES(?1,?2,?3,?4)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, n->valuestring, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, size);
    sqlite3_bind_blob(st, 4, d->valuestring, (int)len, SQLITE_TRANSIENT);
    if (!step_done(r, st))
        return false;
    st = prep(r, "UPDATE log_files SET size=size+?3 WHERE node_id=?1 AND name=?2");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, n->valuestring, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (int64_t)len);
    return step_done(r, st);
}

bool logfiles_ingest(region *r, const char *node_id, const char *instance_id,
                     const cJSON *files, const cJSON *chunks)
{
    if (!cJSON_IsArray(files))
        return true;
    bool ok = apply_listing(r, node_id, instance_id, files);
    const cJSON *c, *list = cJSON_IsArray(chunks) ? chunks : NULL;
    cJSON_ArrayForEach(c, list)
        ok = append_chunk(r, node_id, c) && ok;
    return ok;
}

cJSON *logfiles_sizes(region *r, const char *node_id)
{
    cJSON *o = cJSON_CreateObject();
    sqlite3_stmt *st = prep(r, "SELECT name, size FROM log_files WHERE node_id=?1");
    if (!st)
        return o;
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW)
        cJSON_AddNumberToObject(o, (const char *)sqlite3_column_text(st, 0),
                                (double)sqlite3_column_int64(st, 1));
    store_stmt_release(r->st, st);
    return o;
}

bool logfiles_prune_orphans(region *r)
{
    sqlite3_stmt *a = prep(r, "DELETE FROM log_chunks WHERE node_id NOT IN (SELECT id FROM nodes)");
    sqlite3_stmt *b = prep(r, "DELETE FROM log_files WHERE node_id NOT IN (SELECT id FROM nodes)");
    bool ok = step_done(r, a);
    return step_done(r, b) && ok;
}

/* ---- portions (pure) ------------------------------------------------------ */

bool logfiles_parse_marker(const char *s, int64_t *out)
{
    return str_to_int64(s, 0, INT64_MAX, out);
}

void logfiles_window(int64_t size, bool has_marker, int64_t marker, int64_t *off, size_t *len)
{
    /* One byte past the 1 MB cap tells a line that overflows it from one
     * that ends right at it, forward and backward alike. */
    int64_t span = LOGFILES_PORTION_MAX + 1;
    if (size < 0)
        size = 0;
    if (has_marker) {
        int64_t start = marker < 0 ? 0 : marker > size ? size : marker;
        *off = start;
        *len = (size_t)(size - start < span ? size - start : span);
    } else {
        *off = size < span ? 0 : size - span;
        *len = (size_t)(size - *off);
    }
}

/* Invariant of both loops: only bytes [off, wend) are read; a line whose
 * start or end lies outside them is longer than LOGFILES_PORTION_MAX, and
 * is cut the same way whether its far end is known or not. */
void logfiles_portion_in(const char *win, int64_t off, size_t len, int64_t size, bool has_marker,
                         int64_t marker, int64_t lines, int64_t *from, int64_t *to,
                         bool *pending)
{
    const int64_t max = LOGFILES_PORTION_MAX, wend = off + (int64_t)len;
    if (has_marker) {
        int64_t start = marker < 0 ? 0 : marker > size ? size : marker;
        int64_t end = start, n = 0;
        while (end < size && end - start < max) {
            const char *nl = end >= off && end < wend
                                 ? memchr(win + (end - off), '\n', (size_t)(wend - end)) : NULL;
            int64_t next = nl ? (int64_t)(nl - win) + off + 1 : wend < size ? wend : size;
            if (next <= end)
                break; /* a window narrower than logfiles_window's: never spin */
            if (next - start > max && end > start)
                break; /* a whole line past 1 MB waits for the next call */
            end = next - start > max ? start + max : next;
            if (lines > 0 && ++n >= lines)
                break;
        }
        *from = start;
        *to = end;
        *pending = end < size;
        return;
    }
    if (lines <= 0)
        lines = LOGFILES_DEFAULT_LINES;
    int64_t start = size, n = 0;
    /* A final newline ends the last line; it does not start an empty one. */
    int64_t scan = size > off && win[size - 1 - off] == '\n' ? size - 1 : size;
    while (scan > 0 && n < lines && size - start < max) {
        int64_t i = scan;
        while (i > off && win[i - 1 - off] != '\n')
            i--;
        if (size - i > max && start < size)
            break;
        start = size - i > max ? size - max : i;
        n++;
        scan = i > 0 ? i - 1 : 0;
        if (i == 0 || i <= off)
            break;
    }
    *from = start;
    *to = size;
    *pending = false;
}

void logfiles_portion(const char *data, size_t size, bool has_marker, int64_t marker,
                      int64_t lines, size_t *from, size_t *to, bool *pending)
{
    int64_t f, t;
    logfiles_portion_in(data, 0, size, (int64_t)size, has_marker, marker, lines, &f, &t, pending);
    *from = (size_t)f;
    *to = (size_t)t;
}

/* ---- actions -------------------------------------------------------------- */

/* The instance's primary node, or false with the AWS error. */
static bool primary_of(region *r, const params *p, char **instance, char **node, awserr *err)
{
    const char *id = params_get(p, "DBInstanceIdentifier");
    if (!id || !*id)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The request must contain the parameter DBInstanceIdentifier");
    char *lower = str_lower(xstrdup(id));
    store_instance in = {0};
    bool found = false;
    store_instance_get(r->st, lower, &in, &found);
    free(lower);
    if (!found) {
        store_instance_clear(&in);
        return awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    }
    *instance = xstrdup(in.id);
    *node = in.primary_node ? xstrdup(in.primary_node) : NULL;
    store_instance_clear(&in);
    return true;
}

bool logfiles_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t last = 0, minsize = 0, max;
    if (!params_get_int(p, "FileLastWritten", 0, INT64_MAX, &last, NULL, err) ||
        !params_get_int(p, "FileSize", 0, INT64_MAX, &minsize, NULL, err) ||
        !params_get_paging(p, &max, NULL, err))
        return false;
    char *instance = NULL, *node = NULL;
    if (!primary_of(r, p, &instance, &node, err))
        return false;
    const char *contains = params_get(p, "FilenameContains");
    const char *marker = params_get(p, "Marker");
    cJSON *list = cJSON_AddArrayToObject(result, "DescribeDBLogFiles");
    sqlite3_stmt *st = prep(r, "SELECT name, last_written_ms, size FROM log_files"
                               " WHERE node_id=?1 AND name > ?2 AND last_written_ms >= ?3"
                               " AND size > ?4 AND instr(name, ?5) > 0 ORDER BY name");
    int n = 0;
    if (st && node) {
        sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, marker ? marker : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, last);
        sqlite3_bind_int64(st, 4, minsize);
        sqlite3_bind_text(st, 5, contains ? contains : "", -1, SQLITE_TRANSIENT);
        const char *last_name = NULL; /* into the last item */
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == max) {
                /* One more row exists: the page ends after the last one shown. */
                cJSON_AddStringToObject(result, "Marker", last_name);
                break;
            }
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "LogFileName", (const char *)sqlite3_column_text(st, 0));
            cJSON_AddNumberToObject(f, "LastWritten", (double)sqlite3_column_int64(st, 1));
            cJSON_AddNumberToObject(f, "Size", (double)sqlite3_column_int64(st, 2));
            cJSON_AddItemToArray(list, f);
            last_name = cJSON_GetObjectItemCaseSensitive(f, "LogFileName")->valuestring;
            n++;
        }
    }
    store_stmt_release(r->st, st);
    free(instance);
    free(node);
    return true;
}

char *logfiles_read(region *r, const char *node, const char *name, int64_t off, size_t len,
                    size_t *got)
{
    int64_t end = off + (int64_t)len;
    char *buf = xmalloc(len + 1);
    *got = 0;
    /* The chunk holding off (chunks tile the file) and the ones after it. */
    sqlite3_stmt *st = prep(r, "SELECT offset, data FROM log_chunks WHERE node_id=?1 AND name=?2"
                               " AND offset < ?4 AND offset >= (SELECT coalesce(max(offset), 0)"
                               " FROM log_chunks WHERE node_id=?1 AND name=?2 AND offset <= ?3)"
                               " ORDER BY offset");
    if (st) {
        sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, off);
        sqlite3_bind_int64(st, 4, end);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t c = sqlite3_column_int64(st, 0);
            int64_t n = sqlite3_column_bytes(st, 1);
            const char *d = sqlite3_column_blob(st, 1);
            int64_t lo = c > off ? c : off, hi = c + n < end ? c + n : end;
            if (!d || hi <= lo)
                continue;
            memcpy(buf + (lo - off), d + (lo - c), (size_t)(hi - lo));
            if ((size_t)(hi - off) > *got)
                *got = (size_t)(hi - off);
        }
        store_stmt_release(r->st, st);
    }
    buf[*got] = '\0';
    return buf;
}

/* The window of a portion request (logfiles_window) read from the store;
 * NULL if the file is unknown. *size is the bytes held of the whole file. */
static char *file_window(region *r, const char *node, const char *name, bool has_marker,
                         int64_t marker, int64_t *size, int64_t *off, size_t *got)
{
    *size = held(r, node, name);
    if (*size < 0)
        return NULL;
    size_t len;
    logfiles_window(*size, has_marker, marker, off, &len);
    return logfiles_read(r, node, name, *off, len, got);
}

bool logfiles_action_download(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t lines = 0, marker = 0;
    bool has_lines = false;
    if (!params_get_int(p, "NumberOfLines", INT32_MIN, INT32_MAX, &lines, &has_lines, err))
        return false;
    if (has_lines && lines < 1)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "NumberOfLines must be a positive number.");
    const char *m = params_get(p, "Marker");
    if (m && !logfiles_parse_marker(m, &marker))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid Marker: %s", m);
    const char *name = params_get(p, "LogFileName");
    if (!name || !*name)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The request must contain the parameter LogFileName");
    char *instance = NULL, *node = NULL;
    if (!primary_of(r, p, &instance, &node, err))
        return false;
    int64_t size = 0, off = 0;
    size_t len = 0;
    char *data = node ? file_window(r, node, name, m != NULL, marker, &size, &off, &len) : NULL;
    bool ok = data != NULL;
    if (!ok) {
        awserr_set(err, AWSERR_DB_LOG_FILE_NOT_FOUND, "DBLog File: %s, is not found on the DB "
                   "instance %s.", name, instance);
    } else {
        /* Bytes not held (a torn store) end the window: it is served as far as it goes. */
        int64_t from, to;
        bool pending;
        logfiles_portion_in(data, off, len, off + (int64_t)len < size ? off + (int64_t)len : size,
                            m != NULL, marker, has_lines ? lines : 0, &from, &to, &pending);
        pending = pending || to < size;
        data[to - off] = '\0'; /* the window may run past the portion */
        cJSON_AddStringToObject(result, "LogFileData", data + (from - off));
        char mk[32];
        snprintf(mk, sizeof mk, "%lld", (long long)to);
        cJSON_AddStringToObject(result, "Marker", mk);
        cJSON_AddBoolToObject(result, "AdditionalDataPending", pending);
    }
    free(data);
    free(instance);
    free(node);
    return ok;
}
