#!/usr/bin/env python3
"""A fake rds-controlplane for tests/integration/agent.t.

Serves POST /agent/v1/heartbeat: records the last request body to
<dir>/last_heartbeat.json and <dir>/last_heartbeat-<agent_id>.json
(atomically), appends it as one line to <dir>/heartbeats.log (and each reply to
<dir>/replies.log), and replies
with <dir>/goals-<agent_id>.json if it exists, else <dir>/goals.json (so
one fake serves several agents, each with its own goals).
The goals file may hold {"__status": 500} to reply with that status, or
{"__raw": "text"} to reply with that text (for garbage-reply tests).
Binds 127.0.0.1 port 0 (or the port given after <dir>) and writes the port
to <dir>/port.

Like the real one it speaks the authenticated channel (agent/README.md
"Trust", lib/agentmac.h): the key of agent X is <dir>/keys/X.key, else
<dir>/agent.key; a request's signature is checked and the verdict appended
to <dir>/auth.log ("<agent> ok" or "<agent> bad: why"; the request is
served either way, the fake is not what is under test); replies are signed
with the request's nonce and the spec's replication.password sealed (and a
master_password, which a real controlplane never sends: the agent must
refuse it either way). Goals-file switches, for attack tests:
"__unsigned": true (no signature), "__wrong_key": true (signed with
another key), "__plaintext": true (secrets left in plain text).
"""
import hashlib
import hmac
import http.server
import json
import os
import re
import sys
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DIR = sys.argv[1]


def agent_key(agent):
    for name in (os.path.join(DIR, "keys", "%s.key" % agent), os.path.join(DIR, "agent.key")):
        try:
            with open(name) as f:
                return bytes.fromhex(f.read().strip())
        except (FileNotFoundError, ValueError):
            pass
    return None


def sign(key, kind, method, path, agent, ts, nonce, body):
    sts = "\n".join(["rdsim-agent-v1", kind, method, path, agent, ts, nonce,
                     hashlib.sha256(body).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def seal(key, label, plaintext):
    k = hmac.new(key, b"rdsim-agent-seal-v1", hashlib.sha256).digest()
    iv = os.urandom(12)
    return "v1:" + (iv + AESGCM(k).encrypt(iv, plaintext.encode(), label.encode())).hex()


def seal_goals(key, parsed):
    for g in parsed.get("nodes", []) if isinstance(parsed.get("nodes"), list) else []:
        spec = g.get("spec") if isinstance(g, dict) else None
        if not isinstance(spec, dict):
            continue
        nid = str(g.get("node_id", ""))
        if isinstance(spec.get("master_password"), str):
            spec["master_password_sealed"] = seal(key, nid + "/master_password",
                                                  spec.pop("master_password"))
        repl = spec.get("replication")
        if isinstance(repl, dict) and isinstance(repl.get("password"), str):
            repl["password_sealed"] = seal(key, nid + "/replication", repl.pop("password"))


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path != "/agent/v1/heartbeat":
            self.send_error(404)
            return
        write_atomic(os.path.join(DIR, "last_heartbeat.json"), body)
        agent = ""
        try:
            agent = str(json.loads(body).get("agent_id", ""))
        except (ValueError, AttributeError):
            pass
        agent = re.sub(r"[^A-Za-z0-9-]", "_", agent)[:64]
        if agent:
            write_atomic(os.path.join(DIR, "last_heartbeat-%s.json" % agent), body)
        with open(os.path.join(DIR, "heartbeats.log"), "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        hagent = self.headers.get("X-Rdsim-Agent", "")
        nonce = self.headers.get("X-Rdsim-Nonce", "")
        key = agent_key(re.sub(r"[^A-Za-z0-9-]", "_", hagent)[:64]) if hagent else None
        want = key and sign(key, "request", "POST", self.path, hagent,
                            self.headers.get("X-Rdsim-Time", ""), nonce, body)
        verdict = "ok" if want and hmac.compare_digest(
            want, self.headers.get("X-Rdsim-Signature", "")) else "bad: signature"
        with open(os.path.join(DIR, "auth.log"), "a") as f:
            f.write("%s %s\n" % (hagent or "-", verdict))
        goals = None
        for name in (["goals-%s.json" % agent] if agent else []) + ["goals.json"]:
            try:
                with open(os.path.join(DIR, name), "rb") as f:
                    goals = f.read()
                break
            except FileNotFoundError:
                pass
        if goals is None:
            goals = b'{"interval_ms": 100, "authoritative": false, "nodes": []}'
        status = 200
        unsigned = wrong_key = False
        try:
            parsed = json.loads(goals)
            if isinstance(parsed, dict) and "__status" in parsed:
                status = int(parsed["__status"])
                goals = b"internal error"
            elif isinstance(parsed, dict) and "__raw" in parsed:
                goals = parsed["__raw"].encode()
            elif isinstance(parsed, dict):
                unsigned = parsed.pop("__unsigned", False)
                wrong_key = parsed.pop("__wrong_key", False)
                if key and not parsed.pop("__plaintext", False):
                    seal_goals(key, parsed)
                goals = json.dumps(parsed).encode()
        except ValueError:
            pass
        self.send_response(status)
        if key and not unsigned:
            ts = str(int(time.time() * 1000))
            skey = bytes(32) if wrong_key else key
            self.send_header("X-Rdsim-Time", ts)
            self.send_header("X-Rdsim-Signature",
                             sign(skey, "reply", str(status), self.path, hagent, ts, nonce, goals))
        with open(os.path.join(DIR, "replies.log"), "ab") as f:
            f.write(goals.replace(b"\n", b" ") + b"\n")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(goals)))
        self.end_headers()
        self.wfile.write(goals)

    def log_message(self, fmt, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0),
                                Handler)
write_atomic(os.path.join(DIR, "port"), str(server.server_address[1]).encode())
server.serve_forever()
