#!/usr/bin/env python3
"""viewurl.py BASE [--expires N] [--skew S] [--key K --secret S]: a URL of
the live view's login (BASE/view/login) presigned by botocore's own
SigV4QueryAuth (an independent signer, not rdsctl's), as if the clock were
S seconds ahead (negative: behind), valid N seconds; the credentials of
the environment (region.env) unless --key/--secret. For liveview.t."""
import argparse
import datetime

import botocore.auth
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import Session

ap = argparse.ArgumentParser()
ap.add_argument("base")
ap.add_argument("--expires", type=int, default=900)
ap.add_argument("--skew", type=int, default=0)
ap.add_argument("--key")
ap.add_argument("--secret")
ap.add_argument("--service", default="rds")
a = ap.parse_args()
session = Session()
creds = Credentials(a.key, a.secret) if a.key else session.get_credentials()
real_now = botocore.auth.get_current_datetime
botocore.auth.get_current_datetime = lambda: real_now() + datetime.timedelta(seconds=a.skew)
req = AWSRequest(method="GET", url=a.base.rstrip("/") + "/view/login")
SigV4QueryAuth(creds, a.service, session.get_config_variable("region"),
               expires=a.expires).add_auth(req)
print(req.url)
