/* wire: the DNS wire format (RFC 1035 §4), read and written with bounds.
 *
 * Reading goes through a cursor over untrusted bytes: every read checks
 * the remaining length and fails cleanly (false) instead of reading past
 * the end. Names are decoded to their uncompressed wire form (length-
 * prefixed labels ending with the root label 0), which is what the rest
 * of dns/ compares and stores; the case of the bytes is kept (0x20).
 *
 * Writing goes through a writer bounded by a limit (the payload size the
 * client can take): a write that does not fit sets a sticky overflow
 * flag, so a caller writes a whole RR and checks once, then rolls back to
 * a mark. Owner names and rdata names are compressed against names
 * written earlier in the same message (RFC 1035 §4.1.4).
 *
 * Nothing here allocates. */
#ifndef RDSIM_DNS_WIRE_H
#define RDSIM_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_NAME_MAX     255 /* octets of an uncompressed name, incl. root (RFC 1035 §3.1) */
#define WIRE_LABEL_MAX    63
#define WIRE_HEADER_LEN   12
#define WIRE_PTR_HOPS_MAX 128 /* compression pointers followed per name (cf. c-ares #1164) */
#define WIRE_COMP_MAX     32  /* name suffixes remembered for compression per message */

/* Record types and classes the server knows by name. */
enum {
    WIRE_TYPE_A = 1,
    WIRE_TYPE_NS = 2,
    WIRE_TYPE_CNAME = 5,
    WIRE_TYPE_SOA = 6,
    WIRE_TYPE_AAAA = 28,
    WIRE_TYPE_OPT = 41,
    WIRE_TYPE_IXFR = 251,
    WIRE_TYPE_AXFR = 252,
    WIRE_TYPE_MAILB = 253,
    WIRE_TYPE_MAILA = 254,
    WIRE_TYPE_ANY = 255,
};
enum { WIRE_CLASS_IN = 1, WIRE_CLASS_ANY = 255 };

/* Header flag bits in the 16-bit flags word. */
enum {
    WIRE_FLAG_QR = 0x8000,
    WIRE_FLAG_AA = 0x0400,
    WIRE_FLAG_TC = 0x0200,
    WIRE_FLAG_RD = 0x0100,
    WIRE_FLAG_RA = 0x0080,
};
#define WIRE_OPCODE(flags) (((flags) >> 11) & 0xF)
#define WIRE_RCODE(flags)  ((flags)&0xF)

enum {
    WIRE_RCODE_NOERROR = 0,
    WIRE_RCODE_FORMERR = 1,
    WIRE_RCODE_SERVFAIL = 2,
    WIRE_RCODE_NXDOMAIN = 3,
    WIRE_RCODE_NOTIMP = 4,
    WIRE_RCODE_REFUSED = 5,
    WIRE_RCODE_BADVERS = 16, /* extended: upper 8 bits go in the OPT TTL */
};

/* ---- reading ---- */

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} wire_cursor;

typedef struct {
    uint16_t id;
    uint16_t flags;
    uint16_t qdcount, ancount, nscount, arcount;
} wire_header;

/* A resource record as read from a message; rdata points into the
 * message (valid while the message bytes are). */
typedef struct {
    uint8_t name[WIRE_NAME_MAX];
    size_t name_len;
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    uint16_t rdlength;
    const uint8_t *rdata;
} wire_rr;

void wire_cursor_init(wire_cursor *c, const uint8_t *buf, size_t len);
size_t wire_cursor_left(const wire_cursor *c);
/* Each read returns false, leaving the cursor where it was, when fewer
 * bytes than needed remain. Values are converted from network order. */
bool wire_read_u8(wire_cursor *c, uint8_t *v);
bool wire_read_u16(wire_cursor *c, uint16_t *v);
bool wire_read_u32(wire_cursor *c, uint32_t *v);
bool wire_skip(wire_cursor *c, size_t n);

/* Decodes the (possibly compressed) name at the cursor into out (its
 * uncompressed wire form, case kept, *out_len octets incl. the root) and
 * advances the cursor past the name's bytes at that position. Pointers
 * may only go backwards, each strictly before the previous one, at most
 * WIRE_PTR_HOPS_MAX of them. false (cursor unchanged) on: truncation,
 * a pointer that is not strictly backwards, a label > 63 octets, a name
 * > 255 octets, or a reserved label type (0x40, 0x80). */
bool wire_read_name(wire_cursor *c, uint8_t out[WIRE_NAME_MAX], size_t *out_len);
/* Reads a 12-byte header; false if fewer than 12 bytes remain. */
bool wire_read_header(wire_cursor *c, wire_header *h);
/* Reads one question (name, type, class). */
bool wire_read_question(wire_cursor *c, uint8_t name[WIRE_NAME_MAX], size_t *name_len,
                        uint16_t *qtype, uint16_t *qclass);
