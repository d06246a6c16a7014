#!/usr/bin/env python3
"""Connects to a PostgreSQL server FROM a chosen loopback source address and
says whether pg_hba.conf lets that address in (tests/integration/network.t).

    pgsource.py SOURCE_ADDR HOST PORT USER DBNAME

Binds SOURCE_ADDR (any 127.x.y.z works on Linux without configuration),
connects, sends a protocol 3.0 StartupMessage and reads the first reply:
an AuthenticationRequest ('R') means pg_hba.conf matched a host line for
this address (the password is never needed to tell); an ErrorResponse
('E') carries the server's message, "no pg_hba.conf entry for host ..."
when no line matched. Prints "allowed" (exit 0) or "refused: MESSAGE"
(exit 1); anything else (connection refused, timeout) exits 2.

TLS first, as libpq's default sslmode=prefer does: an SSLRequest, and the
startup inside TLS when the server says 'S' (rds.force_ssl makes client
rules hostssl; the certificate is not checked here: pg_hba is the point)."""
import socket
import ssl
import struct
import sys


def error_message(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return fields.get("M", "?")


def main():
    src, host, port, user, db = sys.argv[1:6]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.bind((src, 0))
        s.connect((host, int(port)))
        s.sendall(struct.pack("!ii", 8, 80877103))
        if s.recv(1) == b"S":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        params = b"user\0" + user.encode() + b"\0database\0" + db.encode() + b"\0\0"
        s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        head = b""
        while len(head) < 5:
            chunk = s.recv(5 - len(head))
            if not chunk:
                raise OSError("connection closed")
            head += chunk
        kind, length = head[:1], struct.unpack("!i", head[1:5])[0]
        body = b""
        while len(body) < length - 4:
            chunk = s.recv(length - 4 - len(body))
            if not chunk:
                break
            body += chunk
    except OSError as e:
        print("error: %s" % e)
        return 2
    finally:
        s.close()
    if kind == b"R":
        print("allowed")
        return 0
    if kind == b"E":
        print("refused: %s" % error_message(body))
        return 1
    print("error: unexpected message %r" % kind)
    return 2


if __name__ == "__main__":
    sys.exit(main())
