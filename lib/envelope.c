/* envelope: see envelope.h for the format and the contract.
 *
 * What must stay true:
 *  1. Every byte of the header is bound into every chunk (through the
 *     header hash in the AAD or digest), so no header field can change
 *     without every chunk failing.
 *  2. A chunk's index and final flag are bound into its tag, so chunks
 *     cannot be reordered, dropped, repeated, or an object cut short at a
 *     chunk boundary without detection.
 *  3. The reader releases plaintext of a chunk only after its tag or
 *     digest verified; a failed chunk's buffer is wiped.
 *  4. A GCM nonce is never reused under one key: the key is fresh per
 *     object and the nonce is base + index. */
#include "lib/envelope.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

#define ENV_NONCE_LEN 12
#define ENV_TAG_LEN 16
#define ENV_MODE_GCM 1
#define ENV_MODE_PLAIN 2
#define ENV_FLAG_FINAL 0x01
#define ENV_FIXED_LEN 18 /* magic 8, version 1, mode 1, reserved 2, chunk_size 4, key_id_len 2 */
#define ENV_PREFIX_LEN 5 /* flags 1, len 4 */
#define ENV_AAD_LEN (ENVELOPE_DIGEST_LEN + 8 + ENV_PREFIX_LEN)
#define ENV_HEADER_MAX \
    (ENV_FIXED_LEN + ENVELOPE_KEY_ID_MAX + 2 + ENVELOPE_WRAPPED_MAX + ENV_NONCE_LEN)

const char *envelope_status_name(envelope_status st)
{
    switch (st) {
    case ENVELOPE_OK: return "ok";
    case ENVELOPE_IO: return "io";
    case ENVELOPE_BAD_HEADER: return "bad-header";
    case ENVELOPE_KEY: return "key";
    case ENVELOPE_CORRUPT: return "corrupt";
    case ENVELOPE_TRUNCATED: return "truncated";
    }
    return "unknown";
}

/* ------------------------------------------------------------ helpers */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void sha256(const void *a, size_t alen, const void *b, size_t blen,
                   uint8_t out[ENVELOPE_DIGEST_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(md, a, alen) != 1 ||
        EVP_DigestUpdate(md, b, blen) != 1 || EVP_DigestFinal_ex(md, out, NULL) != 1) {
        /* SHA-256 of memory cannot fail short of OOM; treat it like one. */
        LOG_ERROR("sha256 failed");
        abort();
    }
    EVP_MD_CTX_free(md);
}

/* nonce = base + index, on the low 64 bits (big-endian, wrapping). */
static void chunk_nonce(const uint8_t base[ENV_NONCE_LEN], uint64_t index,
                        uint8_t out[ENV_NONCE_LEN])
{
    memcpy(out, base, ENV_NONCE_LEN);
    put_u64(out + 4, get_u64(base + 4) + index);
}

/* The AAD of chunk i (and the prefix of a plain chunk's digest input). */
static void chunk_aad(const uint8_t hh[ENVELOPE_DIGEST_LEN], uint64_t index, uint8_t flags,
                      uint32_t len, uint8_t out[ENV_AAD_LEN])
{
    memcpy(out, hh, ENVELOPE_DIGEST_LEN);
    put_u64(out + ENVELOPE_DIGEST_LEN, index);
    out[ENVELOPE_DIGEST_LEN + 8] = flags;
    put_u32(out + ENVELOPE_DIGEST_LEN + 9, len);
}

bool envelope_sink_fd(void *ctx, const void *buf, size_t len)
{
    int fd = *(int *)ctx;
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            LOG_ERROR("envelope write failed fd=%d err=%s", fd, strerror(errno));
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool envelope_source_fd(void *ctx, void *buf, size_t cap, size_t *got)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            LOG_ERROR("envelope read failed fd=%d err=%s", fd, strerror(errno));
            return false;
        }
        *got = (size_t)n;
        return true;
    }
}

