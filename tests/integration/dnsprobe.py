#!/usr/bin/env python3
"""Raw DNS probes for tests/integration/dns.t, where dig cannot look:
the exact ID and header bits of an answer, several queries pipelined on
one TCP connection, an AXFR's rcode, and replaying the fuzz corpus at a
live server. Standard library only; every socket has a timeout, so a
server that stops answering makes a probe fail, never hang.

  dnsprobe.py header PORT NAME TYPE ID [tcp]
      one query with that ID (RD set); prints
      "id=N qr=0|1 aa=0|1 ra=0|1 rd=0|1 rcode=N an=N ns=N" of the answer
  dnsprobe.py pipeline PORT NAME COUNT
      COUNT queries in one write on one TCP connection (IDs 1..COUNT);
      prints "answered=N ids=ok|bad"
  dnsprobe.py case PORT NAME CASE...
      malformed or unusual queries about NAME over UDP (CASE: qdcount0,
      qdcount2, response, short, two_opt, maila, chaos, trailing,
      ptr_loop, long_label); one line each: "CASE id=N rcode=N" or
      "CASE no answer"
  dnsprobe.py replay PORT FILE...
      sends each file's bytes over UDP, then, length-prefixed, over one TCP
      connection each; prints "sent=N udp_answers=N tcp_answers=N"
"""
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28, "AXFR": 252, "ANY": 255}
TIMEOUT = 2.0


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(name, qtype, qid, rd=True):
    flags = 0x0100 if rd else 0
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + wire_name(name) + struct.pack(
        "!HH", TYPES.get(qtype, 0) or int(qtype), 1)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_exchange(port, messages, answers):
    """Sends messages on one TCP connection; reads `answers` replies."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(b"".join(struct.pack("!H", len(m)) + m for m in messages))
        out = []
        for _ in range(answers):
            (n,) = struct.unpack("!H", recv_exact(s, 2))
            out.append(recv_exact(s, n))
        return out


def udp_exchange(port, message, timeout=TIMEOUT):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(message, ("127.0.0.1", port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def header(answer):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", answer[:12])
    return {
        "id": qid, "qr": flags >> 15 & 1, "aa": flags >> 10 & 1, "ra": flags >> 7 & 1,
        "rd": flags >> 8 & 1, "rcode": flags & 0xF, "an": an, "ns": ns,
    }


def cmd_header(port, name, qtype, qid, transport="udp"):
    q = query(name, qtype, int(qid))
    a = tcp_exchange(port, [q], 1)[0] if transport == "tcp" else udp_exchange(port, q)
    if a is None:
        print("no answer")
        return 1
    h = header(a)
    print(" ".join("%s=%d" % (k, h[k]) for k in ("id", "qr", "aa", "ra", "rd", "rcode", "an", "ns")))
    return 0


def cmd_pipeline(port, name, count):
    count = int(count)
    answers = tcp_exchange(port, [query(name, "A", i + 1) for i in range(count)], count)
    ids = sorted(header(a)["id"] for a in answers)
    print("answered=%d ids=%s" % (len(answers), "ok" if ids == list(range(1, count + 1)) else "bad"))
    return 0


OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)


def case_packet(name, case):
    body = query(name, "A", 77)[12:]
    hdr = lambda flags, qd, ar=0: struct.pack("!HHHHHH", 77, flags, qd, 0, 0, ar)
    cases = {
        "qdcount0": lambda: hdr(0x0100, 0),
        "qdcount2": lambda: hdr(0x0100, 2) + body + body,
        "response": lambda: hdr(0x8100, 1) + body,
        "short": lambda: hdr(0x0100, 1)[:5],
        "two_opt": lambda: hdr(0x0100, 1, 2) + body + OPT + OPT,
        "maila": lambda: hdr(0x0100, 1) + wire_name(name) + struct.pack("!HH", 254, 1),
        "chaos": lambda: hdr(0x0100, 1) + wire_name(name) + struct.pack("!HH", 1, 3),
        "trailing": lambda: hdr(0x0100, 1) + body + b"\x00\x00\x00",
        "ptr_loop": lambda: hdr(0x0100, 1) + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
        "long_label": lambda: hdr(0x0100, 1) + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1),
    }
    return cases[case]()


def cmd_case(port, name, *cases):
    """One line per case: "CASE id=N rcode=N" or "CASE no answer"."""
    for case in cases:
        # Some cases must be dropped: waiting for them is the test's cost,
        # and a loopback answer takes well under a millisecond.
        a = udp_exchange(port, case_packet(name, case), 0.5)
        if a is None:
            print("%s no answer" % case)
        else:
            h = header(a)
            print("%s id=%d rcode=%d" % (case, h["id"], h["rcode"]))
    return 0


def cmd_replay(port, *files):
    """UDP: every packet from one socket, then answers until a quiet
    moment. TCP: one connection per packet with a short timeout (the
    server drops what it must not answer, e.g. responses). Dropping is
    fine; the caller checks the server still answers afterwards."""
    packets = []
    for path in files:
        with open(path, "rb") as f:
            packets.append(f.read())
    udp_answers = tcp_answers = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        for data in packets:
            s.sendto(data, ("127.0.0.1", port))
        try:
            while udp_answers < len(packets):
                s.recv(65535)
                udp_answers += 1
        except socket.timeout:
            pass
    for data in packets:
        if not 0 < len(data) <= 65535:
            continue
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3) as s:
                s.sendall(struct.pack("!H", len(data)) + data)
                (n,) = struct.unpack("!H", recv_exact(s, 2))
                recv_exact(s, n)
                tcp_answers += 1
        except (EOFError, OSError):
            pass
    print("sent=%d udp_answers=%d tcp_answers=%d" % (len(packets), udp_answers, tcp_answers))
    return 0


def main(argv):
    cmds = {"header": cmd_header, "pipeline": cmd_pipeline, "case": cmd_case, "replay": cmd_replay}
    if len(argv) < 3 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](int(argv[2]), *argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
