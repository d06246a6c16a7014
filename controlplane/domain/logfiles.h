/* logfiles: the instances' PostgreSQL log files (DescribeDBLogFiles,
 * DownloadDBLogFilePortion).
 *
 * The agents ship each node's log files (agent/telemetry.h): a listing
 * with every telemetry request, and bytes appended in order. The store
 * keeps, per node and RDS file name ("error/postgresql.log.YYYY-MM-DD-HH"),
 * the bytes received as chunks; a file the agent no longer lists (past
 * its 3-day retention) is dropped here too. The API shows the files of
 * the instance's current primary node, as RDS shows the primary host's.
 *
 * Markers of DownloadDBLogFilePortion are byte offsets in decimal ("0" is
 * the start of the file), so a marker stays valid while the file grows. */
#ifndef RDSIM_LOGFILES_H
#define RDSIM_LOGFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

typedef struct cJSON cJSON;
typedef struct region region;

#define LOGFILES_PORTION_MAX (1024 * 1024) /* "up to 1 MB" */
#define LOGFILES_DEFAULT_LINES 10000

/* Applies one node's listing (files: [{name,size,mtime_ms}]) and chunks
 * ([{name,offset,data}]) from an agent; a chunk is appended only when its
 * offset is exactly the bytes held (agent/telemetry.c invariant 2).
 * Runs in the caller's transaction. */
bool logfiles_ingest(region *r, const char *node_id, const char *instance_id,
                     const cJSON *files, const cJSON *chunks);

/* {"error/...": bytes held, ...} for node_id (caller deletes). */
cJSON *logfiles_sizes(region *r, const char *node_id);

/* The file's bytes [off, off + len) as held (malloc'd, NUL-terminated
 * after them; *got: how many, fewer at the end of what is held), reading
 * only the chunks that overlap them. Memory: len + 1. */
char *logfiles_read(region *r, const char *node, const char *name, int64_t off, size_t len,
                    size_t *got);

/* Drops the files of nodes that no longer exist. */
bool logfiles_prune_orphans(region *r);

/* Which bytes of a file of size `size` a portion request returns (pure).
 * has_marker/marker: the Marker (an offset); lines: NumberOfLines (0: not
 * given). Forward from a marker: up to `lines` lines (or all, with no
 * limit) and at most LOGFILES_PORTION_MAX bytes. Without a marker: the
 * last `lines` lines (LOGFILES_DEFAULT_LINES when 0), at most
 * LOGFILES_PORTION_MAX bytes, ending at the end of the file.
 *
 * Only a window of the file is needed, never the whole of it:
 * logfiles_window gives it ([*off, *off + *len), at most
 * LOGFILES_PORTION_MAX + 1 bytes), and logfiles_portion_in decides from
 * those bytes alone (win holds the file's bytes [off, off + len)), exactly
 * as logfiles_portion would from the whole file. Sets [*from, *to) (file
 * offsets) and *pending (bytes remain after *to). */
void logfiles_window(int64_t size, bool has_marker, int64_t marker, int64_t *off, size_t *len);
void logfiles_portion_in(const char *win, int64_t off, size_t len, int64_t size, bool has_marker,
                         int64_t marker, int64_t lines, int64_t *from, int64_t *to,
                         bool *pending);
/* The same over the whole file in data (tests). */
void logfiles_portion(const char *data, size_t size, bool has_marker, int64_t marker,
                      int64_t lines, size_t *from, size_t *to, bool *pending);

/* Parses a Marker: a decimal offset 0..INT64_MAX; false otherwise. */
bool logfiles_parse_marker(const char *s, int64_t *out);

bool logfiles_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool logfiles_action_download(region *r, const params *p, cJSON *result, awserr *err);

#endif
