/* pglogs: a node's PostgreSQL log files as RDS names them.
 *
 * The node's logging collector writes log/postgresql.log.YYYY-MM-DD-HH
 * (UTC, a new file every hour: nodeconf.c sets log_filename,
 * log_rotation_age and log_timezone). RDS shows these as
 * "error/postgresql.log.YYYY-MM-DD-HH". This module maps the names (pure,
 * unit-tested), lists a log directory, reads a byte range of one file and
 * removes files older than the retention period (RDS's
 * rds.log_retention_period default: 3 days). Reads are of local files and
 * bounded in size. */
#ifndef RDSIM_AGENT_PGLOGS_H
#define RDSIM_AGENT_PGLOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGLOGS_RETENTION_MS (3LL * 24 * 3600 * 1000)
#define PGLOGS_MAX_FILES 128

/* "postgresql.log.2026-11-24-06" -> "error/postgresql.log.2026-11-24-06".
 * false (out untouched) for any other name: the other files of log/
 * (postmaster.log, initdb.log ...) are the agent's, not PostgreSQL's. */
bool pglogs_rds_name(const char *file, char *out, size_t size);

typedef struct {
    char file[64];      /* name in the log directory */
    char rds_name[80];  /* "error/..." */
    int64_t size;
    int64_t mtime_ms;   /* wall clock */
} pglogs_file;

/* The log files of the directory dirfd (opened without following a
 * symlink: lib/fsutil.h's fs_dir_open_beneath), oldest first; returns how
 * many (at most max), -1 if it cannot be read. Only regular files with one
 * link count: a symlink or hard link the pg user planted under a log name
 * (to a file of root's) is skipped, never listed, read or followed (issue
 * 13). Files whose mtime is older than now_ms - retention_ms are deleted
 * (unlinkat), not listed. */
int pglogs_list(int dirfd, int64_t now_ms, int64_t retention_ms, pglogs_file *out, int max);

/* Reads up to max bytes of file in dirfd from offset into a malloc'd
 * buffer (*len set; may be 0 at the end). NULL if the file cannot be read
 * or is not a regular file of one link (fs_open_at). */
char *pglogs_read(int dirfd, const char *file, int64_t offset, size_t max, size_t *len);

/* The bytes data[0..len) take inside a JSON string as cJSON prints it:
 * '"', '\\' and \b \f \n \r \t take 2, any other byte below 0x20 takes 6
 * ("\u0001"), every other byte 1. Pure. */
size_t pglogs_json_len(const char *data, size_t len);

/* The longest prefix of data[0..len) whose JSON form (pglogs_json_len) fits
 * in budget bytes; *encoded (may be NULL) is set to that form's size. A
 * prefix may end inside a line or a UTF-8 sequence: chunks are bytes, put
 * back together in order by the controlplane. Pure. */
size_t pglogs_json_fit(const char *data, size_t len, size_t budget, size_t *encoded);

#endif
