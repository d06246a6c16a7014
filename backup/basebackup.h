/* basebackup: one base backup of a PostgreSQL 15 server taken over the
 * replication protocol (libpq, BASE_BACKUP), its tar handed to a sink as
 * the server sends it — the same tar `pg_basebackup -D - -Ft -X fetch`
 * writes, less its backup_manifest member (nothing restores from it), with
 * the same two zero blocks at its end.
 *
 * Why not run pg_basebackup: that is one more process and one more copy of
 * every byte through a pipe, on a 2-core machine where the snapshot is
 * CPU-bound (issue 19). Speaking the protocol here also gives the WAL
 * start and end points as values, not lines of verbose stderr.
 *
 * The server is the tenant's: every message is read through
 * basebackup_message, which trusts no length and no count. */
#ifndef RDSIM_BACKUP_BASEBACKUP_H
#define RDSIM_BACKUP_BASEBACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/envelope.h"
#include "lib/wal.h"

/* What a finished backup reports. */
typedef struct {
    wal_lsn start_lsn, end_lsn;
    uint32_t timeline;   /* the start point's */
    uint64_t tar_bytes;  /* handed to the sink, end-of-archive blocks included */
} basebackup_result;

/* A fast checkpoint on a big, busy instance is the longest silence a
 * healthy server keeps before its first answer. */
#define BASEBACKUP_IDLE_MS 120000

/* Connects to host:port as user (the password, application name and
 * connect timeout come from the environment: PGPASSWORD, PGAPPNAME,
 * PGCONNECT_TIMEOUT), runs BASE_BACKUP with a fast checkpoint, the WAL
 * the backup needs included and no manifest, and hands the tar to
 * sink(sink_ctx, ...) in the server's pieces. Returns true once the server
 * confirmed the end of the backup and the tar's end went to the sink;
 * false with why (one line, NUL-terminated, at most why_len bytes) on a
 * connection, server or protocol failure, a server with more than one
 * tablespace, or a sink that returned false ("the sink failed"; the
 * caller knows its own error), or a server silent for idle_ms at any
 * point (0: BASEBACKUP_IDLE_MS). Blocks: run it in a child process. */
bool basebackup_run(const char *host, const char *port, const char *user, int idle_ms,
                    envelope_sink_fn sink, void *sink_ctx, basebackup_result *out, char *why,
                    size_t why_len);

/* ---- the archive stream, one CopyData message at a time (pure) ---- */

typedef struct {
    int archives; /* 'n' (new archive) messages seen */
} basebackup_stream;

typedef enum {
    BASEBACKUP_MSG_DATA, /* data, data_len: archive bytes for the sink */
    BASEBACKUP_MSG_SKIP, /* progress, or the (single) archive's start */
    BASEBACKUP_MSG_BAD,  /* why says what; the backup must fail */
} basebackup_msg;

/* Classifies one CopyData message of PostgreSQL 15's archive stream:
 * 'n' archive name\0 tablespace path\0 (only one archive is accepted),
 * 'd' data of the current archive, 'p' progress (8 bytes), anything else
 * (a manifest, which was not asked for, an unknown type, data before an
 * archive, a short or unterminated message) BAD. */
basebackup_msg basebackup_message(basebackup_stream *s, const uint8_t *msg, size_t len,
                                  const uint8_t **data, size_t *data_len, const char **why);

#endif
