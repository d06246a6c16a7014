/* hostaddr: see hostaddr.h. */
#include "agent/hostaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/cidr.h"
#include "lib/log.h"

bool hostaddr_is_local(const char *addr)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (!addr || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return false;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static void put_attr(uint8_t *msg, size_t *len, unsigned short type, const void *data,
                     size_t dlen)
{
    struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(dlen), .rta_type = type};
    memcpy(msg + *len, &a, sizeof a);
    memcpy(msg + *len + RTA_LENGTH(0), data, dlen);
    *len += RTA_SPACE(dlen);
}

size_t hostaddr_route_msg(void *buf, size_t cap, uint32_t addr_be, uint32_t src_be, int ifindex,
                          uint32_t seq)
{
    size_t need = NLMSG_SPACE(sizeof(struct rtmsg)) + RTA_SPACE(sizeof addr_be) +
                  RTA_SPACE(sizeof ifindex) + (src_be ? RTA_SPACE(sizeof src_be) : 0);
    if (cap < need)
        return 0;
    uint8_t *msg = buf;
    memset(msg, 0, need);
    struct rtmsg rt = {.rtm_family = AF_INET,
                       .rtm_dst_len = 32,
                       .rtm_table = RT_TABLE_LOCAL,
                       .rtm_protocol = RTPROT_STATIC,
                       .rtm_scope = RT_SCOPE_HOST,
                       .rtm_type = RTN_LOCAL};
    memcpy(msg + NLMSG_HDRLEN, &rt, sizeof rt);
    size_t len = NLMSG_SPACE(sizeof rt);
    put_attr(msg, &len, RTA_DST, &addr_be, sizeof addr_be);
    put_attr(msg, &len, RTA_OIF, &ifindex, sizeof ifindex);
    if (src_be)
        put_attr(msg, &len, RTA_PREFSRC, &src_be, sizeof src_be);
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)len,
                         .nlmsg_type = RTM_NEWROUTE,
                         .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
                         .nlmsg_seq = seq};
    memcpy(msg, &h, sizeof h);
    return len;
}

int hostaddr_ack(const void *buf, size_t len, uint32_t seq)
{
    const uint8_t *p = buf;
    size_t off = 0;
    while (off + sizeof(struct nlmsghdr) <= len) {
        struct nlmsghdr h;
        memcpy(&h, p + off, sizeof h);
        if (h.nlmsg_len < sizeof h || h.nlmsg_len > len - off)
            return -EBADMSG;
        if (h.nlmsg_type == NLMSG_ERROR && h.nlmsg_seq == seq) {
            struct nlmsgerr e;
            if (h.nlmsg_len < NLMSG_LENGTH(sizeof e.error))
                return -EBADMSG;
            memcpy(&e.error, p + off + NLMSG_HDRLEN, sizeof e.error);
            /* 0 is the acknowledgement; a refusal is a negative errno. */
            return e.error > 0 || e.error < -4095 ? -EBADMSG : e.error;
        }
        off += NLMSG_ALIGN(h.nlmsg_len);
    }
    return off == len || len - off < sizeof(struct nlmsghdr) ? 1 : -EBADMSG;
}

/* One request on a fresh NETLINK_ROUTE socket and its answer (a second at
 * most: the kernel answers at once). Returns 0 or a negative errno. */
static int route_request(const void *msg, size_t len, uint32_t seq)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int rc = 1;
    if (sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)len)
        rc = -errno;
    uint8_t reply[4096] __attribute__((aligned(4)));
    while (rc == 1) {
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0)
            rc = -errno;
        else
            rc = hostaddr_ack(reply, (size_t)n, seq);
    }
    close(fd);
    return rc;
}

/* The address this host sends from toward region_cidr's first address
 * (network order; 0 if none): the kernel's choice for a UDP connect, which
 * sends nothing. */
static uint32_t source_toward(const char *region_cidr)
{
    cidr c;
    if (!region_cidr || !cidr_parse(region_cidr, &c))
        return 0;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    to.sin_addr.s_addr = htonl(c.prefix == 32 ? c.addr : c.addr + 1);
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    bool ok = connect(fd, (struct sockaddr *)&to, sizeof to) == 0 &&
              getsockname(fd, (struct sockaddr *)&me, &len) == 0;
    close(fd);
    return ok ? me.sin_addr.s_addr : 0;
}

bool hostaddr_make_local(const char *addr, const char *region_cidr)
{
    struct in_addr a;
    if (!addr || inet_pton(AF_INET, addr, &a) != 1) {
        LOG_ERROR("node address is not IPv4 addr=%s", addr ? addr : "(null)");
        return false;
    }
    if (hostaddr_is_local(addr))
        return true;
    unsigned lo = if_nametoindex("lo");
    uint8_t msg[256] __attribute__((aligned(4)));
    /* One request per fresh socket: any sequence number tells its answer. */
    size_t len = hostaddr_route_msg(msg, sizeof msg, a.s_addr, source_toward(region_cidr), (int)lo, 1);
    int rc = lo ? route_request(msg, len, 1) : -ENODEV;
    if (rc != 0) {
        LOG_ERROR("cannot make the node address local addr=%s err=%s", addr, strerror(-rc));
        return false;
    }
    LOG_INFO("node address made local (a local route on lo) addr=%s", addr);
    return true;
}