/* ------------------------------------------------------------- writer */

struct envelope_writer {
    envelope_sink_fn sink;
    void *sink_ctx;
    bool encrypted;
    uint32_t chunk_size;
    uint8_t header_hash[ENVELOPE_DIGEST_LEN];
    uint8_t base_nonce[ENV_NONCE_LEN];
    uint64_t index;
    EVP_CIPHER_CTX *cipher; /* holds the data key's schedule; NULL in plain mode */
    EVP_MD_CTX *trailer;    /* SHA-256 over the header and every tag */
    EVP_MD_CTX *chunk_md;   /* a plain chunk's digest */
    uint8_t *out;           /* one framed chunk: prefix | body | tag */
    uint8_t *buf;           /* out's body: pending payload, sealed in place */
    size_t fill;
    envelope_status failed; /* sticky */
    bool final_sent;        /* put_chunk sent the final chunk: finish adds the trailer */
    bool finished;
};

void envelope_writer_free(envelope_writer *w)
{
    if (!w)
        return;
    EVP_CIPHER_CTX_free(w->cipher);
    EVP_MD_CTX_free(w->trailer);
    EVP_MD_CTX_free(w->chunk_md);
    if (w->out) {
        OPENSSL_cleanse(w->out, (size_t)w->chunk_size + ENV_PREFIX_LEN + ENVELOPE_DIGEST_LEN);
        free(w->out);
    }
    free(w);
}