/* Reads one RR, checking that rdlength bytes are present (rdata itself
 * is not decoded). */
bool wire_read_rr(wire_cursor *c, wire_rr *rr);

/* true if buf is one complete, well-formed message: a header, exactly
 * the questions and RRs its counts announce, and no byte after them.
 * For tests and the fuzzer: answers must always pass it. */
bool wire_message_check(const uint8_t *buf, size_t len);

/* ---- names ---- */

/* Converts "db.example.internal" (one trailing dot allowed; "" or "." is
 * the root) into the lowercase wire form. Labels are 1..63 octets of
 * letters, digits, '-' or '_'; the whole name at most 255 octets.
 * false if the text is not such a name. */
bool wire_name_from_text(const char *text, uint8_t out[WIRE_NAME_MAX], size_t *out_len);
/* Writes the dotted form without a trailing dot ("" for the root), with
 * bytes other than [A-Za-z0-9_-] escaped as \DDD. false if cap is too
 * small or the wire name is malformed. */
bool wire_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap);
/* Copies name to out with ASCII letters lowercased. */
void wire_name_lower(const uint8_t *name, size_t len, uint8_t *out);
/* Case-insensitive equality of two uncompressed wire names. */
bool wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* true if name equals apex or lies below it (label-aligned suffix,
 * case-insensitive). Both must be well-formed wire names. */
bool wire_name_in(const uint8_t *name, size_t len, const uint8_t *apex, size_t apex_len);

/* ---- writing ---- */

typedef struct {
    const uint8_t *name; /* uncompressed suffix, borrowed from the caller */
    uint16_t len;
    uint16_t off; /* where that suffix starts in the message */
} wire_comp_entry;

typedef struct {
    uint8_t *buf;
    size_t limit; /* bytes that may be written */
    size_t pos;
    bool overflow; /* sticky: a write did not fit */
    wire_comp_entry comp[WIRE_COMP_MAX];
    size_t ncomp;
} wire_writer;

/* A point to roll back to (position and compression table). */
typedef struct {
    size_t pos;
    size_t ncomp;
} wire_mark;

/* limit must be <= the size of buf. */
void wire_writer_init(wire_writer *w, uint8_t *buf, size_t limit);
wire_mark wire_writer_mark(const wire_writer *w);
/* Returns to mark and clears the overflow flag. */
void wire_writer_rollback(wire_writer *w, wire_mark m);
/* Each put returns false (and sets overflow) when it does not fit. The
 * small ones are inline: they run several times per answered RR. */
static inline bool wire_writer_room(wire_writer *w, size_t n)
{
    if (w->overflow || w->limit - w->pos < n) {
        w->overflow = true;
        return false;
    }
    return true;
}

static inline bool wire_put_u8(wire_writer *w, uint8_t v)
{
    if (!wire_writer_room(w, 1))
        return false;
    w->buf[w->pos++] = v;
    return true;
}

static inline bool wire_put_u16(wire_writer *w, uint16_t v)
{
    if (!wire_writer_room(w, 2))
        return false;
    w->buf[w->pos] = (uint8_t)(v >> 8);
    w->buf[w->pos + 1] = (uint8_t)v;
    w->pos += 2;
    return true;
}

static inline bool wire_put_u32(wire_writer *w, uint32_t v)
{
    if (!wire_writer_room(w, 4))
        return false;
    w->buf[w->pos] = (uint8_t)(v >> 24);
    w->buf[w->pos + 1] = (uint8_t)(v >> 16);
    w->buf[w->pos + 2] = (uint8_t)(v >> 8);
    w->buf[w->pos + 3] = (uint8_t)v;
    w->pos += 4;
    return true;
}

bool wire_put_bytes(wire_writer *w, const void *p, size_t n);
/* Overwrites a u16 already written at off (e.g. a count, an rdlength). */
void wire_patch_u16(wire_writer *w, size_t off, uint16_t v);
/* Writes a well-formed uncompressed name. With compress, the longest
 * suffix already in the message is replaced by a pointer, and the new
 * suffixes are remembered; name must then stay valid until the message
 * is complete. Without compress the name is written as is (the question
 * echo) but still remembered for later pointers. */
bool wire_put_name(wire_writer *w, const uint8_t *name, size_t len, bool compress);
/* Writes a 12-byte header. */
bool wire_put_header(wire_writer *w, const wire_header *h);

#endif
