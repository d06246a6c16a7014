/* envelope: round trips in both modes, every single-byte flip and every
 * truncation detected, reordered/dropped chunks, wrong or inaccessible
 * keys, header garbage, and no plaintext (nor data key) in the output. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "lib/envelope.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

#define TEST_KEY_ID "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"

/* ---- a toy key service: GCM under a test master key, AAD = key id ---- */

typedef struct {
    uint8_t master[32];
    bool refuse;                /* the key is "disabled" */
    uint8_t last_key[32];       /* the data key last wrapped, to look for it in output */
} toy_kms;

static bool toy_wrap(void *ctx, const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len,
                     char *key_id_out)
{
    toy_kms *k = ctx;
    if (k->refuse || len != 32 || *out_len < 12 + len + 16)
        return false;
    memcpy(k->last_key, plain, 32);
    RAND_bytes(out, 12);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n;
    bool good = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->master, out) == 1 &&
                EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)TEST_KEY_ID, (int)strlen(TEST_KEY_ID)) == 1 &&
                EVP_EncryptUpdate(c, out + 12, &n, plain, (int)len) == 1 &&
                EVP_EncryptFinal_ex(c, out + 12 + len, &n) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + len) == 1;
    EVP_CIPHER_CTX_free(c);
    *out_len = 12 + len + 16;
    snprintf(key_id_out, ENVELOPE_KEY_ID_MAX, "%s", TEST_KEY_ID);
    return good;
}

static envelope_status toy_unwrap(void *ctx, const char *key_id, const uint8_t *w, size_t wlen,
                                  uint8_t *plain, size_t *plain_len)
{
    toy_kms *k = ctx;
    if (k->refuse || strcmp(key_id, TEST_KEY_ID) != 0)
        return ENVELOPE_KEY;
    if (wlen < 28 || wlen - 28 > *plain_len)
        return ENVELOPE_CORRUPT;
    size_t len = wlen - 28;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n;
    bool good = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->master, w) == 1 &&
                EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)key_id, (int)strlen(key_id)) == 1 &&
                EVP_DecryptUpdate(c, plain, &n, w + 12, (int)len) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(w + 12 + len)) == 1 &&
                EVP_DecryptFinal_ex(c, plain + len, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    *plain_len = len;
    return good ? ENVELOPE_OK : ENVELOPE_CORRUPT;
}

/* ---- memory sources and sinks ---- */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
    size_t step; /* at most this much per call (0: all), to exercise short reads */
} mem_src;

static bool mem_read(void *ctx, void *buf, size_t cap, size_t *got)
{
    mem_src *s = ctx;
    size_t n = s->len - s->pos;
    if (n > cap)
        n = cap;
    if (s->step && n > s->step)
        n = s->step;
    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    *got = n;
    return true;
}

static bool mem_write(void *ctx, const void *buf, size_t len)
{
    sbuf_append(ctx, buf, len);
    return true;
}

static bool failing_write(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return false;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = xmalloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

/* Seals data with the writer fed in pieces of `piece` bytes. */
static sbuf seal(toy_kms *k, const uint8_t *data, size_t len, uint32_t chunk, size_t piece,
                 uint8_t digest[ENVELOPE_DIGEST_LEN], envelope_status *st)
{
    sbuf out = {0};
    envelope_opts o = {.wrap = k ? toy_wrap : NULL, .wrap_ctx = k, .chunk_size = chunk};
    envelope_writer *w = envelope_writer_new(&o, mem_write, &out, st);
    if (!w)
        return out;
    for (size_t off = 0; off < len && *st == ENVELOPE_OK; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        *st = envelope_writer_write(w, data + off, n);
    }
    if (*st == ENVELOPE_OK)
        *st = envelope_writer_finish(w, digest);
    envelope_writer_free(w);
    return out;
}

/* Opens an object; the plaintext goes to *plain. */
static envelope_status open_obj(toy_kms *k, const void *obj, size_t len, size_t step, sbuf *plain,
                                uint8_t digest[ENVELOPE_DIGEST_LEN])
{
    mem_src src = {obj, len, 0, step};
    return envelope_open(mem_read, &src, k ? toy_unwrap : NULL, k, mem_write, plain, digest);
}

static void test_round_trips(toy_kms *k)
{
    const size_t C = ENVELOPE_DEFAULT_CHUNK;
    const size_t sizes[] = {0, 1, C - 1, C, C + 1, 3 * C, 5 * 1024 * 1024 + 7};
    const size_t pieces[] = {1000, 7, C, 3 * C + 5, 1 << 20, 333, 1 << 20};
    for (int mode = 0; mode < 2; mode++) {
        toy_kms *kk = mode ? NULL : k;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            uint8_t *data = pattern(sizes[i], (unsigned)i);
            uint8_t d1[ENVELOPE_DIGEST_LEN], d2[ENVELOPE_DIGEST_LEN];
            envelope_status st;
            sbuf obj = seal(kk, data, sizes[i], 0, pieces[i], d1, &st);
            char name[128];
            snprintf(name, sizeof name, "%s: %zu bytes seal", mode ? "plain" : "gcm", sizes[i]);
            is_int(st, ENVELOPE_OK, name);
            sbuf plain = {0};
            st = open_obj(kk, obj.data, obj.len, i % 2 ? 4096 : 0, &plain, d2);
            snprintf(name, sizeof name, "%s: %zu bytes open", mode ? "plain" : "gcm", sizes[i]);
            is_int(st, ENVELOPE_OK, name);
            snprintf(name, sizeof name, "%s: %zu bytes equal, digests match", mode ? "plain" : "gcm",
                     sizes[i]);
            ok(plain.len == sizes[i] && (sizes[i] == 0 || memcmp(plain.data, data, sizes[i]) == 0) &&
                   memcmp(d1, d2, sizeof d1) == 0,
               name);
            sbuf_free(&plain);
            sbuf_free(&obj);
            free(data);
        }
    }
}

