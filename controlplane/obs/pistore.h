/* pistore: Performance Insights' data in the store, and the pure rules
 * around it (what a sample is, how hostile text is kept, how periods
 * align).
 *
 * An instance's load is kept as counts of active sessions per key, a key
 * being one (wait event type, wait event, SQL id, user, host, database)
 * (table pi_keys, one row per distinct key and instance); counts per
 * second (span 1) for the last hour, per minute (span 60, the sum of the
 * minute's seconds) after that, until the instance's retention ends (table
 * pi_samples). A statement's text is kept once per SQL id (pi_sql).
 *
 * Everything a sample holds came from the tenant's server (user and
 * database names, client addresses, SQL text): it is cleaned by
 * pi_text_clean before it is stored (valid UTF-8, bounded), bound as data
 * in every statement, and never interpreted.
 *
 * Functions that touch the store log their failures and return false (or
 * -1); the caller's transaction is the caller's. */
#ifndef RDSIM_PISTORE_H
#define RDSIM_PISTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;

#define PI_SQL_MAX 65536    /* bytes of a statement's text kept (GetDimensionKeyDetails) */
#define PI_SQL_SHORT 4096   /* bytes of it DescribeDimensionKeys shows, as RDS */
#define PI_NAME_MAX 256     /* bytes of a user, database, host or wait name kept */
#define PI_FINE_SECONDS 3600 /* per-second counts are kept this long, then per minute */

/* One key's active sessions at one second. */
typedef struct {
    char *wait_type;  /* "CPU" when the session waits on nothing */
    char *wait_event; /* "CPU" likewise */
    char *sql_id;     /* pi_sql_id of the query id, "" when the session has none */
    char *user;
    char *host;       /* the client's address, "local" for a unix socket */
    char *db;
    int64_t n;
} pi_sample;

/* s[0..len) as a new NUL-terminated string of at most max bytes: valid
 * UTF-8 (each byte of a malformed sequence and each NUL becomes U+FFFD),
 * cut only at a character boundary. Control characters are kept: JSON
 * escapes them and HTML must escape them where it shows them. max >= 4. */
char *pi_text_clean(const char *s, size_t len, size_t max);

/* The SQL id RDS shows (db.sql.id): 40 upper-case hex digits, the SHA-1
 * of the query id's decimal text. out holds 41 bytes. */
void pi_sql_id(const char *query_id, char out[41]);

/* Adds the samples of second t (region clock, seconds) of the instance
 * with DbiResourceId rid. Samples with n <= 0 are skipped. */
bool pi_store_record(store *st, const char *rid, int64_t t, const pi_sample *s, size_t n);

/* Keeps text (already cleaned) as the statement of sql_id. */
bool pi_store_sql_put(store *st, const char *rid, const char *sql_id, const char *query_id,
                      const char *text);

/* The statement and query id of sql_id, new strings; false when unknown. */
bool pi_store_sql_get(store *st, const char *rid, const char *sql_id, char **text,
                      char **query_id);

/* Folds the instance's per-second counts older than now - PI_FINE_SECONDS
 * into per-minute counts, and drops every count older than retention
 * days. */
bool pi_store_prune(store *st, const char *rid, int64_t now_s, int64_t retention_days);

/* Drops every count and text of the instance (PI turned off). */
bool pi_store_forget(store *st, const char *rid);

/* ---- reading ---- */

/* The key columns a query can group or filter by. */
typedef enum {
    PI_COL_WAIT_TYPE,
    PI_COL_WAIT_EVENT,
    PI_COL_SQL_ID,
    PI_COL_USER,
    PI_COL_HOST,
    PI_COL_DB,
    PI_COL_COUNT
} pi_col;

typedef struct {
    pi_col col;
    const char *value;
} pi_filter;

/* One group's sum of session counts in one bucket. */
typedef struct {
    char *k[2];     /* the group's column values (NULL past ncols) */
    int64_t bucket; /* (t - start) / period */
    int64_t sum;    /* session-seconds */
} pi_row;

/* The sums of session counts of the instance with start <= t < end, by
 * bucket of `period` seconds and by the values of cols[0..ncols) (ncols
 * 0..2), keeping only keys whose columns equal every filter. Returns the
 * number of rows (*out malloc'd, free with pi_rows_free), -1 on failure.
 * Rows with an empty SQL id are left out when grouping by PI_COL_SQL_ID. */
int pi_store_query(store *st, const char *rid, const pi_col *cols, int ncols,
                   const pi_filter *f, int nf, int64_t start, int64_t end, int64_t period,
                   pi_row **out);
void pi_rows_free(pi_row *rows, int n);

/* ---- periods ---- */

/* true when p is one of PI's periods: 1, 60, 300, 3600, 86400. */
bool pi_period_valid(int64_t p);
/* The period PI picks when none is given: the shortest that gives at most
 * 200 points over [start, end). */
int64_t pi_period_default(int64_t start, int64_t end);
/* [start, end) widened to whole periods: *astart = start rounded down,
 * *aend = end rounded up to a multiple of period (epoch seconds). */
void pi_period_align(int64_t start, int64_t end, int64_t period, int64_t *astart,
                     int64_t *aend);

#endif
