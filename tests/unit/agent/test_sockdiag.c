/* Unit tests for agent/sockdiag: the inet_diag reply parser on crafted
 * netlink buffers (truncated, wrong lengths, hostile attribute lengths),
 * the per-inode accounting, and one real dump. */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <stdint.h>
#include <string.h>

#include "agent/sockdiag.h"
#include "lib/tap.h"

static uint8_t buf[8192];
static size_t blen;

/* Appends one SOCK_DIAG_BY_FAMILY message; info_len: the tcp_info bytes
 * (0: no attribute), rta_len_override: a lying attribute length (0: true). */
static void add_sock(uint32_t src_be, uint32_t inode, uint64_t rx, uint64_t tx, size_t info_len,
                     unsigned rta_len_override)
{
    struct inet_diag_msg m;
    memset(&m, 0, sizeof m);
    m.idiag_family = AF_INET;
    m.id.idiag_src[0] = src_be;
    m.idiag_inode = inode;
    struct tcp_info ti;
    memset(&ti, 0, sizeof ti);
    ti.tcpi_bytes_received = rx;
    ti.tcpi_bytes_acked = tx;
    size_t body = NLMSG_ALIGN(sizeof m) + (info_len ? RTA_SPACE(info_len) : 0);
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)NLMSG_LENGTH(body), .nlmsg_type = SOCK_DIAG_BY_FAMILY};
    uint8_t *p = buf + blen;
    memset(p, 0, NLMSG_SPACE(body));
    memcpy(p, &h, sizeof h);
    memcpy(p + NLMSG_HDRLEN, &m, sizeof m);
    if (info_len) {
        struct rtattr a = {.rta_len = (unsigned short)(rta_len_override ? rta_len_override
                                                                          : RTA_LENGTH(info_len)),
                           .rta_type = INET_DIAG_INFO};
        uint8_t *q = p + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof m);
        memcpy(q, &a, sizeof a);
        memcpy(q + RTA_LENGTH(0), &ti, info_len < sizeof ti ? info_len : sizeof ti);
    }
    blen += NLMSG_SPACE(body);
}

static void add_type(uint16_t type)
{
    struct nlmsghdr h = {.nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = type};
    memset(buf + blen, 0, NLMSG_SPACE(4));
    memcpy(buf + blen, &h, sizeof h);
    blen += NLMSG_SPACE(4);
}

static uint64_t vrx, vtx;
static int vn;
static void count(void *arg, uint32_t inode, uint64_t rx, uint64_t tx)
{
    (void)arg;
    (void)inode;
    vrx += rx, vtx += tx, vn++;
}

int main(void)
{
    uint32_t me = inet_addr("127.41.1.2"), other = inet_addr("127.0.0.1");
    blen = 0;
    add_sock(me, 1, 100, 200, sizeof(struct tcp_info), 0);
    add_sock(other, 2, 1000, 1000, sizeof(struct tcp_info), 0);
    add_sock(me, 3, 5, 7, sizeof(struct tcp_info), 0);
    add_sock(me, 4, 9, 9, 16, 0); /* an old kernel's short tcp_info: no byte counters */
    add_type(NLMSG_DONE);
    vrx = vtx = 0, vn = 0;
    ok(sdg_parse(buf, blen, me, count, NULL) == 1 && vn == 2 && vrx == 105 && vtx == 207,
       "the node's sockets only, a short tcp_info skipped, DONE ends the dump");
    blen = 0;
    add_sock(me, 1, 100, 200, sizeof(struct tcp_info), 0);
    vrx = vtx = 0, vn = 0;
    ok(sdg_parse(buf, blen, me, count, NULL) == 0 && vn == 1, "no DONE: more buffers follow");
    ok(sdg_parse(buf, blen - 8, me, count, NULL) == -1, "a truncated message is an error");
    blen = 0;
    add_sock(me, 1, 100, 200, sizeof(struct tcp_info), 60000);
    add_type(NLMSG_DONE);
    vn = 0;
    ok(sdg_parse(buf, blen, me, count, NULL) == 1 && vn == 0,
       "an attribute longer than its message is ignored, the rest parsed");
    blen = 0;
    add_sock(me, 1, 100, 200, sizeof(struct tcp_info), 2);
    add_type(NLMSG_DONE);
    vn = 0;
    ok(sdg_parse(buf, blen, me, count, NULL) == 1 && vn == 0, "an attribute shorter than its header: no loop, ignored");
    struct nlmsghdr h = {.nlmsg_len = 4, .nlmsg_type = SOCK_DIAG_BY_FAMILY};
    memcpy(buf, &h, sizeof h);
    ok(sdg_parse(buf, sizeof h, me, count, NULL) == -1, "a header claiming less than itself is an error");
    h.nlmsg_len = 1u << 30;
    memcpy(buf, &h, sizeof h);
    ok(sdg_parse(buf, sizeof h, me, count, NULL) == -1, "a header claiming more than the buffer is an error");
    blen = 0;
    add_type(NLMSG_ERROR);
    ok(sdg_parse(buf, blen, me, count, NULL) == -1, "an error message is an error");
    ok(sdg_parse(buf, 3, me, count, NULL) == -1, "a buffer shorter than a header is an error");

    sdg_table t = {0};
    uint64_t rx, tx;
    sdg_begin(&t);
    sdg_visit(&t, 1, 100, 10);
    sdg_visit(&t, 2, 50, 5);
    sdg_end(&t);
    sdg_begin(&t);
    sdg_visit(&t, 1, 300, 30);
    sdg_end(&t);
    sdg_totals(&t, &rx, &tx);
    ok(rx == 350 && tx == 35, "a gone socket counts its last sample's bytes, a live one its current");
    sdg_begin(&t);
    sdg_visit(&t, 1, 300, 30);
    sdg_visit(&t, 1, 300, 30);
    sdg_end(&t);
    sdg_totals(&t, &rx, &tx);
    ok(rx == 350 && tx == 35, "a socket seen twice counts once; totals never step back");
    sdg_free(&t);
    ok(sdg_sample(&t, "127.0.0.1") && t.gone_rx == 0, "a real dump of this namespace works unprivileged or not");
    ok(!sdg_sample(&t, "not an address"), "a bad address is refused");
    sdg_free(&t);
    return done_testing();
}