/* Seals data by whole chunks from the caller's buffer (put_chunk), as
 * rds-backup's sealing thread does: the last chunk held back until the
 * end is known. The buffer is consumed (encrypted in place). */
static sbuf seal_chunks(toy_kms *k, uint8_t *data, size_t len, uint32_t chunk,
                        uint8_t digest[ENVELOPE_DIGEST_LEN], envelope_status *st)
{
    sbuf out = {0};
    envelope_opts o = {.wrap = k ? toy_wrap : NULL, .wrap_ctx = k, .chunk_size = chunk};
    envelope_writer *w = envelope_writer_new(&o, mem_write, &out, st);
    if (!w)
        return out;
    size_t off = 0;
    do {
        size_t n = len - off < chunk ? len - off : chunk;
        *st = envelope_writer_put_chunk(w, data + off, n, off + n == len);
        off += n;
    } while (off < len && *st == ENVELOPE_OK);
    if (*st == ENVELOPE_OK)
        *st = envelope_writer_finish(w, digest);
    envelope_writer_free(w);
    return out;
}

static void test_put_chunk(toy_kms *k)
{
    const uint32_t C = 4096;
    const size_t sizes[] = {0, 1, C - 1, C, C + 1, 3 * C, 5 * C + 7};
    for (int mode = 0; mode < 2; mode++) {
        toy_kms *kk = mode ? NULL : k;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            uint8_t *data = pattern(sizes[i], (unsigned)i + 50);
            uint8_t *copy = pattern(sizes[i], (unsigned)i + 50);
            uint8_t d1[ENVELOPE_DIGEST_LEN], d2[ENVELOPE_DIGEST_LEN];
            envelope_status st;
            sbuf obj = seal_chunks(kk, copy, sizes[i], C, d1, &st);
            sbuf plain = {0};
            envelope_status ost = st == ENVELOPE_OK
                                      ? open_obj(kk, obj.data, obj.len, 0, &plain, d2)
                                      : st;
            char name[128];
            snprintf(name, sizeof name, "%s: %zu bytes put by chunks open, equal, digests match",
                     mode ? "plain" : "gcm", sizes[i]);
            ok(st == ENVELOPE_OK && ost == ENVELOPE_OK && plain.len == sizes[i] &&
                   (sizes[i] == 0 || memcmp(plain.data, data, sizes[i]) == 0) &&
                   memcmp(d1, d2, sizeof d1) == 0,
               name);
            sbuf_free(&plain);
            sbuf_free(&obj);
            free(copy);
            free(data);
        }
    }
    /* Misuse is refused, and sticks. */
    uint8_t *data = pattern(2 * C, 9);
    envelope_opts o = {.chunk_size = C};
    struct {
        const char *name;
        size_t pending, len;
        bool final;
    } bad[] = {
        {"a short chunk that is not final", 0, C - 1, false},
        {"more than a chunk", 0, C + 1, true},
        {"a chunk after payload pending from write", 10, C, false},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sbuf out = {0};
        envelope_status st;
        envelope_writer *w = envelope_writer_new(&o, mem_write, &out, &st);
        if (bad[i].pending)
            envelope_writer_write(w, data, bad[i].pending);
        st = envelope_writer_put_chunk(w, data, bad[i].len, bad[i].final);
        envelope_status fin = envelope_writer_finish(w, NULL);
        ok(st == ENVELOPE_IO && fin == ENVELOPE_IO, bad[i].name);
        envelope_writer_free(w);
        sbuf_free(&out);
    }
    sbuf out = {0};
    envelope_status st;
    envelope_writer *w = envelope_writer_new(&o, mem_write, &out, &st);
    envelope_writer_put_chunk(w, data, C, false);
    ok(envelope_writer_put_chunk(w, data, 0, true) == ENVELOPE_IO,
       "an empty final chunk after others is refused");
    envelope_writer_free(w);
    sbuf_free(&out);
    out = (sbuf){0};
    w = envelope_writer_new(&o, mem_write, &out, &st);
    envelope_writer_put_chunk(w, data, 10, true);
    ok(envelope_writer_write(w, data, 1) == ENVELOPE_IO &&
           envelope_writer_put_chunk(w, data, 1, true) == ENVELOPE_IO,
       "nothing goes after the final chunk but the trailer");
    ok(envelope_writer_finish(w, NULL) == ENVELOPE_OK, "finish after a final chunk put");
    envelope_writer_free(w);
    sbuf_free(&out);
    free(data);
}