envelope_writer *envelope_writer_new(const envelope_opts *opts, envelope_sink_fn sink,
                                     void *sink_ctx, envelope_status *st)
{
    uint32_t chunk = opts->chunk_size ? opts->chunk_size : ENVELOPE_DEFAULT_CHUNK;
    if (chunk > ENVELOPE_MAX_CHUNK) {
        LOG_ERROR("envelope chunk size too large chunk_size=%u", chunk);
        *st = ENVELOPE_BAD_HEADER;
        return NULL;
    }
    envelope_writer *w = xcalloc(1, sizeof *w);
    w->sink = sink;
    w->sink_ctx = sink_ctx;
    w->encrypted = opts->wrap != NULL;
    w->chunk_size = chunk;
    w->out = xmalloc((size_t)chunk + ENV_PREFIX_LEN + ENVELOPE_DIGEST_LEN);
    w->buf = w->out + ENV_PREFIX_LEN;
    w->trailer = EVP_MD_CTX_new();
    w->chunk_md = EVP_MD_CTX_new();
    uint8_t key[ENVELOPE_DATA_KEY_LEN];
    uint8_t wrapped[ENVELOPE_WRAPPED_MAX];
    char key_id[ENVELOPE_KEY_ID_MAX + 1] = "";
    size_t wrapped_len = 0;
    uint8_t *hdr = xmalloc(ENV_HEADER_MAX);
    size_t hlen = 0;
    *st = ENVELOPE_OK;
    if (!w->trailer || !w->chunk_md || EVP_DigestInit_ex(w->trailer, EVP_sha256(), NULL) != 1 ||
        RAND_bytes(w->base_nonce, ENV_NONCE_LEN) != 1) {
        LOG_ERROR("envelope: openssl init failed");
        *st = ENVELOPE_IO;
        goto done;
    }
    if (w->encrypted) {
        if (RAND_bytes(key, sizeof key) != 1) {
            LOG_ERROR("envelope: no random bytes for a data key");
            *st = ENVELOPE_IO;
            goto done;
        }
        wrapped_len = sizeof wrapped;
        if (!opts->wrap(opts->wrap_ctx, key, sizeof key, wrapped, &wrapped_len, key_id)) {
            LOG_WARN("envelope: the data key could not be wrapped");
            *st = ENVELOPE_KEY;
            goto done;
        }
        key_id[ENVELOPE_KEY_ID_MAX] = '\0';
        size_t idlen = strlen(key_id);
        if (wrapped_len == 0 || wrapped_len > ENVELOPE_WRAPPED_MAX || idlen == 0) {
            LOG_ERROR("envelope: bad wrapped key wrapped_len=%zu key_id_len=%zu", wrapped_len, idlen);
            *st = ENVELOPE_BAD_HEADER;
            goto done;
        }
        w->cipher = EVP_CIPHER_CTX_new();
        if (!w->cipher ||
            EVP_EncryptInit_ex(w->cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
            EVP_CIPHER_CTX_ctrl(w->cipher, EVP_CTRL_GCM_SET_IVLEN, ENV_NONCE_LEN, NULL) != 1 ||
            EVP_EncryptInit_ex(w->cipher, NULL, NULL, key, w->base_nonce) != 1) {
            LOG_ERROR("envelope: cipher init failed");
            *st = ENVELOPE_IO;
            goto done;
        }
    }
    size_t idlen = strlen(key_id);
    memcpy(hdr, ENVELOPE_MAGIC, 8);
    hdr[8] = ENVELOPE_VERSION;
    hdr[9] = w->encrypted ? ENV_MODE_GCM : ENV_MODE_PLAIN;
    put_u16(hdr + 10, 0);
    put_u32(hdr + 12, chunk);
    put_u16(hdr + 16, (uint16_t)idlen);
    hlen = ENV_FIXED_LEN;
    memcpy(hdr + hlen, key_id, idlen);
    hlen += idlen;
    put_u16(hdr + hlen, (uint16_t)wrapped_len);
    hlen += 2;
    memcpy(hdr + hlen, wrapped, wrapped_len);
    hlen += wrapped_len;
    memcpy(hdr + hlen, w->base_nonce, ENV_NONCE_LEN);
    hlen += ENV_NONCE_LEN;
    sha256(hdr, hlen, "", 0, w->header_hash);
    if (EVP_DigestUpdate(w->trailer, hdr, hlen) != 1 || !sink(sink_ctx, hdr, hlen))
        *st = ENVELOPE_IO;
done:
    OPENSSL_cleanse(key, sizeof key);
    free(hdr);
    if (*st != ENVELOPE_OK) {
        envelope_writer_free(w);
        return NULL;
    }
    return w;
}

/* How much of a chunk is sealed before it goes to the sink: small enough
 * that the sink's copy (a write into the page cache) reads bytes still in
 * the CPU's cache from sealing them, large enough that the calls are few.
 * Measured (issue 19): sealing a whole 1 MiB chunk and then writing it
 * made the kernel's copy read it back from memory, nearly 3x its cost. */
#define ENV_SEND_PIECE (128 * 1024)

/* Seals body (len bytes) as chunk w->index and sends it, piece by piece:
 * the payload is encrypted in place or hashed where it lies, and each
 * piece goes to the sink right after — no copy of the payload here. When
 * body is w->buf (the payload gathered by envelope_writer_write) the
 * prefix goes with the first piece and the tag (stored right after the
 * body) with the last; a caller's chunk (envelope_writer_put_chunk) has
 * no room around it, so its prefix and tag go on their own. */
static envelope_status writer_emit(envelope_writer *w, uint8_t *body, uint32_t len, bool final)
{
    uint8_t flags = final ? ENV_FLAG_FINAL : 0;
    bool own = body == w->buf;
    uint8_t aad[ENV_AAD_LEN];
    chunk_aad(w->header_hash, w->index, flags, len, aad);
    w->out[0] = flags;
    put_u32(w->out + 1, len);
    uint8_t ext_tag[ENVELOPE_DIGEST_LEN];
    uint8_t *tag = own ? body + len : ext_tag;
    size_t tag_len = w->encrypted ? ENV_TAG_LEN : ENVELOPE_DIGEST_LEN;
    bool good;
    if (w->encrypted) {
        uint8_t nonce[ENV_NONCE_LEN];
        chunk_nonce(w->base_nonce, w->index, nonce);
        int n = 0;
        good = EVP_EncryptInit_ex(w->cipher, NULL, NULL, NULL, nonce) == 1 &&
               EVP_EncryptUpdate(w->cipher, NULL, &n, aad, sizeof aad) == 1;
    } else {
        good = EVP_DigestInit_ex(w->chunk_md, EVP_sha256(), NULL) == 1 &&
               EVP_DigestUpdate(w->chunk_md, aad, sizeof aad) == 1;
    }
    if (!own && !w->sink(w->sink_ctx, w->out, ENV_PREFIX_LEN))
        return ENVELOPE_IO;
    size_t off = 0;
    do {
        size_t n = len - off < ENV_SEND_PIECE ? len - off : ENV_SEND_PIECE;
        bool last = off + n == len;
        int outl = 0;
        if (w->encrypted)
            good = good && (n == 0 || EVP_EncryptUpdate(w->cipher, body + off, &outl,
                                                         body + off, (int)n) == 1);
        else
            good = good && EVP_DigestUpdate(w->chunk_md, body + off, n) == 1;
        if (good && last)
            good = w->encrypted
                       ? EVP_EncryptFinal_ex(w->cipher, tag, &outl) == 1 &&
                             EVP_CIPHER_CTX_ctrl(w->cipher, EVP_CTRL_GCM_GET_TAG, ENV_TAG_LEN,
                                                 tag) == 1
                       : EVP_DigestFinal_ex(w->chunk_md, tag, NULL) == 1;
        if (!good) {
            LOG_ERROR("envelope: sealing failed chunk=%llu", (unsigned long long)w->index);
            return ENVELOPE_IO;
        }
        const uint8_t *from = own && off == 0 ? w->out : body + off;
        size_t send = n + (own && off == 0 ? ENV_PREFIX_LEN : 0) + (own && last ? tag_len : 0);
        if (!w->sink(w->sink_ctx, from, send))
            return ENVELOPE_IO;
        off += n;
    } while (off < len);
    if (!own && !w->sink(w->sink_ctx, tag, tag_len))
        return ENVELOPE_IO;
    if (EVP_DigestUpdate(w->trailer, tag, tag_len) != 1)
        return ENVELOPE_IO;
    w->index++;
    w->fill = 0;
    w->final_sent = final;
    return ENVELOPE_OK;
}

envelope_status envelope_writer_put_chunk(envelope_writer *w, void *data, size_t len, bool final)
{
    if (w->failed || w->finished || w->final_sent)
        return w->failed ? w->failed : ENVELOPE_IO;
    /* An empty chunk only as the whole of an empty object (the format). */
    if (w->fill != 0 || len > w->chunk_size || (!final && len != w->chunk_size) ||
        (len == 0 && w->index != 0)) {
        LOG_ERROR("envelope: put_chunk misused fill=%zu len=%zu final=%d", w->fill, len,
                  (int)final);
        return w->failed = ENVELOPE_IO;
    }
    envelope_status st = writer_emit(w, data, (uint32_t)len, final);
    return st == ENVELOPE_OK ? st : (w->failed = st);
}

envelope_status envelope_writer_write(envelope_writer *w, const void *data, size_t len)
{
    if (w->failed || w->finished || w->final_sent)
        return w->failed ? w->failed : ENVELOPE_IO;
    const uint8_t *p = data;
    while (len > 0) {
        /* A full chunk is sent only once more payload follows it, so that
         * the last chunk, full or not, is the one finish marks final. */
        if (w->fill == w->chunk_size) {
            envelope_status st = writer_emit(w, w->buf, (uint32_t)w->fill, false);
            if (st != ENVELOPE_OK)
                return w->failed = st;
        }
        size_t n = w->chunk_size - w->fill;
        if (n > len)
            n = len;
        memcpy(w->buf + w->fill, p, n);
        w->fill += n;
        p += n;
        len -= n;
    }
    return ENVELOPE_OK;
}

envelope_status envelope_writer_finish(envelope_writer *w, uint8_t digest_out[ENVELOPE_DIGEST_LEN])
{
    if (w->failed || w->finished)
        return w->failed ? w->failed : ENVELOPE_IO;
    envelope_status st = w->final_sent ? ENVELOPE_OK
                                       : writer_emit(w, w->buf, (uint32_t)w->fill, true);
    if (st != ENVELOPE_OK)
        return w->failed = st;
    uint8_t digest[ENVELOPE_DIGEST_LEN];
    if (EVP_DigestFinal_ex(w->trailer, digest, NULL) != 1 ||
        !w->sink(w->sink_ctx, digest, sizeof digest))
        return w->failed = ENVELOPE_IO;
    if (digest_out)
        memcpy(digest_out, digest, sizeof digest);
    w->finished = true;
    return ENVELOPE_OK;
}

/* ------------------------------------------------------------- reader */

struct envelope_reader {
    envelope_source_fn src;
    void *src_ctx;
    bool encrypted;
    uint32_t chunk_size;
    char key_id[ENVELOPE_KEY_ID_MAX + 1];
    uint8_t header_hash[ENVELOPE_DIGEST_LEN];
    uint8_t base_nonce[ENV_NONCE_LEN];
    uint64_t index;
    EVP_CIPHER_CTX *cipher;
    EVP_MD_CTX *trailer;
    uint8_t *in;            /* one framed chunk as read */
    uint8_t *plain;         /* verified payload of the current chunk */
    size_t plain_len, plain_pos;
    bool done;              /* final chunk, trailer and end of input verified */
    envelope_status failed; /* sticky */
    uint8_t digest[ENVELOPE_DIGEST_LEN];
};

/* Reads exactly n bytes. ENVELOPE_TRUNCATED at an early end of input. */
static envelope_status reader_exact(envelope_reader *r, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        size_t got = 0;
        if (!r->src(r->src_ctx, p, n, &got))
            return ENVELOPE_IO;
        if (got == 0)
            return ENVELOPE_TRUNCATED;
        if (got > n) {
            LOG_ERROR("envelope source returned more than asked got=%zu cap=%zu", got, n);
            return ENVELOPE_IO;
        }
        p += got;
        n -= got;
    }
    return ENVELOPE_OK;
}

