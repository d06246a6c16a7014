/* sqlrow: small helpers for modules that keep their own tables in the
 * store's SQLite connection (sns, evsub, delivery, sqs), so each does not
 * carry its own copy of prepare/step/bind boilerplate.
 *
 * Errors are logged here; callers just return false. Strings read from a
 * row are malloc'd copies (NULL for SQL NULL). */
#ifndef RDSIM_SQLROW_H
#define RDSIM_SQLROW_H

#include <stdbool.h>

typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct store store;

/* A prepared statement on the store's connection, or NULL (logged). */
sqlite3_stmt *sqlrow_prepare(store *s, const char *sql);
/* Binds text (NULL binds SQL NULL) at 1-based index i. */
void sqlrow_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Steps a statement that returns no rows and finalizes it; true on DONE. */
bool sqlrow_run(sqlite3_stmt *st);
/* The hot paths' form (issue 18): a statement from the store's cache
 * (store.h store_stmt_cached), prepared once and reused; NULL on failure
 * (logged). Give it back with sqlrow_release (or sqlrow_run_release for a
 * statement that returns no rows), never sqlite3_finalize or sqlrow_run.
 * sql must be the same text for the same statement (a constant, or a
 * table name of the caller's): each distinct text takes a cache slot. */
sqlite3_stmt *sqlrow_cached(store *s, const char *sql);
void sqlrow_release(store *s, sqlite3_stmt *st);
/* Steps a cached statement that returns no rows and releases it; true on
 * DONE. */
bool sqlrow_run_release(store *s, sqlite3_stmt *st);
/* A copy of column i of the current row, NULL for SQL NULL. */
char *sqlrow_text(sqlite3_stmt *st, int i);
/* Rows the last INSERT/UPDATE/DELETE changed. */
int sqlrow_changes(store *s);

/* Name/value attribute tables (`table(<keycol>, name, value)`, one row per
 * attribute of an owner; table and keycol are the caller's constants, never
 * request data). get: a copy of the value, NULL when absent. put: stores
 * name=value for key; an empty value deletes the row (the default again). */
char *sqlrow_attr_get(store *s, const char *table, const char *keycol, const char *key,
                      const char *name);
bool sqlrow_attr_put(store *s, const char *table, const char *keycol, const char *key,
                     const char *name, const char *value);

#endif