/* Every byte of a small multi-chunk object flipped (three masks) must fail. */
static void test_flips(toy_kms *k)
{
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    uint8_t *data = pattern(50, 9);
    for (int mode = 0; mode < 2; mode++) {
        toy_kms *kk = mode ? NULL : k;
        envelope_status st;
        sbuf obj = seal(kk, data, 50, 16, 50, NULL, &st);
        int accepted = 0, tried = 0;
        for (size_t i = 0; i < obj.len; i++) {
            for (size_t m = 0; m < sizeof masks; m++) {
                obj.data[i] ^= (char)masks[m];
                sbuf plain = {0};
                if (open_obj(kk, obj.data, obj.len, 0, &plain, NULL) == ENVELOPE_OK) {
                    accepted++;
                    diag("flip accepted at byte %zu mask %#x", i, masks[m]);
                }
                tried++;
                sbuf_free(&plain);
                obj.data[i] ^= (char)masks[m];
            }
        }
        char name[96];
        snprintf(name, sizeof name, "%s: all %d single-byte flips of a %zu-byte object detected",
                 mode ? "plain" : "gcm", tried, obj.len);
        ok(accepted == 0 && tried > 100, name);
        sbuf plain = {0};
        ok(open_obj(kk, obj.data, obj.len, 0, &plain, NULL) == ENVELOPE_OK, "the unflipped object opens");
        sbuf_free(&plain);
        sbuf_free(&obj);
    }
    free(data);
}

/* Every prefix, at chunk boundaries and inside chunks, is truncated; bytes
 * after the end are refused. */
static void test_truncation(toy_kms *k)
{
    uint8_t *data = pattern(5000, 3);
    for (int mode = 0; mode < 2; mode++) {
        toy_kms *kk = mode ? NULL : k;
        envelope_status st;
        sbuf obj = seal(kk, data, 5000, 1024, 5000, NULL, &st);
        int wrong = 0;
        for (size_t len = 0; len < obj.len; len++) {
            sbuf plain = {0};
            if (open_obj(kk, obj.data, len, 0, &plain, NULL) != ENVELOPE_TRUNCATED)
                wrong++;
            sbuf_free(&plain);
        }
        char name[96];
        snprintf(name, sizeof name, "%s: each of %zu truncations reported as truncated",
                 mode ? "plain" : "gcm", obj.len);
        ok(wrong == 0, name);
        sbuf_append(&obj, "x", 1);
        sbuf plain = {0};
        is_int(open_obj(kk, obj.data, obj.len, 0, &plain, NULL), ENVELOPE_CORRUPT,
               mode ? "plain: a byte after the trailer is refused" : "gcm: a byte after the trailer is refused");
        sbuf_free(&plain);
        sbuf_free(&obj);
    }
    free(data);
}

/* Chunks moved around whole: swapped, dropped, duplicated, the final one
 * removed with the previous one's record kept. */
