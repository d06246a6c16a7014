#!/usr/bin/env python3
"""netdelay.py: holds every packet of one netfilter queue for a fixed delay.

This machine's kernel has no sch_netem (nor fq, etf, taprio, police or
gact): no qdisc can hold a packet for a time. It does have the xtables
NFQUEUE target and nfnetlink_queue, so `region.sh netdelay` sends the AZ
host's packets on eth0 (both directions) to queue QUEUE of that host's
namespace, and this process, run inside the namespace, gives each packet
its ACCEPT verdict DELAY_MS after the kernel queued it. The packet itself
never leaves the kernel (copy mode "meta": no payload is copied), so
nothing is re-injected or rewritten. See scripts/README.md "Latency and
loss" for what was tried and measured.

    netdelay.py QUEUE DELAY_MS

Invariants:
 1. A constant delay keeps the queue's order (FIFO), so one batch verdict
    (NFQNL_MSG_VERDICT_BATCH: every id up to N) releases all packets due;
    ids grow in queue order within one queue.
 2. Fail open: the rules use --queue-bypass (no listener: accepted at once)
    and the queue is bound with NFQA_CFG_F_FAIL_OPEN (full: accepted at
    once), so a dead or slow delayer makes the link fast, never cut; a cut
    is netcut's job, loss is netloss's.
 3. Ends on SIGTERM/SIGINT after releasing what it holds (unbinding the
    queue makes the kernel accept whatever is still queued).
"""
import collections
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_CONFIG = 2
NFQNL_MSG_VERDICT_BATCH = 3
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQA_CFG_MASK = 4
NFQA_CFG_FLAGS = 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_CFG_CMD_UNBIND = 2
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 1
NFQA_CFG_F_GSO = 4
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NETLINK_NO_ENOBUFS = 5
SOL_NETLINK = 270
QUEUE_MAXLEN = 65536  # packets held at once: 100 ms of a busy link


def attr(kind, payload):
    """One netlink attribute, padded to 4 bytes."""
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * ((4 - n % 4) % 4)


class Queue:
    """One bound nfnetlink queue (the namespace's own)."""

    def __init__(self, num):
        self.num = num
        self.seq = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: we are root
        self.sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
        self.sock.bind((0, 0))

    def send(self, msg_type, attrs, ack=False):
        self.seq += 1
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(self.num)) + b"".join(attrs)
        flags = NLM_F_REQUEST | (NLM_F_ACK if ack else 0)
        hdr = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, self.seq, 0)
        self.sock.send(hdr + body)
        if ack:
            self.expect_ack()

    def expect_ack(self):
        data = self.sock.recv(65536)
        _, kind, _, _, _ = struct.unpack_from("=IHHII", data)
        if kind == NLMSG_ERROR:
            err = struct.unpack_from("=i", data, 16)[0]
            if err != 0:
                raise OSError(-err, os.strerror(-err))

    def bind(self):
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_BIND, 0))], ack=True)
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_PARAMS, struct.pack(">IB", 0, NFQNL_COPY_META))], ack=True)
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack(">I", QUEUE_MAXLEN))], ack=True)
        flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_FLAGS, struct.pack(">I", flags)),
                                     attr(NFQA_CFG_MASK, struct.pack(">I", flags))], ack=True)

    def unbind(self):
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_UNBIND, 0))])

    def accept_upto(self, packet_id):
        """Invariant 1: every queued packet with an id <= packet_id."""
        self.send(NFQNL_MSG_VERDICT_BATCH, [attr(NFQA_VERDICT_HDR, struct.pack(">II", NF_ACCEPT, packet_id))])

    def packet_ids(self):
        """The ids of the packets queued since the last call (non-blocking)."""
        ids = []
        while True:
            try:
                data = self.sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return ids
            off = 0
            while off + 16 <= len(data):
                n, kind, _, _, _ = struct.unpack_from("=IHHII", data, off)
                if n < 16 or off + n > len(data):
                    break
                if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    a = off + 20  # nlmsghdr + nfgenmsg
                    while a + 4 <= off + n:
                        alen, akind = struct.unpack_from("=HH", data, a)
                        if alen < 4:
                            break
                        if akind & 0x7FFF == NFQA_PACKET_HDR and alen >= 8:
                            ids.append(struct.unpack_from(">I", data, a + 4)[0])
                        a += (alen + 3) & ~3
                off += (n + 3) & ~3


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or not sys.argv[2].isdigit():
        print("usage: netdelay.py QUEUE DELAY_MS", file=sys.stderr)
        return 2
    delay = int(sys.argv[2]) / 1000.0
    q = Queue(int(sys.argv[1]))
    q.bind()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    held = collections.deque()  # (due, id), in queue order
    while not stop:
        now = time.monotonic()
        due = None
        while held and held[0][0] <= now:
            due = held.popleft()[1]
        if due is not None:
            q.accept_upto(due)
        timeout = max(0.0, held[0][0] - now) if held else 1.0
        try:
            readable, _, _ = select.select([q.sock], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            arrived = time.monotonic()
            held.extend((arrived + delay, i) for i in q.packet_ids())
    q.unbind()
    return 0


if __name__ == "__main__":
    sys.exit(main())