void envelope_reader_free(envelope_reader *r)
{
    if (!r)
        return;
    EVP_CIPHER_CTX_free(r->cipher);
    EVP_MD_CTX_free(r->trailer);
    size_t framed = (size_t)r->chunk_size + ENV_PREFIX_LEN + ENVELOPE_DIGEST_LEN;
    if (r->in) {
        OPENSSL_cleanse(r->in, framed);
        free(r->in);
    }
    if (r->plain) {
        OPENSSL_cleanse(r->plain, r->chunk_size);
        free(r->plain);
    }
    free(r);
}

/* Reads and checks the header into r; hdr receives its bytes. */
static envelope_status reader_header(envelope_reader *r, uint8_t *hdr, size_t *hlen,
                                     uint8_t *wrapped, size_t *wrapped_len)
{
    envelope_status st = reader_exact(r, hdr, ENV_FIXED_LEN);
    if (st != ENVELOPE_OK)
        return st;
    if (memcmp(hdr, ENVELOPE_MAGIC, 8) != 0 || hdr[8] != ENVELOPE_VERSION ||
        (hdr[9] != ENV_MODE_GCM && hdr[9] != ENV_MODE_PLAIN) || get_u16(hdr + 10) != 0) {
        LOG_WARN("envelope: not an envelope or unknown version/mode");
        return ENVELOPE_BAD_HEADER;
    }
    r->encrypted = hdr[9] == ENV_MODE_GCM;
    r->chunk_size = get_u32(hdr + 12);
    size_t idlen = get_u16(hdr + 16);
    if (r->chunk_size == 0 || r->chunk_size > ENVELOPE_MAX_CHUNK || idlen > ENVELOPE_KEY_ID_MAX) {
        LOG_WARN("envelope: header limits exceeded chunk_size=%u key_id_len=%zu", r->chunk_size,
                 idlen);
        return ENVELOPE_BAD_HEADER;
    }
    size_t n = ENV_FIXED_LEN;
    if ((st = reader_exact(r, hdr + n, idlen + 2)) != ENVELOPE_OK)
        return st;
    memcpy(r->key_id, hdr + n, idlen);
    r->key_id[idlen] = '\0';
    n += idlen;
    *wrapped_len = get_u16(hdr + n);
    n += 2;
    if (memchr(r->key_id, '\0', idlen) || *wrapped_len > ENVELOPE_WRAPPED_MAX ||
        (r->encrypted ? (idlen == 0 || *wrapped_len == 0) : (idlen != 0 || *wrapped_len != 0))) {
        LOG_WARN("envelope: bad key fields key_id_len=%zu wrapped_len=%zu", idlen, *wrapped_len);
        return ENVELOPE_BAD_HEADER;
    }
    if ((st = reader_exact(r, hdr + n, *wrapped_len + ENV_NONCE_LEN)) != ENVELOPE_OK)
        return st;
    memcpy(wrapped, hdr + n, *wrapped_len);
    n += *wrapped_len;
    memcpy(r->base_nonce, hdr + n, ENV_NONCE_LEN);
    n += ENV_NONCE_LEN;
    *hlen = n;
    return ENVELOPE_OK;
}