static void test_reorder(toy_kms *k)
{
    const uint32_t C = 16;
    uint8_t *data = pattern(4 * C + 3, 5); /* chunks 0..3 full, 4 final with 3 bytes */
    for (int mode = 0; mode < 2; mode++) {
        toy_kms *kk = mode ? NULL : k;
        size_t tag = mode ? 32 : 16, rec = 5 + C + tag;
        envelope_status st;
        sbuf obj = seal(kk, data, 4 * C + 3, C, 100, NULL, &st);
        size_t tail = 5 + 3 + tag + 32; /* final record and trailer */
        size_t hlen = obj.len - 4 * rec - tail;
        const char *h = obj.data;
        const char *r[4] = {h + hlen, h + hlen + rec, h + hlen + 2 * rec, h + hlen + 3 * rec};
        const char *fin = h + hlen + 4 * rec;
        struct {
            const char *name;
            int order[5]; /* record numbers, -1 ends; 4 = the final record with trailer */
        } cases[] = {
            {"swap chunks 1 and 2", {0, 2, 1, 3, 4}},
            {"drop chunk 2", {0, 1, 3, 4, -1}},
            {"duplicate chunk 0", {0, 0, 1, 2, 3}},
            {"chunks as they were", {0, 1, 2, 3, 4}},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            sbuf o = {0};
            sbuf_append(&o, h, hlen);
            for (int i = 0; i < 5 && cases[c].order[i] >= 0; i++) {
                int n = cases[c].order[i];
                if (n == 4)
                    sbuf_append(&o, fin, tail);
                else
                    sbuf_append(&o, r[n], rec);
            }
            sbuf plain = {0};
            envelope_status got = open_obj(kk, o.data, o.len, 0, &plain, NULL);
            char name[96];
            snprintf(name, sizeof name, "%s: %s", mode ? "plain" : "gcm", cases[c].name);
            if (c == 3)
                is_int(got, ENVELOPE_OK, name);
            else
                ok(got == ENVELOPE_CORRUPT || got == ENVELOPE_TRUNCATED, name);
            sbuf_free(&plain);
            sbuf_free(&o);
        }
        sbuf_free(&obj);
    }
    free(data);
}

static void test_keys(toy_kms *k)
{
    uint8_t *data = pattern(1000, 1);
    envelope_status st;
    sbuf obj = seal(k, data, 1000, 0, 1000, NULL, &st);
    toy_kms other = *k;
    other.master[0] ^= 1;
    sbuf plain = {0};
    is_int(open_obj(&other, obj.data, obj.len, 0, &plain, NULL), ENVELOPE_CORRUPT,
           "a wrapped key under another master key is refused");
    k->refuse = true;
    is_int(open_obj(k, obj.data, obj.len, 0, &plain, NULL), ENVELOPE_KEY,
           "an inaccessible key is reported as such");
    sbuf fail = seal(k, data, 10, 0, 10, NULL, &st);
    is_int(st, ENVELOPE_KEY, "sealing with an inaccessible key fails");
    ok(fail.len == 0, "and writes nothing");
    sbuf_free(&fail);
    k->refuse = false;
    is_int(open_obj(NULL, obj.data, obj.len, 0, &plain, NULL), ENVELOPE_KEY,
           "an encrypted object without a key service is refused");
    ok(plain.len == 0, "no plaintext came out of the failed opens");
    mem_src src = {(const uint8_t *)obj.data, obj.len, 0, 0};
    envelope_reader *r = envelope_reader_new(mem_read, &src, toy_unwrap, k, &st);
    ok(r && envelope_reader_encrypted(r) && strcmp(envelope_reader_key_id(r), TEST_KEY_ID) == 0,
       "the reader reports the KMS key id");
    envelope_reader_free(r);

    envelope_opts big = {.chunk_size = ENVELOPE_MAX_CHUNK + 1};
    sbuf out = {0};
    ok(!envelope_writer_new(&big, mem_write, &out, &st) && st == ENVELOPE_BAD_HEADER,
       "a chunk size over the limit is refused");
    envelope_opts plain_opts = {0};
    ok(!envelope_writer_new(&plain_opts, failing_write, NULL, &st) && st == ENVELOPE_IO,
       "a failing sink is an I/O error");
    sbuf_free(&obj);
    free(data);
}

