#!/usr/bin/env python3
"""A hostile name server for tests/integration/security_sns.t (UDP only).

Listens on 127.0.0.1 (any free port), writes the port to --port-file.
A query for a name that starts with "blackhole." is read and dropped
(a name server that never answers); any other A query is answered
127.0.0.1 (a name that points at the region itself), AAAA with no
records.
"""
import argparse
import os
import socket
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(tmp, args.port_file)
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        i, labels = 12, []
        while i < len(q) and q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace").lower())
            i += 1 + q[i]
        i += 1
        if i + 4 > len(q):
            continue
        qtype = struct.unpack("!H", q[i:i + 2])[0]
        question = q[12:i + 4]
        if labels and labels[0] == "blackhole":
            continue
        answer = b""
        if qtype == 1:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton("127.0.0.1")
        head = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if answer else 0, 0, 0)
        s.sendto(head + question + answer, peer)


if __name__ == "__main__":
    main()