envelope_reader *envelope_reader_new(envelope_source_fn src, void *src_ctx,
                                     envelope_unwrap_fn unwrap, void *unwrap_ctx,
                                     envelope_status *st)
{
    envelope_reader *r = xcalloc(1, sizeof *r);
    r->src = src;
    r->src_ctx = src_ctx;
    uint8_t *hdr = xmalloc(ENV_HEADER_MAX);
    uint8_t wrapped[ENVELOPE_WRAPPED_MAX];
    uint8_t key[ENVELOPE_DATA_KEY_LEN];
    size_t hlen = 0, wrapped_len = 0;
    *st = reader_header(r, hdr, &hlen, wrapped, &wrapped_len);
    if (*st != ENVELOPE_OK)
        goto done;
    sha256(hdr, hlen, "", 0, r->header_hash);
    r->trailer = EVP_MD_CTX_new();
    if (!r->trailer || EVP_DigestInit_ex(r->trailer, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(r->trailer, hdr, hlen) != 1) {
        *st = ENVELOPE_IO;
        goto done;
    }
    if (r->encrypted) {
        if (!unwrap) {
            LOG_WARN("envelope: encrypted object and no key service key_id=%s", r->key_id);
            *st = ENVELOPE_KEY;
            goto done;
        }
        size_t key_len = sizeof key;
        *st = unwrap(unwrap_ctx, r->key_id, wrapped, wrapped_len, key, &key_len);
        if (*st == ENVELOPE_OK && key_len != ENVELOPE_DATA_KEY_LEN) {
            LOG_WARN("envelope: unwrapped key has the wrong length len=%zu", key_len);
            *st = ENVELOPE_CORRUPT;
        }
        if (*st != ENVELOPE_OK)
            goto done;
        r->cipher = EVP_CIPHER_CTX_new();
        if (!r->cipher ||
            EVP_DecryptInit_ex(r->cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
            EVP_CIPHER_CTX_ctrl(r->cipher, EVP_CTRL_GCM_SET_IVLEN, ENV_NONCE_LEN, NULL) != 1 ||
            EVP_DecryptInit_ex(r->cipher, NULL, NULL, key, r->base_nonce) != 1) {
            LOG_ERROR("envelope: cipher init failed");
            *st = ENVELOPE_IO;
            goto done;
        }
    }
    r->in = xmalloc((size_t)r->chunk_size + ENV_PREFIX_LEN + ENVELOPE_DIGEST_LEN);
    r->plain = xmalloc(r->chunk_size);
done:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(wrapped, sizeof wrapped);
    free(hdr);
    if (*st != ENVELOPE_OK) {
        envelope_reader_free(r);
        return NULL;
    }
    return r;
}

bool envelope_reader_encrypted(const envelope_reader *r)
{
    return r->encrypted;
}

const char *envelope_reader_key_id(const envelope_reader *r)
{
    return r->key_id;
}

/* After the final chunk: the trailer must match and the input must end. */
static envelope_status reader_trailer(envelope_reader *r)
{
    uint8_t want[ENVELOPE_DIGEST_LEN];
    envelope_status st = reader_exact(r, r->digest, sizeof r->digest);
    if (st != ENVELOPE_OK)
        return st;
    if (EVP_DigestFinal_ex(r->trailer, want, NULL) != 1)
        return ENVELOPE_IO;
    if (CRYPTO_memcmp(want, r->digest, sizeof want) != 0) {
        LOG_WARN("envelope: trailer digest mismatch");
        return ENVELOPE_CORRUPT;
    }
    uint8_t extra;
    size_t got = 0;
    if (!r->src(r->src_ctx, &extra, 1, &got))
        return ENVELOPE_IO;
    if (got != 0) {
        LOG_WARN("envelope: bytes after the trailer");
        return ENVELOPE_CORRUPT;
    }
    return ENVELOPE_OK;
}

/* Reads, verifies and decrypts the next chunk into r->plain. */
static envelope_status reader_next_chunk(envelope_reader *r)
{
    envelope_status st = reader_exact(r, r->in, ENV_PREFIX_LEN);
    if (st != ENVELOPE_OK)
        return st;
    uint8_t flags = r->in[0];
    uint32_t len = get_u32(r->in + 1);
    bool final = flags & ENV_FLAG_FINAL;
    if ((flags & ~ENV_FLAG_FINAL) || len > r->chunk_size || (!final && len != r->chunk_size)) {
        LOG_WARN("envelope: bad chunk framing chunk=%llu flags=%u len=%u",
                 (unsigned long long)r->index, flags, len);
        return ENVELOPE_CORRUPT;
    }
    size_t tag_len = r->encrypted ? ENV_TAG_LEN : ENVELOPE_DIGEST_LEN;
    uint8_t *body = r->in + ENV_PREFIX_LEN;
    uint8_t *tag = body + len;
    if ((st = reader_exact(r, body, len + tag_len)) != ENVELOPE_OK)
        return st;
    uint8_t aad[ENV_AAD_LEN];
    chunk_aad(r->header_hash, r->index, flags, len, aad);
    bool good;
    if (r->encrypted) {
        uint8_t nonce[ENV_NONCE_LEN];
        chunk_nonce(r->base_nonce, r->index, nonce);
        int n = 0;
        good = EVP_DecryptInit_ex(r->cipher, NULL, NULL, NULL, nonce) == 1 &&
               EVP_DecryptUpdate(r->cipher, NULL, &n, aad, sizeof aad) == 1 &&
               (len == 0 || EVP_DecryptUpdate(r->cipher, r->plain, &n, body, (int)len) == 1) &&
               EVP_CIPHER_CTX_ctrl(r->cipher, EVP_CTRL_GCM_SET_TAG, ENV_TAG_LEN, tag) == 1 &&
               EVP_DecryptFinal_ex(r->cipher, r->plain + len, &n) == 1;
    } else {
        uint8_t want[ENVELOPE_DIGEST_LEN];
        sha256(aad, sizeof aad, body, len, want);
        good = CRYPTO_memcmp(want, tag, sizeof want) == 0;
        if (good)
            memcpy(r->plain, body, len);
    }
    if (!good) {
        OPENSSL_cleanse(r->plain, r->chunk_size);
        LOG_WARN("envelope: chunk failed verification chunk=%llu", (unsigned long long)r->index);
        return ENVELOPE_CORRUPT;
    }
    if (EVP_DigestUpdate(r->trailer, tag, tag_len) != 1)
        return ENVELOPE_IO;
    r->plain_len = len;
    r->plain_pos = 0;
    r->index++;
    if (final) {
        if ((st = reader_trailer(r)) != ENVELOPE_OK) {
            /* The payload of a final chunk is released only with a
             * trailer that verified: a forged end must not leak through. */
            OPENSSL_cleanse(r->plain, r->chunk_size);
            r->plain_len = 0;
            return st;
        }
        r->done = true;
    }
    return ENVELOPE_OK;
}

ssize_t envelope_reader_read(envelope_reader *r, void *buf, size_t cap, envelope_status *st)
{
    for (;;) {
        if (r->failed) {
            *st = r->failed;
            return -1;
        }
        if (r->plain_pos < r->plain_len) {
            size_t n = r->plain_len - r->plain_pos;
            if (n > cap)
                n = cap;
            if (n > SSIZE_MAX)
                n = SSIZE_MAX;
            memcpy(buf, r->plain + r->plain_pos, n);
            r->plain_pos += n;
            *st = ENVELOPE_OK;
            return (ssize_t)n;
        }
        if (r->done) {
            *st = ENVELOPE_OK;
            return 0;
        }
        envelope_status s = reader_next_chunk(r);
        if (s != ENVELOPE_OK)
            r->failed = s;
    }
}

bool envelope_reader_digest(const envelope_reader *r, uint8_t out[ENVELOPE_DIGEST_LEN])
{
    if (!r->done)
        return false;
    memcpy(out, r->digest, ENVELOPE_DIGEST_LEN);
    return true;
}

/* ------------------------------------------------------- whole streams */

#define ENV_COPY_BUF (1024 * 1024)

envelope_status envelope_seal(const envelope_opts *opts, envelope_source_fn src, void *src_ctx,
                              envelope_sink_fn sink, void *sink_ctx,
                              uint8_t digest_out[ENVELOPE_DIGEST_LEN])
{
    envelope_status st;
    envelope_writer *w = envelope_writer_new(opts, sink, sink_ctx, &st);
    if (!w)
        return st;
    uint8_t *buf = xmalloc(ENV_COPY_BUF);
    for (;;) {
        size_t got = 0;
        if (!src(src_ctx, buf, ENV_COPY_BUF, &got)) {
            st = ENVELOPE_IO;
            break;
        }
        if (got == 0) {
            st = envelope_writer_finish(w, digest_out);
            break;
        }
        if ((st = envelope_writer_write(w, buf, got)) != ENVELOPE_OK)
            break;
    }
    OPENSSL_cleanse(buf, ENV_COPY_BUF);
    free(buf);
    envelope_writer_free(w);
    return st;
}

envelope_status envelope_open(envelope_source_fn src, void *src_ctx, envelope_unwrap_fn unwrap,
                              void *unwrap_ctx, envelope_sink_fn sink, void *sink_ctx,
                              uint8_t digest_out[ENVELOPE_DIGEST_LEN])
{
    envelope_status st;
    envelope_reader *r = envelope_reader_new(src, src_ctx, unwrap, unwrap_ctx, &st);
    if (!r)
        return st;
    uint8_t *buf = xmalloc(ENV_COPY_BUF);
    for (;;) {
        ssize_t n = envelope_reader_read(r, buf, ENV_COPY_BUF, &st);
        if (n < 0)
            break;
        if (n == 0) {
            if (digest_out)
                envelope_reader_digest(r, digest_out);
            break;
        }
        if (!sink(sink_ctx, buf, (size_t)n)) {
            st = ENVELOPE_IO;
            break;
        }
    }
    OPENSSL_cleanse(buf, ENV_COPY_BUF);
    free(buf);
    envelope_reader_free(r);
    return st;
}
