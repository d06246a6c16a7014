/* pistore: see pistore.h.
 *
 * Invariants:
 *  1. Every text column of pi_keys and pi_sql went through pi_text_clean
 *     (valid UTF-8, bounded): replies built from them stay valid JSON.
 *  2. A (key, t, span) has one row: a second recorded twice (a sampler
 *     restarted within the second) adds to it; folding adds the minute's
 *     seconds to the minute's row and deletes them in one statement pair,
 *     run in the caller's transaction. */
#include "controlplane/obs/pistore.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- text ---- */

/* The length of the valid UTF-8 sequence at s[0..avail), 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c >= 0x01 && c < 0x80)
        return 1;
    size_t n;
    unsigned int min, cp;
    if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0; /* NUL, a continuation byte, or 0xF8.. */
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

char *pi_text_clean(const char *s, size_t len, size_t max)
{
    static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
    sbuf b = {0};
    sbuf_puts(&b, "");
    const unsigned char *u = (const unsigned char *)s;
    size_t used = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u + i, len - i);
        const char *piece = n ? s + i : repl;
        size_t plen = n ? n : 3;
        if (used + plen > max - 1)
            break;
        sbuf_append(&b, piece, plen);
        used += plen;
        i += n ? n : 1;
    }
    return sbuf_take(&b);
}

void pi_sql_id(const char *query_id, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(query_id, strlen(query_id), md, &mdlen, EVP_sha1(), NULL) || mdlen != 20) {
        snprintf(out, 41, "%040d", 0);
        return;
    }
    for (unsigned int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02X", md[i]);
}

/* ---- writing ---- */

/* The id of the instance's key, made if new; 0 on failure. */
static int64_t key_id(store *st, const char *rid, const pi_sample *s)
{
    sqlite3_stmt *q = sqlrow_prepare(
        st, "INSERT INTO pi_keys(resource_id, wait_type, wait_event, sql_id, usr, host, db)"
            " VALUES(?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET db = excluded.db RETURNING id");
    if (!q)
        return 0;
    const char *v[] = {rid, s->wait_type, s->wait_event, s->sql_id, s->user, s->host, s->db};
    for (int i = 0; i < 7; i++)
        sqlrow_bind_text(q, i + 1, v[i] ? v[i] : "");
    int64_t id = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    else
        LOG_ERROR("pi key not stored err=\"%s\"", sqlite3_errmsg(store_sqlite(st)));
    sqlite3_finalize(q);
    return id;
}

bool pi_store_record(store *st, const char *rid, int64_t t, const pi_sample *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i].n <= 0)
            continue;
        int64_t id = key_id(st, rid, &s[i]);
        if (id == 0)
            return false;
        sqlite3_stmt *q = sqlrow_prepare(st, "INSERT INTO pi_samples(key_id, t, span, n)"
                                             " VALUES(?,?,1,?) ON CONFLICT DO UPDATE"
                                             " SET n = n + excluded.n");
        if (!q)
            return false;
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, t);
        sqlite3_bind_int64(q, 3, s[i].n);
        if (!sqlrow_run(q))
            return false;
    }
    return true;
}

bool pi_store_sql_put(store *st, const char *rid, const char *sql_id, const char *query_id,
                      const char *text)
{
    sqlite3_stmt *q = sqlrow_prepare(st, "INSERT OR REPLACE INTO pi_sql(resource_id, sql_id,"
                                         " query_id, statement) VALUES(?,?,?,?)");
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, rid);
    sqlrow_bind_text(q, 2, sql_id);
    sqlrow_bind_text(q, 3, query_id);
    sqlrow_bind_text(q, 4, text);
    return sqlrow_run(q);
}

bool pi_store_sql_get(store *st, const char *rid, const char *sql_id, char **text,
                      char **query_id)
{
    *text = *query_id = NULL;
    sqlite3_stmt *q = sqlrow_prepare(
        st, "SELECT statement, query_id FROM pi_sql WHERE resource_id = ? AND sql_id = ?");
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, rid);
    sqlrow_bind_text(q, 2, sql_id);
    bool found = sqlite3_step(q) == SQLITE_ROW;
    if (found) {
        *text = sqlrow_text(q, 0);
        *query_id = sqlrow_text(q, 1);
    }
    sqlite3_finalize(q);
    return found && *text && *query_id;
}

/* Runs sql with rid bound at 1 and the integers a, b at 2 and 3. */
static bool run3(store *st, const char *sql, const char *rid, int64_t a, int64_t b)
{
    sqlite3_stmt *q = sqlrow_prepare(st, sql);
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, rid);
    sqlite3_bind_int64(q, 2, a);
    sqlite3_bind_int64(q, 3, b);
    return sqlrow_run(q);
}

#define PI_OF_RID "key_id IN (SELECT id FROM pi_keys WHERE resource_id = ?1)"

