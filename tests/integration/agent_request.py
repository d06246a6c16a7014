#!/usr/bin/env python3
"""POSTs to an /agent/v1/* endpoint as an agent (or as an attacker), for
tests/integration/agentauth.t. Prints the HTTP status on the first line and
the reply body after it; exit 0 whatever the status.

usage: agent_request.py URL BODY [--agent ID] [--key FILE | --wrong-key]
                        [--save FILE] [--replay FILE] [--check-reply]

--agent sets X-Rdsim-Agent; --key signs as lib/agentmac.h does;
--wrong-key signs with a random key; --save keeps the exact request
(headers and body) to send again with --replay; --check-reply verifies
the reply's signature with --key and prints "reply-auth ok|bad" last.
"""
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request


def sign(key, kind, method, path, agent, ts, nonce, body):
    sts = "\n".join(["rdsim-agent-v1", kind, method, path, agent, ts, nonce,
                     hashlib.sha256(body).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def main():
    args = sys.argv[1:]
    url, body = args[0], args[1].encode()
    opts = {}
    i = 2
    while i < len(args):
        if args[i] in ("--wrong-key", "--check-reply"):
            opts[args[i]] = True
            i += 1
        else:
            opts[args[i]] = args[i + 1]
            i += 2
    path = "/" + url.split("/", 3)[3]
    headers = {"Content-Type": "application/json"}
    key = None
    if "--replay" in opts:
        with open(opts["--replay"]) as f:
            saved = json.load(f)
        headers, body = saved["headers"], saved["body"].encode()
    else:
        if "--agent" in opts:
            headers["X-Rdsim-Agent"] = opts["--agent"]
        if "--key" in opts:
            with open(opts["--key"]) as f:
                key = bytes.fromhex(f.read().strip())
        elif "--wrong-key" in opts:
            key = os.urandom(32)
        if key:
            ts, nonce = str(int(time.time() * 1000)), os.urandom(16).hex()
            headers["X-Rdsim-Time"] = ts
            headers["X-Rdsim-Nonce"] = nonce
            headers["X-Rdsim-Signature"] = sign(key, "request", "POST", path,
                                                opts.get("--agent", ""), ts, nonce, body)
    if "--save" in opts:
        with open(opts["--save"], "w") as f:
            json.dump({"headers": headers, "body": body.decode()}, f)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, rbody, rh = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, rbody, rh = e.code, e.read(), e.headers
    print(status)
    print(rbody.decode(errors="replace"))
    if "--check-reply" in opts and key:
        want = sign(key, "reply", str(status), path, headers.get("X-Rdsim-Agent", ""),
                    rh.get("X-Rdsim-Time", ""), headers.get("X-Rdsim-Nonce", ""), rbody)
        good = hmac.compare_digest(want, rh.get("X-Rdsim-Signature", ""))
        print("reply-auth " + ("ok" if good else "bad"))


main()
