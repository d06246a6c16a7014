/* envelope: the sealed object format of backup files (base backup tars,
 * WAL segments, snapshot files), written and read as streams so that a
 * multi-GB file never sits in memory.
 *
 * Two modes share one framing:
 *  - encrypted: a fresh 32-byte data key per object seals every chunk with
 *    AES-256-GCM; the data key is wrapped by a KMS key (through a callback:
 *    the KMS lives in the controlplane) and only the wrapped form and the
 *    KMS key's id go into the header;
 *  - plain: the payload is in the clear, each chunk followed by a SHA-256
 *    digest that binds the header, the chunk's index and its final flag.
 * Both end with a trailer, SHA-256(header || every chunk's tag/digest), so
 * an altered byte, a reordered, dropped or repeated chunk, a missing final
 * chunk and bytes after the end are all detected.
 *
 * Format (integers big-endian):
 *   header   "RDSIMENC" | version u8 (1) | mode u8 (1 gcm, 2 plain) |
 *            reserved u16 (0) | chunk_size u32 | key_id_len u16 | key_id |
 *            wrapped_len u16 | wrapped key | base_nonce[12]
 *   chunk i  flags u8 (bit 0: final) | len u32 | body[len] |
 *            gcm: tag[16], AAD = SHA-256(header) | i u64 | flags | len,
 *                 nonce = base_nonce + i (low 64 bits, big-endian);
 *            plain: SHA-256(SHA-256(header) | i u64 | flags | len | body)
 *   trailer  SHA-256(header | tag_0 | ... | tag_n)
 * Every chunk but the last holds exactly chunk_size bytes; the last holds
 * 0..chunk_size (0 only when the object is empty).
 *
 * A reader never hands out a chunk before its tag or digest checked, but a
 * truncated object is only known at the end: a consumer must treat what it
 * got as valid only once envelope_reader_read returned 0 (the verified
 * end), e.g. restore into a temporary place and rename after that.
 *
 * Data keys are wiped (OPENSSL_cleanse) as soon as the cipher holds them,
 * and the cipher state is freed with the writer or reader. */
#ifndef RDSIM_ENVELOPE_H
#define RDSIM_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ENVELOPE_MAGIC "RDSIMENC"
#define ENVELOPE_VERSION 1
#define ENVELOPE_DATA_KEY_LEN 32
#define ENVELOPE_DIGEST_LEN 32
#define ENVELOPE_DEFAULT_CHUNK (64 * 1024)
#define ENVELOPE_MAX_CHUNK (16 * 1024 * 1024)
/* Limits of the header's variable fields (a KMS key ARN, a KMS blob). */
#define ENVELOPE_KEY_ID_MAX 2048
#define ENVELOPE_WRAPPED_MAX 4096

typedef enum {
    ENVELOPE_OK = 0,
    ENVELOPE_IO,          /* the source or sink failed (its callback returned false) */
    ENVELOPE_BAD_HEADER,  /* not an envelope, unknown version or mode, a limit exceeded */
    ENVELOPE_KEY,         /* the data key cannot be wrapped/unwrapped: key inaccessible */
    ENVELOPE_CORRUPT,     /* a tag or digest did not verify, bad framing, trailing bytes */
    ENVELOPE_TRUNCATED,   /* the object ended before its final chunk or trailer */
} envelope_status;

/* "ok", "io", "bad-header", "key", "corrupt", "truncated". */
const char *envelope_status_name(envelope_status st);

/* Wraps the data key (plain_key, len bytes) with a KMS key of the
 * callback's choosing. On entry *out_len is the capacity of out
 * (ENVELOPE_WRAPPED_MAX); on success *out_len is the wrapped length and
 * key_id_out (capacity ENVELOPE_KEY_ID_MAX, NUL-terminated) names the KMS
 * key (its ARN). Returns false if the key cannot be used. */
typedef bool (*envelope_wrap_fn)(void *ctx, const uint8_t *plain_key, size_t len, uint8_t *out,
                                 size_t *out_len, char *key_id_out);
/* Unwraps a data key. On entry *plain_len is the capacity of plain_out
 * (ENVELOPE_DATA_KEY_LEN). Returns ENVELOPE_OK with *plain_len set,
 * ENVELOPE_KEY when the KMS key is inaccessible (disabled, pending
 * deletion, gone), or ENVELOPE_CORRUPT when the wrapped bytes are not a
 * valid blob. */
typedef envelope_status (*envelope_unwrap_fn)(void *ctx, const char *key_id,
                                              const uint8_t *wrapped, size_t wrapped_len,
                                              uint8_t *plain_out, size_t *plain_len);

/* Moves bytes. A sink writes all len bytes or returns false. A source
 * reads up to cap bytes into buf, sets *got (0 only at end of input) and
 * returns false on an error. */
typedef bool (*envelope_sink_fn)(void *ctx, const void *buf, size_t len);
typedef bool (*envelope_source_fn)(void *ctx, void *buf, size_t cap, size_t *got);

