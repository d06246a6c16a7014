#!/usr/bin/env python3
"""Hostile SNS subscribers for tests/integration/security_sns.t.

Listens on 127.0.0.1 (any free port), writes the port to --port-file, and
answers every POST according to --mode:

  big      200 with Content-Length 1.5 GB, then streams zeros until the
           client goes away (generated 64 KiB at a time, never allocated)
  endless  200 with no Content-Length (read-until-close), zeros forever
  slow     the status line, then one header byte every 0.5 s, forever
  forward  a SigV4 signing proxy (a confused deputy): re-sends the body
           it got, with the Content-Type it got, to --to (the region's
           API), signed by botocore with the environment's credentials,
           and logs what the API answered

Each POST appends one line to --log ("<mode> <bytes sent or status>").
"""
import argparse
import http.server
import os
import socketserver
import time
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True, choices=["big", "endless", "slow", "forward"])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--to")
    args = ap.parse_args()
    chunk = b"\0" * 65536

    def log(line):
        with open(args.log, "a") as f:
            f.write(line + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            sent = 0
            try:
                if args.mode == "forward":
                    from botocore.auth import SigV4Auth
                    from botocore.awsrequest import AWSRequest
                    from botocore.session import Session
                    session = Session()
                    areq = AWSRequest(method="POST", url=args.to, data=body, headers={
                        "Content-Type": self.headers.get("Content-Type", "")})
                    SigV4Auth(session.get_credentials(), "rds",
                              session.get_config_variable("region")).add_auth(areq)
                    rq = urllib.request.Request(args.to, data=body, method="POST",
                                                headers=dict(areq.headers))
                    try:
                        with urllib.request.urlopen(rq, timeout=10) as r:
                            status, answer = r.status, r.read()
                    except urllib.error.HTTPError as e:
                        status, answer = e.code, e.read()
                    log("forward %d %s" % (status, answer[:300].decode("utf-8", "replace")
                                           .replace("\n", " ")))
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if args.mode == "slow":
                    log("slow start")
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    self.wfile.flush()
                    while True:
                        self.wfile.write(b"X")
                        self.wfile.flush()
                        sent += 1
                        time.sleep(0.5)
                self.send_response(200)
                if args.mode == "big":
                    self.send_header("Content-Length", str(1536 * 1024 * 1024))
                self.end_headers()
                log("%s start" % args.mode)
                while args.mode == "endless" or sent < 1536 * 1024 * 1024:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            log("%s %d" % (args.mode, sent))
            self.close_connection = True

        def log_message(self, *a):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
