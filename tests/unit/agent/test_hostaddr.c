/* Unit tests for agent/hostaddr: the RTM_NEWROUTE request it sends (a
 * `local ADDR/32 dev lo` route in the local table), the parser of the
 * kernel's answer on crafted buffers (ack, refusal, other sequence,
 * truncated, lying lengths), the bind check on this host's loopback, and,
 * as root, the real thing in a network namespace of a child's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/hostaddr.h"
#include "lib/tap.h"

static uint8_t buf[512] __attribute__((aligned(4)));

/* An NLMSG_ERROR answer to seq with error err at buf+off; returns its size. */
static size_t put_err(size_t off, uint32_t seq, int err)
{
    struct nlmsghdr h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr)),
                         .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = seq};
    struct nlmsgerr e;
    memset(&e, 0, sizeof e);
    e.error = err;
    memcpy(buf + off, &h, sizeof h);
    memcpy(buf + off + NLMSG_HDRLEN, &e, sizeof e);
    return NLMSG_ALIGN(h.nlmsg_len);
}

static void test_request(void)
{
    uint32_t a = htonl(0x64410165); /* 100.65.1.101 */
    uint32_t src = htonl(0x6441000b); /* 100.65.0.11 */
    size_t len = hostaddr_route_msg(buf, sizeof buf, a, src, 1, 7);
    ok(len > 0, "the request fits");
    struct nlmsghdr h;
    memcpy(&h, buf, sizeof h);
    is_int(h.nlmsg_len, len, "its header says its length");
    is_int(h.nlmsg_type, RTM_NEWROUTE, "a new route");
    ok((h.nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK)) ==
           (NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK),
       "created or replaced (idempotent), acknowledged");
    is_int(h.nlmsg_seq, 7, "with the sequence asked for");
    struct rtmsg rt;
    memcpy(&rt, buf + NLMSG_HDRLEN, sizeof rt);
    ok(rt.rtm_family == AF_INET && rt.rtm_dst_len == 32 && rt.rtm_table == RT_TABLE_LOCAL &&
           rt.rtm_type == RTN_LOCAL && rt.rtm_scope == RT_SCOPE_HOST,
       "local /32 in the local table, host scope");
    uint32_t dst = 0, pref = 0;
    int oif = 0;
    size_t off = NLMSG_SPACE(sizeof rt);
    while (off + sizeof(struct rtattr) <= len) {
        struct rtattr at;
        memcpy(&at, buf + off, sizeof at);
        if (at.rta_type == RTA_DST)
            memcpy(&dst, buf + off + RTA_LENGTH(0), sizeof dst);
        if (at.rta_type == RTA_OIF)
            memcpy(&oif, buf + off + RTA_LENGTH(0), sizeof oif);
        if (at.rta_type == RTA_PREFSRC)
            memcpy(&pref, buf + off + RTA_LENGTH(0), sizeof pref);
        off += RTA_ALIGN(at.rta_len);
    }
    ok(dst == a && oif == 1, "for the address, on the device given");
    is_int(pref, src, "with the preferred source given");
    size_t nosrc = hostaddr_route_msg(buf, sizeof buf, a, 0, 1, 7);
    ok(nosrc > 0 && nosrc < len, "without a source: no RTA_PREFSRC");
    is_int(hostaddr_route_msg(buf, 16, a, src, 1, 7), 0, "a buffer too small: nothing written");
}

static void test_ack(void)
{
    size_t n = put_err(0, 3, 0);
    is_int(hostaddr_ack(buf, n, 3), 0, "an error 0 is the acknowledgement");
    n = put_err(0, 3, -EPERM);
    is_int(hostaddr_ack(buf, n, 3), -EPERM, "a refusal is its errno");
    n = put_err(0, 2, 0);
    is_int(hostaddr_ack(buf, n, 3), 1, "another request's answer: read on");
    size_t m = put_err(n, 3, -EEXIST);
    is_int(hostaddr_ack(buf, n + m, 3), -EEXIST, "ours after another's is found");
    is_int(hostaddr_ack(buf, n + m - 4, 3), -EBADMSG, "a truncated answer is malformed");
    n = put_err(0, 3, 5);
    is_int(hostaddr_ack(buf, n, 3), -EBADMSG, "a positive error is malformed");
    struct nlmsghdr h = {.nlmsg_len = 4, .nlmsg_type = NLMSG_ERROR, .nlmsg_seq = 3};
    memcpy(buf, &h, sizeof h);
    is_int(hostaddr_ack(buf, sizeof h, 3), -EBADMSG, "a header claiming less than itself");
    h.nlmsg_len = 4000;
    memcpy(buf, &h, sizeof h);
    is_int(hostaddr_ack(buf, sizeof h, 3), -EBADMSG, "a header claiming more than the buffer");
    h.nlmsg_len = sizeof h;
    memcpy(buf, &h, sizeof h);
    is_int(hostaddr_ack(buf, sizeof h, 3), -EBADMSG, "an error message without its error");
    is_int(hostaddr_ack(buf, 0, 3), 1, "nothing yet: read on");
}

/* In a child with a network namespace of its own (lo up, as region.sh
 * makes a host's): an address of no interface becomes local. Exit status
 * 0: done, 1: failed, 2: cannot make a namespace here (not root). */
static int in_new_netns(void)
{
    if (unshare(CLONE_NEWNET) != 0)
        return 2;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
        return 1;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
        return 1;
    close(fd);
    if (hostaddr_is_local("100.64.200.7"))
        return 1; /* a fresh namespace has only 127.0.0.0/8 */
    bool made = hostaddr_make_local("100.64.200.7", "100.64.0.0/24") &&
                hostaddr_is_local("100.64.200.7");
    bool again = hostaddr_make_local("100.64.200.7", NULL);
    bool only = !hostaddr_is_local("100.64.200.8");
    return made && again && only ? 0 : 1;
}

static void test_namespace(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(in_new_netns());
    int st = 0;
    waitpid(pid, &st, 0);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    if (rc == 2) {
        ok(1, "# SKIP needs root for a network namespace");
        return;
    }
    ok(rc == 0, "in a fresh namespace an address becomes local (once, idempotently; that /32 only)");
}

int main(void)
{
    test_request();
    test_ack();
    ok(hostaddr_is_local("127.0.0.1"), "127.0.0.1 is local");
    ok(hostaddr_is_local("127.45.3.9"), "so is all of 127.0.0.0/8 (loopback mode)");
    ok(!hostaddr_is_local("192.0.2.77"), "TEST-NET-1 is not");
    ok(!hostaddr_is_local("not-an-address") && !hostaddr_is_local(NULL), "garbage is not");
    ok(hostaddr_make_local("127.45.3.9", "127.0.0.1/32"), "making a local address local changes nothing");
    ok(!hostaddr_make_local("bogus", "127.0.0.1/32"), "a non-address is refused");
    test_namespace();
    return done_testing();
}
