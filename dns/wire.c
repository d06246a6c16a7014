/* wire: bounds-checked reading and bounded writing of DNS messages. See
 * wire.h for the contract.
 *
 * Invariants that keep untrusted input harmless:
 *  1. every read checks c->pos + n <= c->len before touching a byte;
 *  2. name decoding writes at most WIRE_NAME_MAX octets into out, and each
 *     compression pointer must land strictly before the previous jump, so
 *     decoding always terminates (and WIRE_PTR_HOPS_MAX bounds the work);
 *  3. every write checks w->pos + n <= w->limit. */
#include "dns/wire.h"

#include <string.h>

/* ---- reading ---- */

void wire_cursor_init(wire_cursor *c, const uint8_t *buf, size_t len)
{
    c->buf = buf;
    c->len = len;
    c->pos = 0;
}

size_t wire_cursor_left(const wire_cursor *c) { return c->len - c->pos; }

bool wire_read_u8(wire_cursor *c, uint8_t *v)
{
    if (wire_cursor_left(c) < 1)
        return false;
    *v = c->buf[c->pos++];
    return true;
}

bool wire_read_u16(wire_cursor *c, uint16_t *v)
{
    if (wire_cursor_left(c) < 2)
        return false;
    *v = (uint16_t)((c->buf[c->pos] << 8) | c->buf[c->pos + 1]);
    c->pos += 2;
    return true;
}

bool wire_read_u32(wire_cursor *c, uint32_t *v)
{
    if (wire_cursor_left(c) < 4)
        return false;
    const uint8_t *p = c->buf + c->pos;
    *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    c->pos += 4;
    return true;
}

bool wire_skip(wire_cursor *c, size_t n)
{
    if (wire_cursor_left(c) < n)
        return false;
    c->pos += n;
    return true;
}

bool wire_read_name(wire_cursor *c, uint8_t out[WIRE_NAME_MAX], size_t *out_len)
{
    size_t pos = c->pos;   /* where the next label byte is read */
    size_t end = 0;        /* cursor position after the name, set at the first pointer */
    size_t floor = pos;    /* every pointer must land strictly below this */
    size_t n = 0;          /* octets written to out */
    int hops = 0;

    for (;;) {
        if (pos >= c->len)
            return false;
        uint8_t b = c->buf[pos];
        switch (b & 0xC0) {
        case 0x00:
            if (b == 0) {
                if (n + 1 > WIRE_NAME_MAX)
                    return false;
                out[n++] = 0;
                c->pos = end ? end : pos + 1;
                *out_len = n;
                return true;
            }
            /* b <= 63 by the mask; the label and the final root must fit. */
            if (pos + 1 + b > c->len || n + 1 + b + 1 > WIRE_NAME_MAX)
                return false;
            memcpy(out + n, c->buf + pos, (size_t)b + 1);
            n += (size_t)b + 1;
            pos += (size_t)b + 1;
            break;
        case 0xC0: {
            if (pos + 2 > c->len || ++hops > WIRE_PTR_HOPS_MAX)
                return false;
            size_t target = (size_t)((b & 0x3F) << 8) | c->buf[pos + 1];
            if (target >= floor)
                return false; /* forward, self or loop */
            if (!end)
                end = pos + 2;
            floor = target;
            pos = target;
            break;
        }
        default:
            return false; /* 0x40 extended and 0x80 reserved label types */
        }
    }
}

bool wire_read_header(wire_cursor *c, wire_header *h)
{
    if (wire_cursor_left(c) < WIRE_HEADER_LEN)
        return false;
    wire_read_u16(c, &h->id);
    wire_read_u16(c, &h->flags);
    wire_read_u16(c, &h->qdcount);
    wire_read_u16(c, &h->ancount);
    wire_read_u16(c, &h->nscount);
    wire_read_u16(c, &h->arcount);
    return true;
}

bool wire_read_question(wire_cursor *c, uint8_t name[WIRE_NAME_MAX], size_t *name_len,
                        uint16_t *qtype, uint16_t *qclass)
{
    size_t start = c->pos;
    if (!wire_read_name(c, name, name_len))
        return false;
    if (!wire_read_u16(c, qtype) || !wire_read_u16(c, qclass)) {
        c->pos = start;
        return false;
    }
    return true;
}

