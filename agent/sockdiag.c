/* sockdiag: see sockdiag.h. */
#include "agent/sockdiag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

#define SDG_END_RX (offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(uint64_t))
#define SDG_END_TX (offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(uint64_t))

static void sdg_msg(const uint8_t *p, size_t len, uint32_t addr_be, sdg_visit_fn visit, void *arg)
{
    struct inet_diag_msg m;
    if (len < sizeof m)
        return;
    memcpy(&m, p, sizeof m);
    if (m.idiag_family != AF_INET || m.id.idiag_src[0] != addr_be)
        return;
    size_t off = NLMSG_ALIGN(sizeof m);
    while (off + sizeof(struct rtattr) <= len) {
        struct rtattr a;
        memcpy(&a, p + off, sizeof a);
        if (a.rta_len < sizeof a || a.rta_len > len - off)
            return; /* a hostile or truncated attribute: stop here */
        size_t plen = a.rta_len - RTA_LENGTH(0);
        if (a.rta_type == INET_DIAG_INFO && plen >= SDG_END_RX && plen >= SDG_END_TX) {
            struct tcp_info ti;
            memset(&ti, 0, sizeof ti);
            memcpy(&ti, p + off + RTA_LENGTH(0), plen < sizeof ti ? plen : sizeof ti);
            visit(arg, m.idiag_inode, ti.tcpi_bytes_received, ti.tcpi_bytes_acked);
            return;
        }
        off += RTA_ALIGN(a.rta_len);
    }
}

int sdg_parse(const void *buf, size_t len, uint32_t addr_be, sdg_visit_fn visit, void *arg)
{
    const uint8_t *p = buf;
    size_t off = 0;
    while (off + sizeof(struct nlmsghdr) <= len) {
        struct nlmsghdr h;
        memcpy(&h, p + off, sizeof h);
        if (h.nlmsg_len < sizeof h || h.nlmsg_len > len - off)
            return -1;
        if (h.nlmsg_type == NLMSG_DONE)
            return 1;
        if (h.nlmsg_type == NLMSG_ERROR)
            return -1;
        if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY)
            sdg_msg(p + off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN, addr_be, visit, arg);
        size_t step = NLMSG_ALIGN(h.nlmsg_len);
        if (step > len - off)
            break;
        off += step;
    }
    return off == len ? 0 : -1;
}

void sdg_begin(sdg_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        t->s[i].seen = false;
}

void sdg_visit(void *arg, uint32_t inode, uint64_t rx, uint64_t tx)
{
    sdg_table *t = arg;
    for (size_t i = 0; i < t->n; i++)
        if (t->s[i].inode == inode) {
            if (rx >= t->s[i].rx)
                t->s[i].rx = rx;
            if (tx >= t->s[i].tx)
                t->s[i].tx = tx;
            t->s[i].seen = true;
            return;
        }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->s = xrealloc(t->s, t->cap * sizeof *t->s);
    }
    t->s[t->n++] = (sdg_sock){inode, rx, tx, true};
}

void sdg_end(sdg_table *t)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->s[i].seen) {
            t->s[k++] = t->s[i];
        } else {
            t->gone_rx += t->s[i].rx;
            t->gone_tx += t->s[i].tx;
        }
    }
    t->n = k;
}

void sdg_totals(const sdg_table *t, uint64_t *rx, uint64_t *tx)
{
    *rx = t->gone_rx, *tx = t->gone_tx;
    for (size_t i = 0; i < t->n; i++)
        *rx += t->s[i].rx, *tx += t->s[i].tx;
}

void sdg_free(sdg_table *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

bool sdg_sample(sdg_table *t, const char *addr)
{
    struct in_addr a;
    if (!addr || inet_pton(AF_INET, addr, &a) != 1)
        return false;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return false;
    struct {
        struct nlmsghdr h;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = AF_INET;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
    req.r.idiag_states = ~0u;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) != (ssize_t)sizeof req) {
        close(fd);
        return false;
    }
    sdg_table next = *t; /* visits go to t only once the dump is whole */
    next.s = t->n ? xmalloc(t->n * sizeof *t->s) : NULL;
    if (t->n)
        memcpy(next.s, t->s, t->n * sizeof *t->s);
    next.cap = t->n;
    sdg_begin(&next);
    static uint8_t buf[32768];
    int rc = 0;
    for (int rounds = 0; rc == 0 && rounds < 100000; rounds++) {
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0) {
            rc = -1;
            break;
        }
        rc = sdg_parse(buf, (size_t)k, a.s_addr, sdg_visit, &next);
    }
    close(fd);
    if (rc != 1) {
        sdg_free(&next);
        return false;
    }
    sdg_end(&next);
    free(t->s);
    *t = next;
    return true;
}
