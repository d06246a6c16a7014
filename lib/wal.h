/* wal: PostgreSQL's write-ahead log names and positions, as pure
 * functions — what the archiver, the restore and the controlplane's
 * retention agree on.
 *
 * An LSN is a 64-bit byte position shown as "X/Y" (hex high/low words).
 * With the default 16 MiB segments, segment number s of timeline t is the
 * file named %08X%08X%08X of (t, s / 256, s % 256); a timeline's history
 * file is %08X.history. pg_receivewal writes the segment it is filling as
 * "<name>.partial". */
#ifndef RDSIM_WAL_H
#define RDSIM_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAL_SEG_SIZE (16u * 1024 * 1024)
#define WAL_NAME_LEN 24

typedef uint64_t wal_lsn;

/* "16/B374D848" → position. False on anything else. */
bool wal_lsn_parse(const char *s, wal_lsn *out);
/* Formats into buf (at least 20 bytes). Returns buf. */
char *wal_lsn_format(wal_lsn lsn, char *buf, size_t size);

static inline uint64_t wal_segno(wal_lsn lsn)
{
    return lsn / WAL_SEG_SIZE;
}

/* The segment file name of (timeline, segno) into buf (25 bytes). */
char *wal_seg_name(uint32_t tli, uint64_t segno, char *buf, size_t size);

typedef enum {
    WAL_FILE_OTHER = 0,
    WAL_FILE_SEGMENT,  /* 24 hex digits */
    WAL_FILE_PARTIAL,  /* 24 hex digits + ".partial" */
    WAL_FILE_HISTORY,  /* 8 hex digits + ".history" */
} wal_file_kind;

/* Classifies a file name (no directory), ignoring `suffix` at its end
 * when given (e.g. ".env" for the sealed objects of the backup store).
 * Sets *tli and, for segments, *segno. */
wal_file_kind wal_file_parse(const char *name, const char *suffix, uint32_t *tli,
                             uint64_t *segno);

/* pg_basebackup --verbose's stderr lines
 *   "pg_basebackup: write-ahead log start point: 0/2000028 on timeline 1"
 *   "pg_basebackup: write-ahead log end point: 0/2000100"
 * found anywhere in text. False unless both were there. */
bool wal_basebackup_points(const char *text, wal_lsn *start, wal_lsn *end, uint32_t *tli);

/* The latest-restorable rule. The archiver samples (t_ms, lsn): at t_ms
 * the server's WAL ended at lsn, so every commit acknowledged before t_ms
 * lies below lsn. Once the archive holds everything below `sealed`, the
 * latest restorable time is the newest sample whose lsn <= sealed, or
 * `prev` if none is (a sample ring in time order, n entries). */
typedef struct {
    int64_t t_ms;
    wal_lsn lsn;
} wal_sample;

int64_t wal_restorable_ms(const wal_sample *samples, int n, wal_lsn sealed, int64_t prev);

#endif