static void test_garbage(toy_kms *k)
{
    envelope_status st;
    uint8_t *data = pattern(100, 2);
    sbuf good = seal(k, data, 100, 0, 100, NULL, &st);
    struct {
        const char *name;
        const char *bytes;
        size_t len;
        envelope_status want;
    } cases[] = {
        {"empty input", "", 0, ENVELOPE_TRUNCATED},
        {"a plain text file", "just some text, not an envelope at all\n", 39, ENVELOPE_BAD_HEADER},
        {"the magic alone", "RDSIMENC", 8, ENVELOPE_TRUNCATED},
        {"version 2", "RDSIMENC\x02\x01\x00\x00\x00\x01\x00\x00\x00\x00", 18, ENVELOPE_BAD_HEADER},
        {"mode 3", "RDSIMENC\x01\x03\x00\x00\x00\x01\x00\x00\x00\x00", 18, ENVELOPE_BAD_HEADER},
        {"reserved bits", "RDSIMENC\x01\x02\x00\x01\x00\x01\x00\x00\x00\x00", 18, ENVELOPE_BAD_HEADER},
        {"chunk size 0", "RDSIMENC\x01\x02\x00\x00\x00\x00\x00\x00\x00\x00", 18, ENVELOPE_BAD_HEADER},
        {"chunk size 4 GiB", "RDSIMENC\x01\x02\x00\x00\xff\xff\xff\xff\x00\x00", 18, ENVELOPE_BAD_HEADER},
        {"key id over the limit", "RDSIMENC\x01\x01\x00\x00\x00\x01\x00\x00\xff\xff", 18, ENVELOPE_BAD_HEADER},
        {"plain with a key id", "RDSIMENC\x01\x02\x00\x00\x00\x01\x00\x00\x00\x01k\x00\x00", 21, ENVELOPE_BAD_HEADER},
        {"gcm without a key id", "RDSIMENC\x01\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01w", 21, ENVELOPE_BAD_HEADER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sbuf plain = {0};
        is_int(open_obj(k, cases[i].bytes, cases[i].len, 0, &plain, NULL), cases[i].want, cases[i].name);
        sbuf_free(&plain);
    }
    /* Random garbage and random splices of a good object: no crash, no success. */
    int accepted = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t buf[512];
        size_t len = (size_t)(i * 37 % (int)sizeof buf);
        RAND_bytes(buf, sizeof buf);
        if (i % 2 && good.len < sizeof buf) {
            memcpy(buf, good.data, good.len);
            buf[i % good.len] ^= (uint8_t)(1 + i % 255);
            len = good.len;
        }
        sbuf plain = {0};
        if (open_obj(k, buf, len, 0, &plain, NULL) == ENVELOPE_OK)
            accepted++;
        sbuf_free(&plain);
    }
    ok(accepted == 0, "2000 random and mutated inputs refused without a crash");
    sbuf_free(&good);
    free(data);
}

/* A marker row repeated through the payload must not appear in the sealed
 * object, nor the data key; the plain mode keeps it (as expected). */
static void test_no_plaintext(toy_kms *k)
{
    static const char marker[] = "MARKER-ROW-7f3a9c secret customer data";
    sbuf payload = {0};
    while (payload.len < 1024 * 1024)
        sbuf_printf(&payload, "%zu|%s\n", payload.len, marker);
    envelope_status st;
    sbuf obj = seal(k, (const uint8_t *)payload.data, payload.len, 0, 4096, NULL, &st);
    ok(st == ENVELOPE_OK && !memmem(obj.data, obj.len, marker, 10), "no marker in the sealed object");
    ok(!memmem(obj.data, obj.len, k->last_key, sizeof k->last_key), "the data key is not in the object");
    sbuf obj2 = seal(k, (const uint8_t *)payload.data, payload.len, 0, 4096, NULL, &st);
    ok(obj.len == obj2.len && memcmp(obj.data, obj2.data, obj.len) != 0,
       "the same payload seals differently each time (fresh key and nonce)");
    sbuf plain = seal(NULL, (const uint8_t *)payload.data, payload.len, 0, 4096, NULL, &st);
    ok(memmem(plain.data, plain.len, marker, 10) != NULL, "the plain mode keeps the payload readable");
    sbuf_free(&plain);
    sbuf_free(&obj2);
    sbuf_free(&obj);
    sbuf_free(&payload);
}

int main(void)
{
    /* Every refused object logs a warning; thousands of them are expected. */
    log_set_level(LOG_LEVEL_ERROR);
    toy_kms k = {0};
    RAND_bytes(k.master, sizeof k.master);
    test_round_trips(&k);
    test_put_chunk(&k);
    test_flips(&k);
    test_truncation(&k);
    test_reorder(&k);
    test_keys(&k);
    test_garbage(&k);
    test_no_plaintext(&k);
    is_str(envelope_status_name(ENVELOPE_TRUNCATED), "truncated", "status names");
    return done_testing();
}