typedef struct {
    envelope_wrap_fn wrap;     /* NULL: the plain (unencrypted) mode */
    void *wrap_ctx;
    uint32_t chunk_size;       /* 0: ENVELOPE_DEFAULT_CHUNK; at most ENVELOPE_MAX_CHUNK */
} envelope_opts;

/* Sinks and sources over a file descriptor (ctx is a pointer to the int
 * fd); they retry EINTR and short transfers, and log errno on failure. */
bool envelope_sink_fd(void *ctx, const void *buf, size_t len);
bool envelope_source_fd(void *ctx, void *buf, size_t cap, size_t *got);

/* ---- writing ---- */

typedef struct envelope_writer envelope_writer;

/* Starts an object: makes the data key, wraps it (encrypted mode) and
 * writes the header to the sink. Returns NULL with *st set (ENVELOPE_KEY
 * when wrap refused, ENVELOPE_BAD_HEADER for a bad chunk size or an
 * oversized wrapped key/key id, ENVELOPE_IO when the sink failed). */
envelope_writer *envelope_writer_new(const envelope_opts *opts, envelope_sink_fn sink,
                                     void *sink_ctx, envelope_status *st);
/* Appends payload bytes; whole chunks go to the sink as they fill. */
envelope_status envelope_writer_write(envelope_writer *w, const void *data, size_t len);
/* Seals data (len bytes) as the object's next chunk straight from the
 * caller's buffer, without copying it into the writer's: a whole chunk
 * (len == the chunk size) unless final, at most one chunk if final (and
 * empty only as the first, the whole of an empty object). The
 * writer encrypts in place, so data is left as ciphertext (encrypted
 * mode) — the caller's bytes are consumed. Only with nothing pending from
 * envelope_writer_write (else ENVELOPE_IO, as for a wrong len); after a
 * final chunk only finish (which then adds the trailer) and free. A
 * caller that does not know a full chunk is the last holds it back until
 * more data or the end comes, as envelope_writer_write does. */
envelope_status envelope_writer_put_chunk(envelope_writer *w, void *data, size_t len, bool final);
/* Writes the final chunk (unless put_chunk did) and the trailer. digest_out (may be NULL) gets
 * the trailer, the object's fingerprint, worth recording in a catalog to
 * detect a whole file replaced. After finish only free is allowed. */
envelope_status envelope_writer_finish(envelope_writer *w,
                                       uint8_t digest_out[ENVELOPE_DIGEST_LEN]);
/* Frees (and wipes) the writer; NULL is fine. An unfinished object is left
 * without its final chunk, which every reader refuses. */
void envelope_writer_free(envelope_writer *w);

/* ---- reading ---- */

typedef struct envelope_reader envelope_reader;

/* Reads and checks the header and unwraps the data key (encrypted mode;
 * unwrap may be NULL for a plain object, and a plain object is accepted
 * whatever unwrap is). Returns NULL with *st set: ENVELOPE_BAD_HEADER,
 * ENVELOPE_TRUNCATED, ENVELOPE_IO, or what unwrap returned (ENVELOPE_KEY,
 * ENVELOPE_CORRUPT); an encrypted object without an unwrap is
 * ENVELOPE_KEY. */
envelope_reader *envelope_reader_new(envelope_source_fn src, void *src_ctx,
                                     envelope_unwrap_fn unwrap, void *unwrap_ctx,
                                     envelope_status *st);
bool envelope_reader_encrypted(const envelope_reader *r);
/* The header's KMS key id ("" for a plain object); lives with the reader. */
const char *envelope_reader_key_id(const envelope_reader *r);
/* Reads verified payload into buf. Returns the byte count (> 0), 0 once
 * the final chunk and the trailer verified and the source is at its end,
 * or -1 with *st set (ENVELOPE_CORRUPT, ENVELOPE_TRUNCATED, ENVELOPE_IO);
 * after -1 every call fails the same way. */
ssize_t envelope_reader_read(envelope_reader *r, void *buf, size_t cap, envelope_status *st);
/* After read returned 0: copies the trailer digest into out. */
bool envelope_reader_digest(const envelope_reader *r, uint8_t out[ENVELOPE_DIGEST_LEN]);
void envelope_reader_free(envelope_reader *r);

/* ---- whole streams ---- */

/* Seals everything src gives into sink. */
envelope_status envelope_seal(const envelope_opts *opts, envelope_source_fn src, void *src_ctx,
                              envelope_sink_fn sink, void *sink_ctx,
                              uint8_t digest_out[ENVELOPE_DIGEST_LEN]);
/* Opens an object from src into sink. The sink sees only verified chunks,
 * but the object is whole only when this returns ENVELOPE_OK. */
envelope_status envelope_open(envelope_source_fn src, void *src_ctx, envelope_unwrap_fn unwrap,
                              void *unwrap_ctx, envelope_sink_fn sink, void *sink_ctx,
                              uint8_t digest_out[ENVELOPE_DIGEST_LEN]);

#endif
