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
