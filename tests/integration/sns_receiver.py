#!/usr/bin/env python3
"""A local HTTP endpoint for SNS deliveries (tests/integration/events_sns.t).

Listens on 127.0.0.1 (--port, 0 = any free port), writes the port it got
to --port-file, and appends one line per POST to --out: the body (the SNS
notification envelope, one line of JSON) with the x-amz-sns-message-type
header folded in as "_type", so the test can count what arrived. Answers
200 to every POST. With --cert and --key it speaks HTTPS.
"""
import argparse
import http.server
import json
import os
import ssl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {"_unparsed": body}
            doc["_type"] = self.headers.get("x-amz-sns-message-type", "")
            with open(args.out, "a") as f:
                f.write(json.dumps(doc) + "\n")
                f.flush()
                os.fsync(f.fileno())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    http.server.HTTPServer.allow_reuse_address = True
    srv = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
