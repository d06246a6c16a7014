/* stubres: see stubres.h.
 *
 * Every byte of an answer is read through dns/wire.h's bounds-checked
 * cursor; an answer is believed only if it echoes our id and our question
 * (RFC 5452 §3). */
#include "cli/stubres.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

size_t stubres_build_query(uint16_t id, const uint8_t *qname, size_t qname_len, uint8_t *buf,
                           size_t cap)
{
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_header h = {.id = id, .flags = WIRE_FLAG_RD, .qdcount = 1};
    wire_put_header(&w, &h);
    wire_put_name(&w, qname, qname_len, false);
    wire_put_u16(&w, WIRE_TYPE_A);
    wire_put_u16(&w, WIRE_CLASS_IN);
    return w.overflow ? 0 : w.pos;
}

stubres_result stubres_parse_answer(const uint8_t *buf, size_t len, uint16_t id,
                                    const uint8_t *qname, size_t qname_len, char *addr,
                                    size_t addr_size, uint32_t *ttl_s)
{
    wire_cursor c;
    wire_cursor_init(&c, buf, len);
    wire_header h;
    if (!wire_read_header(&c, &h) || !(h.flags & WIRE_FLAG_QR) || h.id != id || h.qdcount != 1)
        return STUBRES_NOTHING;
    uint8_t current[WIRE_NAME_MAX];
    size_t current_len;
    uint16_t qtype, qclass;
    if (!wire_read_question(&c, current, &current_len, &qtype, &qclass) ||
        qtype != WIRE_TYPE_A || qclass != WIRE_CLASS_IN ||
        !wire_name_equal(current, current_len, qname, qname_len))
        return STUBRES_NOTHING;
    if (WIRE_RCODE(h.flags) != WIRE_RCODE_NOERROR)
        return STUBRES_NEGATIVE;
    uint32_t ttl = UINT32_MAX;
    for (unsigned i = 0; i < h.ancount; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr))
            return STUBRES_NOTHING;
        if (!wire_name_equal(rr.name, rr.name_len, current, current_len))
            continue; /* not on the chain from our name */
        if (rr.type == WIRE_TYPE_CNAME) {
            /* The target may be compressed against any earlier name: read
             * it from its place in the whole message. */
            wire_cursor t;
            wire_cursor_init(&t, buf, len);
            t.pos = (size_t)(rr.rdata - buf);
            if (!wire_read_name(&t, current, &current_len) ||
                t.pos != (size_t)(rr.rdata - buf) + rr.rdlength)
                return STUBRES_NOTHING;
            ttl = rr.ttl < ttl ? rr.ttl : ttl;
        } else if (rr.type == WIRE_TYPE_A && rr.rclass == WIRE_CLASS_IN) {
            if (rr.rdlength != 4)
                return STUBRES_NOTHING;
            char text[INET_ADDRSTRLEN];
            if (!inet_ntop(AF_INET, rr.rdata, text, sizeof text) || strlen(text) >= addr_size)
                return STUBRES_NOTHING;
            memcpy(addr, text, strlen(text) + 1);
            *ttl_s = rr.ttl < ttl ? rr.ttl : ttl;
            return STUBRES_ADDRESS;
        }
    }
    return STUBRES_NEGATIVE;
}

bool stubres_open(stubres *r, const char *server, int port, const char *name)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port < 1 || port > 65535 || inet_pton(AF_INET, server, &sa.sin_addr) != 1) {
        LOG_ERROR("stub resolver: bad server address=%s port=%d", server, port);
        return false;
    }
    if (!wire_name_from_text(name, r->qname, &r->qname_len)) {
        LOG_ERROR("stub resolver: not a domain name name=%s", name);
        return false;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        LOG_ERROR("stub resolver: socket: %s", strerror(errno));
        return false;
    }
    /* Connected: the kernel drops datagrams from anyone but the server,
     * and reports an absent server as ECONNREFUSED. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        LOG_ERROR("stub resolver: connect %s:%d: %s", server, port, strerror(errno));
        close(fd);
        return false;
    }
    r->fd = fd;
    r->rand_state = (uint32_t)(wall_ms() ^ ((int64_t)getpid() << 16) ^ (intptr_t)r);
    return true;
}

void stubres_close(stubres *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->pending = false;
}

/* xorshift32: ids need only be unpredictable to other local processes
 * that are not trying hard; this is a test harness, not a resolver on the
 * internet. */
static uint16_t stubres_next_id(stubres *r)
{
    uint32_t x = r->rand_state ? r->rand_state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->rand_state = x;
    return (uint16_t)x;
}

bool stubres_send(stubres *r)
{
    if (r->fd < 0)
        return false;
    uint8_t buf[WIRE_HEADER_LEN + WIRE_NAME_MAX + 4];
    r->id = stubres_next_id(r);
    size_t n = stubres_build_query(r->id, r->qname, r->qname_len, buf, sizeof buf);
    r->pending = n > 0 && send(r->fd, buf, n, 0) == (ssize_t)n;
    return r->pending;
}

stubres_result stubres_receive(stubres *r, char *addr, size_t addr_size, uint32_t *ttl_s)
{
    uint8_t buf[STUBRES_MAX_MSG];
    if (r->fd < 0)
        return STUBRES_ERROR;
    ssize_t n = recv(r->fd, buf, sizeof buf, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? STUBRES_NOTHING
                                                                        : STUBRES_ERROR;
    if (!r->pending)
        return STUBRES_NOTHING;
    stubres_result res = stubres_parse_answer(buf, (size_t)n, r->id, r->qname, r->qname_len,
                                              addr, addr_size, ttl_s);
    if (res != STUBRES_NOTHING)
        r->pending = false;
    return res;
}

stubres_result stubres_lookup(const char *server, int port, const char *name, int tries,
                              int timeout_ms, char *addr, size_t addr_size, uint32_t *ttl_s)
{
    stubres r;
    stubres_result res = STUBRES_ERROR;
    if (!stubres_open(&r, server, port, name))
        return STUBRES_ERROR;
    for (int t = 0; t < tries && (res == STUBRES_ERROR || res == STUBRES_NOTHING); t++) {
        res = STUBRES_NOTHING;
        if (!stubres_send(&r)) {
            res = STUBRES_ERROR;
            continue;
        }
        int64_t deadline = mono_ms() + timeout_ms;
        while (res == STUBRES_NOTHING) {
            int64_t left = deadline - mono_ms();
            if (left <= 0)
                break;
            struct pollfd p = {.fd = r.fd, .events = POLLIN};
            if (poll(&p, 1, (int)left) > 0)
                res = stubres_receive(&r, addr, addr_size, ttl_s);
        }
    }
    stubres_close(&r);
    return res == STUBRES_NOTHING ? STUBRES_ERROR : res;
}
