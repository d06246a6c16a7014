/* sealpipe: a snapshot's sealing on a second thread, so that receiving
 * the base backup and sealing it run at once (issue 19).
 *
 * Why: profiled on a 1 GiB snapshot, rds-backup was one thread at 100 %
 * of a core — TLS decryption, libpq's copy, the copy into the chunk,
 * SHA-256 (≈ 0.6 s a GiB with SHA-NI) or AES-256-GCM (≈ 0.25 s), and the
 * write into the page cache one after the other — while the server's
 * walsender used under half of the other core. pg_basebackup does all of
 * that but the hashing, so the snapshot was slower by about its hash.
 * Here the receiving thread only copies the tar into a free block; the
 * sealing thread hands whole blocks to the envelope writer (hash or
 * encrypt, then write). Same object, same bytes, same order: only one
 * thread ever touches the writer until sealpipe_finish returned.
 *
 * What must stay true:
 *  1. Blocks reach the writer whole and in the order they were filled.
 *  2. The writer is used by the sealing thread only between
 *     sealpipe_start and sealpipe_finish, and by the caller only outside.
 *  3. A sealing failure stops the receiver at its next write (false),
 *     never leaves it waiting for a free block. */
#ifndef RDSIM_BACKUP_SEALPIPE_H
#define RDSIM_BACKUP_SEALPIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/envelope.h"

/* Blocks in flight (each BACKUP_IO_SIZE, the chunk size): one being
 * filled, one being sealed, the rest absorb the two threads' jitter. */
#define SEALPIPE_BLOCKS 4

typedef struct sealpipe sealpipe;

/* Starts the sealing thread for w (which the pipe borrows: the caller
 * keeps it and must not touch it until sealpipe_finish). NULL when the
 * thread cannot start (said on stderr); the caller then writes to w
 * itself. */
sealpipe *sealpipe_start(envelope_writer *w);

/* An envelope_sink_fn (ctx the sealpipe): copies buf into the pipe's
 * blocks, handing each full one to the sealing thread, waiting for a
 * free block when all are in flight. False once the sealing failed. */
bool sealpipe_write(void *ctx, const void *buf, size_t len);

/* Ends the pipe: with flush, the partly filled block is sealed too and
 * every block handed over is sealed before this returns; without (the
 * backup failed), what is not sealed yet is dropped. Joins the thread,
 * wipes and frees the pipe, and returns the writer's first failure
 * (ENVELOPE_OK if none). The caller then finishes or frees the writer. */
envelope_status sealpipe_finish(sealpipe *p, bool flush);

#endif
