/* sealpipe: see sealpipe.h.
 *
 * The blocks form a ring: [tail, head) are full and wait for the sealing
 * thread (which works on block tail, and only then advances tail); the
 * receiver fills block head, which is free while head - tail < BLOCKS.
 * One mutex guards head, tail, the lengths and the flags; the block bytes
 * need none, since a block belongs to one side at a time (invariant 1 of
 * the header). */
#include "backup/sealpipe.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/common.h"
#include "lib/util.h"

/* A block is one chunk of the object (cmd_snapshot's chunk size). */
#define BLOCK_SIZE BACKUP_IO_SIZE

struct sealpipe {
    envelope_writer *w;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled; /* head moved, or closed: the sealer's wake-up */
    pthread_cond_t freed;  /* tail moved, or a failure: the receiver's */
    uint8_t *block[SEALPIPE_BLOCKS];
    size_t len[SEALPIPE_BLOCKS];
    unsigned head, tail;   /* counters; a block is [n % SEALPIPE_BLOCKS] */
    size_t fill;           /* bytes in block head (the receiver's own) */
    bool closed;           /* no block will follow */
    bool drop;             /* closed without flush: seal nothing more */
    envelope_status st;    /* the writer's first failure (sticky) */
};

/* The sealing thread: seals block tail in place (envelope_writer_put_chunk:
 * no copy) once it is known whether it is the last — a later block is
 * full, or the receiver closed the pipe. */
static void *seal_loop(void *arg)
{
    sealpipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head - p->tail < 2 && !p->closed)
            pthread_cond_wait(&p->filled, &p->mu);
        if (p->tail == p->head || p->drop)
            break;
        unsigned i = p->tail % SEALPIPE_BLOCKS;
        size_t len = p->len[i];
        bool final = p->closed && p->tail + 1 == p->head;
        pthread_mutex_unlock(&p->mu);
        envelope_status st = envelope_writer_put_chunk(p->w, p->block[i], len, final);
        pthread_mutex_lock(&p->mu);
        p->tail++;
        if (st != ENVELOPE_OK)
            p->st = st;
        pthread_cond_signal(&p->freed);
        if (st != ENVELOPE_OK)
            break;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

sealpipe *sealpipe_start(envelope_writer *w)
{
    sealpipe *p = xcalloc(1, sizeof *p);
    p->w = w;
    p->st = ENVELOPE_OK;
    for (int i = 0; i < SEALPIPE_BLOCKS; i++)
        p->block[i] = xmalloc(BLOCK_SIZE);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->filled, NULL);
    pthread_cond_init(&p->freed, NULL);
    int err = pthread_create(&p->thread, NULL, seal_loop, p);
    if (err != 0) {
        failf(EXIT_FAIL, "cannot start the sealing thread", strerror(err));
        p->closed = true;
        sealpipe_finish(p, false);
        return NULL;
    }
    return p;
}

/* Hands block head to the sealer and waits until the next one is free.
 * False once the sealing failed (invariant 3). */
static bool hand_over(sealpipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->len[p->head % SEALPIPE_BLOCKS] = p->fill;
    p->head++;
    pthread_cond_signal(&p->filled);
    while (p->head - p->tail == SEALPIPE_BLOCKS && p->st == ENVELOPE_OK)
        pthread_cond_wait(&p->freed, &p->mu);
    bool ok = p->st == ENVELOPE_OK;
    pthread_mutex_unlock(&p->mu);
    p->fill = 0;
    return ok;
}

bool sealpipe_write(void *ctx, const void *buf, size_t len)
{
    sealpipe *p = ctx;
    const uint8_t *src = buf;
    while (len > 0) {
        if (p->fill == BLOCK_SIZE && !hand_over(p))
            return false;
        size_t n = BLOCK_SIZE - p->fill;
        if (n > len)
            n = len;
        memcpy(p->block[p->head % SEALPIPE_BLOCKS] + p->fill, src, n);
        p->fill += n;
        src += n;
        len -= n;
    }
    pthread_mutex_lock(&p->mu);
    bool ok = p->st == ENVELOPE_OK;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

envelope_status sealpipe_finish(sealpipe *p, bool flush)
{
    pthread_mutex_lock(&p->mu);
    bool started = !p->closed;
    if (flush && p->fill > 0 && p->st == ENVELOPE_OK) {
        /* Block head is the receiver's, so always free to hand over. */
        p->len[p->head % SEALPIPE_BLOCKS] = p->fill;
        p->head++;
    }
    p->closed = true;
    p->drop = !flush;
    pthread_cond_signal(&p->filled);
    pthread_mutex_unlock(&p->mu);
    if (started)
        pthread_join(p->thread, NULL);
    envelope_status st = p->st;
    for (int i = 0; i < SEALPIPE_BLOCKS; i++) {
        OPENSSL_cleanse(p->block[i], BLOCK_SIZE); /* a tenant's plaintext */
        free(p->block[i]);
    }
    pthread_cond_destroy(&p->freed);
    pthread_cond_destroy(&p->filled);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return st;
}