bool pi_store_prune(store *st, const char *rid, int64_t now_s, int64_t retention_days)
{
    /* Whole minutes only: a minute still being sampled stays per second. */
    int64_t fine_before = (now_s - PI_FINE_SECONDS) / 60 * 60;
    int64_t keep_from = now_s - retention_days * 86400;
    return run3(st,
                "INSERT INTO pi_samples(key_id, t, span, n)"
                " SELECT key_id, t / 60 * 60, 60, sum(n) FROM pi_samples"
                " WHERE " PI_OF_RID " AND span = 1 AND t < ?2 GROUP BY key_id, t / 60"
                " ON CONFLICT DO UPDATE SET n = n + excluded.n",
                rid, fine_before, 0) &&
           run3(st, "DELETE FROM pi_samples WHERE " PI_OF_RID " AND span = 1 AND t < ?2", rid,
                fine_before, 0) &&
           run3(st, "DELETE FROM pi_samples WHERE " PI_OF_RID " AND t < ?2", rid, keep_from,
                0) &&
           /* Keys and texts no count refers to any more. */
           run3(st,
                "DELETE FROM pi_keys WHERE resource_id = ?1 AND ?2 = ?3 AND NOT EXISTS"
                " (SELECT 1 FROM pi_samples s WHERE s.key_id = pi_keys.id)",
                rid, 0, 0) &&
           run3(st,
                "DELETE FROM pi_sql WHERE resource_id = ?1 AND ?2 = ?3 AND NOT EXISTS"
                " (SELECT 1 FROM pi_keys k WHERE k.resource_id = ?1 AND k.sql_id ="
                " pi_sql.sql_id)",
                rid, 0, 0);
}

bool pi_store_forget(store *st, const char *rid)
{
    return run3(st, "DELETE FROM pi_samples WHERE " PI_OF_RID " AND ?2 = ?3", rid, 0, 0) &&
           run3(st, "DELETE FROM pi_keys WHERE resource_id = ?1 AND ?2 = ?3", rid, 0, 0) &&
           run3(st, "DELETE FROM pi_sql WHERE resource_id = ?1 AND ?2 = ?3", rid, 0, 0);
}

/* ---- reading ---- */

static const char *const col_names[PI_COL_COUNT] = {"wait_type", "wait_event", "sql_id",
                                                    "usr",       "host",       "db"};

int pi_store_query(store *st, const char *rid, const pi_col *cols, int ncols,
                   const pi_filter *f, int nf, int64_t start, int64_t end, int64_t period,
                   pi_row **out)
{
    *out = NULL;
    if (ncols < 0 || ncols > 2 || period <= 0)
        return -1;
    /* Column names come from col_names only; every value is bound. */
    sbuf b = {0};
    sbuf_puts(&b, "SELECT ");
    for (int i = 0; i < ncols; i++)
        sbuf_printf(&b, "k.%s, ", col_names[cols[i]]);
    sbuf_puts(&b, "(s.t - ?2) / ?4, sum(s.n) FROM pi_keys k JOIN pi_samples s ON s.key_id = k.id"
                  " WHERE k.resource_id = ?1 AND s.t >= ?2 AND s.t < ?3");
    for (int i = 0; i < ncols; i++)
        if (cols[i] == PI_COL_SQL_ID)
            sbuf_puts(&b, " AND k.sql_id <> ''");
    for (int i = 0; i < nf; i++)
        sbuf_printf(&b, " AND k.%s = ?%d", col_names[f[i].col], 5 + i);
    sbuf_puts(&b, " GROUP BY ");
    for (int i = 0; i < ncols; i++)
        sbuf_printf(&b, "%d, ", i + 1);
    sbuf_printf(&b, "%d", ncols + 1);
    char *sql = sbuf_take(&b);
    sqlite3_stmt *q = sqlrow_prepare(st, sql);
    free(sql);
    if (!q)
        return -1;
    sqlrow_bind_text(q, 1, rid);
    sqlite3_bind_int64(q, 2, start);
    sqlite3_bind_int64(q, 3, end);
    sqlite3_bind_int64(q, 4, period);
    for (int i = 0; i < nf; i++)
        sqlrow_bind_text(q, 5 + i, f[i].value);
    int n = 0, cap = 0, rc;
    pi_row *rows = NULL;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = xrealloc(rows, (size_t)cap * sizeof *rows);
        }
        pi_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        for (int i = 0; i < ncols; i++)
            r->k[i] = sqlrow_text(q, i);
        r->bucket = sqlite3_column_int64(q, ncols);
        r->sum = sqlite3_column_int64(q, ncols + 1);
    }
    if (rc != SQLITE_DONE) {
        LOG_ERROR("pi query failed err=\"%s\"", sqlite3_errmsg(store_sqlite(st)));
        sqlite3_finalize(q);
        pi_rows_free(rows, n);
        return -1;
    }
    sqlite3_finalize(q);
    *out = rows;
    return n;
}

void pi_rows_free(pi_row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].k[0]);
        free(rows[i].k[1]);
    }
    free(rows);
}

/* ---- periods ---- */

static const int64_t periods[] = {1, 60, 300, 3600, 86400};

bool pi_period_valid(int64_t p)
{
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (p == periods[i])
            return true;
    return false;
}

int64_t pi_period_default(int64_t start, int64_t end)
{
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if ((end - start + periods[i] - 1) / periods[i] <= 200)
            return periods[i];
    return 86400;
}

/* Floor division for a positive divisor (times before 1970 stay aligned). */
static int64_t floor_div(int64_t a, int64_t d)
{
    int64_t q = a / d;
    return (a % d != 0 && a < 0) ? q - 1 : q;
}

void pi_period_align(int64_t start, int64_t end, int64_t period, int64_t *astart,
                     int64_t *aend)
{
    *astart = floor_div(start, period) * period;
    *aend = -floor_div(-end, period) * period;
}
