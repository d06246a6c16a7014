#!/usr/bin/env python3
"""One API request signed by botocore's own signer, bent on purpose.

  sigv4_client.py [options] URL BODY

Signs a Query POST of BODY (form-encoded) to URL with botocore.auth's
SigV4Auth, or with --presign a GET with BODY as the query string with
SigV4QueryAuth, using the credentials of the environment (region.env:
AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE) unless --key/--secret say
otherwise, then prints "HTTP-STATUS ERROR-CODE" ("200 -" on success).

  --skew S        sign as if the clock were S seconds ahead (negative: behind)
  --presign N     presigned GET valid N seconds (X-Amz-Expires)
  --send BODY2    send BODY2 instead of the body that was signed (tampering)
  --header K:V    sign K:V, then send it with another value (K:V2 via --send-header)
  --service NAME  the scope's service (rds)
  --target T      JSON 1.1 (KMS): X-Amz-Target T, BODY is the JSON document
"""
import argparse
import datetime
import json
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import Session


def error_code(body):
    try:
        doc = json.loads(body)
        if "__type" in doc:
            return doc["__type"].split("#")[-1]
        return doc.get("Error", {}).get("Code", "?")
    except ValueError:
        pass
    try:
        root = ET.fromstring(body)
        for el in root.iter():
            if el.tag.endswith("Code"):
                return el.text
    except ET.ParseError:
        pass
    return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("body")
    ap.add_argument("--skew", type=int, default=0)
    ap.add_argument("--presign", type=int)
    ap.add_argument("--send")
    ap.add_argument("--header")
    ap.add_argument("--send-header")
    ap.add_argument("--service", default="rds")
    ap.add_argument("--target")
    ap.add_argument("--key")
    ap.add_argument("--secret")
    a = ap.parse_args()

    session = Session()
    creds = session.get_credentials()
    if a.key:
        creds = Credentials(a.key, a.secret)
    region = session.get_config_variable("region")
    real_now = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: real_now() + datetime.timedelta(seconds=a.skew)

    headers = {}
    if a.target:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": a.target}
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if a.header:
        k, v = a.header.split(":", 1)
        headers[k] = v
    if a.presign:
        req = AWSRequest(method="GET", url=a.url + "?" + a.body)
        SigV4QueryAuth(creds, a.service, region, expires=a.presign).add_auth(req)
        send = urllib.request.Request(req.url, method="GET")
    else:
        req = AWSRequest(method="POST", url=a.url, data=a.body.encode(), headers=headers)
        SigV4Auth(creds, a.service, region).add_auth(req)
        sent_headers = dict(req.headers)
        if a.send_header:
            k, v = a.send_header.split(":", 1)
            sent_headers[k] = v
        body = (a.send if a.send is not None else a.body).encode()
        send = urllib.request.Request(a.url, data=body, headers=sent_headers, method="POST")
    try:
        with urllib.request.urlopen(send, timeout=10) as r:
            r.read()
            print("200 -")
    except urllib.error.HTTPError as e:
        print(e.code, error_code(e.read().decode(errors="replace")))


if __name__ == "__main__":
    sys.exit(main())
