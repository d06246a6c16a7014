#!/usr/bin/env python3
"""Latency from a change request to the DNS server serving its result.

  change_latency.py PORT NAME TTL COMMAND...
  change_latency.py PORT NAME TTL --post URL BODY

Polls NAME (type A) at 127.0.0.1:PORT over UDP about every 0.2 ms, makes
the change, and stops at the first answer whose first record (the
endpoint's CNAME) carries TTL. The change is COMMAND run as a process
(e.g. `rdsctl modify-db-instance ... --dns-ttl TTL`, so its start-up
counts), or with --post an HTTP POST of the form BODY to URL made from
this process (the API alone). Prints "served_ms replied_ms": from the
start of the change to that answer, and to the change's completion. A light poller in one process rather than dig in a loop,
so the measurement neither costs a process per probe nor starves the
server of CPU. Exits 1 if the TTL is not served within 10 s.
"""
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session


def query(name, qid):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def skip_name(buf, i):
    while True:
        n = buf[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += n + 1


def first_ttl(buf):
    """TTL of the first answer record, or None."""
    try:
        if struct.unpack("!H", buf[6:8])[0] == 0:
            return None
        i = skip_name(buf, 12) + 4  # question name, type, class
        i = skip_name(buf, i) + 4   # answer owner, type, class
        return struct.unpack("!I", buf[i:i + 4])[0]
    except (IndexError, struct.error):
        return None


class HttpChange(threading.Thread):
    """A POST in a thread, with Popen's poll()/wait() for main's loop."""

    def __init__(self, url, body):
        super().__init__(daemon=True)
        self.url, self.body, self.done = url, body.encode(), False
        self.start()

    def run(self):
        # Signed (SigV4) with the region's credentials from the environment
        # region.env sets (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).
        session = Session()
        signed = AWSRequest(method="POST", url=self.url, data=self.body, headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(session.get_credentials(), "rds",
                  session.get_config_variable("region")).add_auth(signed)
        req = urllib.request.Request(self.url, data=self.body, headers=dict(signed.headers))
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
        self.done = True

    def poll(self):
        return 0 if self.done else None

    def wait(self):
        self.join()


def main(argv):
    port, name, ttl, command = int(argv[1]), argv[2], int(argv[3]), argv[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.connect(("127.0.0.1", port))
    start = time.monotonic()
    if command[0] == "--post":
        proc = HttpChange(command[1], command[2])
    else:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    replied = None
    qid = 0
    while time.monotonic() - start < 10:
        qid = (qid + 1) & 0xFFFF
        s.send(query(name, qid))
        try:
            answer = s.recv(4096)
        except socket.timeout:
            continue
        if replied is None and proc.poll() is not None:
            replied = time.monotonic()
        if first_ttl(answer) == ttl:
            served = time.monotonic()
            proc.wait()
            if replied is None:
                replied = time.monotonic()
            print("%.2f %.2f" % ((served - start) * 1000, (replied - start) * 1000))
            return 0
        time.sleep(0.0002)
    proc.wait()
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
