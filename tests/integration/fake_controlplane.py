#!/usr/bin/env python3
"""A fake rds-controlplane for tests/integration/agent.t.

Serves POST /agent/v1/heartbeat: records the last request body to
<dir>/last_heartbeat.json and <dir>/last_heartbeat-<agent_id>.json
(atomically), appends it as one line to <dir>/heartbeats.log, and replies
with <dir>/goals-<agent_id>.json if it exists, else <dir>/goals.json (so
one fake serves several agents, each with its own goals).
The goals file may hold {"__status": 500} to reply with that status, or
{"__raw": "text"} to reply with that text (for garbage-reply tests).
Binds 127.0.0.1 port 0 and writes the port to <dir>/port.
"""
import http.server
import json
import os
import re
import sys

DIR = sys.argv[1]


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
        try:
            parsed = json.loads(goals)
            if isinstance(parsed, dict) and "__status" in parsed:
                status = int(parsed["__status"])
                goals = b"internal error"
            elif isinstance(parsed, dict) and "__raw" in parsed:
                goals = parsed["__raw"].encode()
        except ValueError:
            pass
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(goals)))
        self.end_headers()
        self.wfile.write(goals)

    def log_message(self, fmt, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
write_atomic(os.path.join(DIR, "port"), str(server.server_address[1]).encode())
server.serve_forever()