bool wire_read_rr(wire_cursor *c, wire_rr *rr)
{
    size_t start = c->pos;
    if (!wire_read_name(c, rr->name, &rr->name_len))
        return false;
    if (!wire_read_u16(c, &rr->type) || !wire_read_u16(c, &rr->rclass) ||
        !wire_read_u32(c, &rr->ttl) || !wire_read_u16(c, &rr->rdlength) ||
        wire_cursor_left(c) < rr->rdlength) {
        c->pos = start;
        return false;
    }
    rr->rdata = c->buf + c->pos;
    c->pos += rr->rdlength;
    return true;
}

/* The rdata of the types this server writes must decode exactly: names
 * (compressed against the message) and fixed fields, nothing left over. */
static bool wire_rdata_check(const uint8_t *msg, const wire_rr *rr)
{
    wire_cursor c;
    uint8_t name[WIRE_NAME_MAX];
    size_t nlen;
    size_t start = (size_t)(rr->rdata - msg);
    wire_cursor_init(&c, msg, start + rr->rdlength);
    c.pos = start;
    switch (rr->type) {
    case WIRE_TYPE_A:
        return rr->rdlength == 4;
    case WIRE_TYPE_CNAME:
    case WIRE_TYPE_NS:
        return wire_read_name(&c, name, &nlen) && wire_cursor_left(&c) == 0;
    case WIRE_TYPE_SOA:
        return wire_read_name(&c, name, &nlen) && wire_read_name(&c, name, &nlen) &&
               wire_cursor_left(&c) == 20;
    default:
        return true;
    }
}

bool wire_message_check(const uint8_t *buf, size_t len)
{
    wire_cursor c;
    wire_header h;
    wire_cursor_init(&c, buf, len);
    if (!wire_read_header(&c, &h))
        return false;
    for (unsigned i = 0; i < h.qdcount; i++) {
        uint8_t name[WIRE_NAME_MAX];
        size_t nlen;
        uint16_t t, k;
        if (!wire_read_question(&c, name, &nlen, &t, &k))
            return false;
    }
    unsigned rrs = (unsigned)h.ancount + h.nscount + h.arcount;
    for (unsigned i = 0; i < rrs; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr) || !wire_rdata_check(buf, &rr))
            return false;
    }
    return wire_cursor_left(&c) == 0;
}

/* ---- names ---- */

static bool wire_label_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

/* Branch-free ASCII lowercase: sets 0x20 exactly for 'A'..'Z'. */
static inline uint8_t wire_lower(uint8_t b)
{
    return (uint8_t)(b | ((uint8_t)(b - 'A') < 26u) << 5);
}

bool wire_name_from_text(const char *text, uint8_t out[WIRE_NAME_MAX], size_t *out_len)
{
    size_t tlen = strlen(text);
    if (tlen > 0 && text[tlen - 1] == '.')
        tlen--;
    size_t n = 0;
    size_t i = 0;
    while (i < tlen) {
        size_t j = i;
        while (j < tlen && text[j] != '.') {
            if (!wire_label_char_ok(text[j]))
                return false;
            j++;
        }
        size_t llen = j - i;
        if (llen == 0 || llen > WIRE_LABEL_MAX || n + 1 + llen + 1 > WIRE_NAME_MAX)
            return false;
        out[n++] = (uint8_t)llen;
        for (size_t k = i; k < j; k++)
            out[n++] = wire_lower((uint8_t)text[k]);
        i = j + 1;
        if (j < tlen && i == tlen)
            return false; /* "a..": an empty label after the stripped dot */
    }
    out[n++] = 0;
    *out_len = n;
    return true;
}

bool wire_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    size_t i = 0;
    if (cap == 0)
        return false;
    while (i < len && name[i] != 0) {
        size_t llen = name[i];
        if (llen > WIRE_LABEL_MAX || i + 1 + llen >= len)
            return false;
        if (o > 0) {
            if (o + 1 >= cap)
                return false;
            out[o++] = '.';
        }
        for (size_t k = i + 1; k <= i + llen; k++) {
            char ch = (char)name[k];
            if (wire_label_char_ok(ch)) {
                if (o + 1 >= cap)
                    return false;
                out[o++] = ch;
            } else {
                if (o + 4 >= cap)
                    return false;
                out[o++] = '\\';
                out[o++] = (char)('0' + name[k] / 100);
                out[o++] = (char)('0' + name[k] / 10 % 10);
                out[o++] = (char)('0' + name[k] % 10);
            }
        }
        i += llen + 1;
    }
    if (i >= len)
        return false; /* no root label */
    out[o] = '\0';
    return true;
}

