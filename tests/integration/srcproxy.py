#!/usr/bin/env python3
"""Runs a command whose TCP connections reach HOST:PORT FROM a chosen
loopback source address (tests/integration/security_sg.t).

    srcproxy.py SOURCE_ADDR HOST PORT -- COMMAND [ARG ...]

libpq cannot bind a source address, so this listens on 127.0.0.1 (an
ephemeral port), replaces every "{port}" in COMMAND's arguments with that
port, runs COMMAND, and forwards each connection it accepts to HOST:PORT
from a socket bound to SOURCE_ADDR (any 127.x.y.z works on Linux without
configuration): the server sees SOURCE_ADDR, as it would see a client on
that address. Exits with COMMAND's status when COMMAND ends (at most
60 s: then 124); nothing is left behind."""
import selectors
import socket
import subprocess
import sys
import threading


def pipe(a, b):
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in sel.select(timeout=60):
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def serve(listener, src, host, port):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            upstream.bind((src, 0))
            upstream.connect((host, port))
        except OSError:
            client.close()
            upstream.close()
            continue
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.exit("usage: srcproxy.py SOURCE_ADDR HOST PORT -- COMMAND [ARG ...]")
    src, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    lport = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, src, host, port), daemon=True).start()
    cmd = [a.replace("{port}", str(lport)) for a in sys.argv[5:]]
    try:
        rc = subprocess.run(cmd, timeout=60).returncode
    except subprocess.TimeoutExpired:
        rc = 124
    listener.close()
    sys.exit(rc)


if __name__ == "__main__":
    main()
