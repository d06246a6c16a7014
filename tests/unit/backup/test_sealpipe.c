/* sealpipe: what goes in by pieces of any size comes out of the object
 * whole and in order (the last block final whether full or not), and a
 * sink that fails stops the receiver instead of leaving it waiting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/common.h"
#include "backup/sealpipe.h"
#include "lib/envelope.h"
#include "lib/log.h"
#include "lib/tap.h"
#include "lib/util.h"

static bool mem_write(void *ctx, const void *buf, size_t len)
{
    sbuf_append(ctx, buf, len);
    return true;
}

/* Fails from the n-th call on (ctx: the calls left). */
static bool failing_write(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    (void)len;
    int *left = ctx;
    return (*left)-- > 0;
}

typedef struct {
    const uint8_t *p;
    size_t len, pos;
} mem_src;

static bool mem_read(void *ctx, void *buf, size_t cap, size_t *got)
{
    mem_src *s = ctx;
    size_t n = s->len - s->pos < cap ? s->len - s->pos : cap;
    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    *got = n;
    return true;
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

/* len bytes through a pipe in pieces of `piece`, then opened again. */
static void round_trip(size_t len, size_t piece)
{
    const size_t B = BACKUP_IO_SIZE;
    uint8_t *data = pattern(len, (unsigned)(len + piece));
    sbuf obj = {0};
    envelope_opts eo = {.chunk_size = B};
    envelope_status st;
    envelope_writer *w = envelope_writer_new(&eo, mem_write, &obj, &st);
    sealpipe *p = w ? sealpipe_start(w) : NULL;
    bool fed = p != NULL;
    for (size_t off = 0; fed && off < len; off += piece)
        fed = sealpipe_write(p, data + off, len - off < piece ? len - off : piece);
    st = p ? sealpipe_finish(p, true) : ENVELOPE_IO;
    if (st == ENVELOPE_OK)
        st = envelope_writer_finish(w, NULL);
    envelope_writer_free(w);
    sbuf plain = {0};
    mem_src src = {(const uint8_t *)obj.data, obj.len, 0};
    envelope_status ost = st == ENVELOPE_OK
                              ? envelope_open(mem_read, &src, NULL, NULL, mem_write, &plain, NULL)
                              : st;
    char name[128];
    snprintf(name, sizeof name, "%zu bytes in pieces of %zu: sealed, opened, equal", len, piece);
    ok(fed && st == ENVELOPE_OK && ost == ENVELOPE_OK && plain.len == len &&
           (len == 0 || memcmp(plain.data, data, len) == 0),
       name);
    sbuf_free(&plain);
    sbuf_free(&obj);
    free(data);
}

/* A sink that fails after `calls`: the receiver is told, never stuck. */
static void failing(int calls)
{
    const size_t B = BACKUP_IO_SIZE;
    size_t len = (SEALPIPE_BLOCKS + 4) * B;
    uint8_t *data = pattern(len, 3);
    int left = 1; /* the header */
    envelope_opts eo = {.chunk_size = B};
    envelope_status st;
    envelope_writer *w = envelope_writer_new(&eo, failing_write, &left, &st);
    left = calls;
    sealpipe *p = sealpipe_start(w);
    bool fed = true;
    for (size_t off = 0; fed && off < len; off += 32768)
        fed = sealpipe_write(p, data + off, 32768);
    st = sealpipe_finish(p, fed);
    char name[128];
    snprintf(name, sizeof name, "a sink failing at call %d fails the pipe", calls);
    ok(st == ENVELOPE_IO, name);
    envelope_writer_free(w);
    free(data);
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    const size_t B = BACKUP_IO_SIZE;
    struct {
        size_t len, piece;
    } cases[] = {
        {0, 1},
        {1, 1},
        {B - 1, 32768},
        {B, 32768},
        {B + 1, 32768},
        {3 * B, B},
        {SEALPIPE_BLOCKS * B, 7919},
        {(2 * SEALPIPE_BLOCKS + 1) * B + 12345, 32773},
        {5 * B, 3 * B + 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        round_trip(cases[i].len, cases[i].piece);
    failing(0);
    failing(3);
    failing(40);

    /* Ended without flush (the backup failed): nothing more is sealed
     * and the object has no final chunk, which no reader accepts. */
    sbuf obj = {0};
    envelope_opts eo = {.chunk_size = B};
    envelope_status st;
    envelope_writer *w = envelope_writer_new(&eo, mem_write, &obj, &st);
    sealpipe *p = sealpipe_start(w);
    uint8_t *data = pattern(B + 10, 5);
    sealpipe_write(p, data, B + 10);
    ok(sealpipe_finish(p, false) == ENVELOPE_OK, "a pipe ended without flush");
    envelope_writer_free(w);
    sbuf plain = {0};
    mem_src src = {(const uint8_t *)obj.data, obj.len, 0};
    ok(envelope_open(mem_read, &src, NULL, NULL, mem_write, &plain, NULL) == ENVELOPE_TRUNCATED,
       "what it left is refused as truncated");
    sbuf_free(&plain);
    sbuf_free(&obj);
    free(data);
    return done_testing();
}