void wire_name_lower(const uint8_t *name, size_t len, uint8_t *out)
{
    /* Length octets are <= 63, below 'A', so lowering every byte is safe. */
    for (size_t i = 0; i < len; i++)
        out[i] = wire_lower(name[i]);
}

bool wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return false;
    if (memcmp(a, b, alen) == 0)
        return true; /* the common case: same spelling */
    for (size_t i = 0; i < alen; i++)
        if (wire_lower(a[i]) != wire_lower(b[i]))
            return false;
    return true;
}

bool wire_name_in(const uint8_t *name, size_t len, const uint8_t *apex, size_t apex_len)
{
    if (len < apex_len)
        return false;
    /* Walk label starts until the remaining suffix has the apex's length. */
    size_t i = 0;
    while (len - i > apex_len) {
        if (name[i] == 0)
            return false;
        i += (size_t)name[i] + 1;
    }
    return len - i == apex_len && wire_name_equal(name + i, apex_len, apex, apex_len);
}

/* ---- writing ---- */

void wire_writer_init(wire_writer *w, uint8_t *buf, size_t limit)
{
    w->buf = buf;
    w->limit = limit;
    w->pos = 0;
    w->overflow = false;
    w->ncomp = 0;
}

wire_mark wire_writer_mark(const wire_writer *w) { return (wire_mark){w->pos, w->ncomp}; }

void wire_writer_rollback(wire_writer *w, wire_mark m)
{
    w->pos = m.pos;
    w->ncomp = m.ncomp;
    w->overflow = false;
}

bool wire_put_bytes(wire_writer *w, const void *p, size_t n)
{
    if (!wire_writer_room(w, n))
        return false;
    memcpy(w->buf + w->pos, p, n);
    w->pos += n;
    return true;
}

void wire_patch_u16(wire_writer *w, size_t off, uint16_t v)
{
    if (off + 2 > w->pos)
        return;
    w->buf[off] = (uint8_t)(v >> 8);
    w->buf[off + 1] = (uint8_t)v;
}

/* Offset of an earlier copy of the suffix, or -1. */
static int wire_comp_find(const wire_writer *w, const uint8_t *suffix, size_t len)
{
    for (size_t i = 0; i < w->ncomp; i++)
        if (wire_name_equal(w->comp[i].name, w->comp[i].len, suffix, len))
            return w->comp[i].off;
    return -1;
}

bool wire_put_name(wire_writer *w, const uint8_t *name, size_t len, bool compress)
{
    size_t i = 0;
    wire_mark start = wire_writer_mark(w);
    while (i < len && name[i] != 0) {
        if (compress) {
            int off = wire_comp_find(w, name + i, len - i);
            if (off >= 0) {
                if (!wire_put_u16(w, (uint16_t)(0xC000 | off)))
                    goto overflow;
                return true;
            }
        }
        /* Remember this suffix if a pointer can reach it (14-bit offset). */
        if (w->ncomp < WIRE_COMP_MAX && w->pos < 0x4000)
            w->comp[w->ncomp++] = (wire_comp_entry){name + i, (uint16_t)(len - i), (uint16_t)w->pos};
        if (!wire_put_bytes(w, name + i, (size_t)name[i] + 1))
            goto overflow;
        i += (size_t)name[i] + 1;
    }
    if (wire_put_u8(w, 0))
        return true;
overflow:
    /* Forget suffixes that point at bytes that were not written. */
    w->ncomp = start.ncomp;
    w->overflow = true;
    return false;
}

bool wire_put_header(wire_writer *w, const wire_header *h)
{
    return wire_put_u16(w, h->id) && wire_put_u16(w, h->flags) && wire_put_u16(w, h->qdcount) &&
           wire_put_u16(w, h->ancount) && wire_put_u16(w, h->nscount) &&
           wire_put_u16(w, h->arcount);
}
