#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ of the fuzzers (and of
the unit tests that replay them in `make check`).

dns:   one file per kind of query the server must handle: well-formed
       queries of every answer kind, and the malformed classes of
       DNS-REFERENCE.md §5 (tests/unit/dns/test_corpus.c).
query: Query-protocol bodies; ok_* must parse, bad_* must be refused
       (tests/unit/controlplane/test_fuzz_query.c).
sigv4: requests in fuzz_sigv4.c's text form, header-signed, presigned
       and broken; signed_* are validly signed with the fuzzer's key at
       its fixed time (tests/unit/lib/test_fuzz_sigv4.c).
Run from the repository root: python3 fuzz/gen_corpus.py
Files already there and not written here (fuzzer finds) are kept.
"""
import hashlib
import hmac
import os
import struct
import urllib.parse

APEX = "us-east-1.rds.internal"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def name(text):
    b = b""
    for label in text.split(".") if text else []:
        b += bytes([len(label)]) + label.encode()
    return b + b"\0"


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def question(qname, qtype=1, qclass=1):
    return name(qname) + struct.pack(">HH", qtype, qclass)


def opt(payload=1232, version=0, do=False, options=b"", owner=b"\0"):
    return owner + struct.pack(">HHBBHH", 41, payload, 0, version,
                               0x8000 if do else 0, len(options)) + options


def query(qname, qtype=1, qclass=1, flags=0x0100, edns=None):
    ar = 1 if edns is not None else 0
    q = header(flags=flags, ar=ar) + question(qname, qtype, qclass)
    if edns is not None:
        q += edns
    return q


def pointer_chain(hops):
    """A descending pointer chain (c-ares #1164): an answer RR's rdata holds
    the root and then pointers, each to the one before; the OPT's owner
    points at the last, so decoding it takes `hops` jumps."""
    msg = header(an=1, ar=1) + question("node1." + APEX)
    rdata_off = len(msg) + 1 + 10  # owner "\0", then type/class/ttl/rdlength
    chain = b"\0"
    for i in range(hops - 1):
        target = rdata_off if i == 0 else rdata_off + 1 + 2 * (i - 1)
        chain += struct.pack(">H", 0xC000 | target)
    last = rdata_off + 1 + 2 * (hops - 2) if hops > 1 else rdata_off
    msg += b"\0" + struct.pack(">HHIH", 16, 1, 0, len(chain)) + chain
    return msg + opt(owner=struct.pack(">H", 0xC000 | last))


SEEDS = {
    # well-formed, one per answer kind
    "a_hit": query("node1." + APEX),
    "cname_chase": query("db." + APEX),
    "cname_mixed_case": query("dB.US-east-1.RDS.internal"),
    "cname_qtype": query("db." + APEX, 5),
    "cname_out_of_zone": query("ext." + APEX),
    "cname_dangling_nxdomain": query("dangling." + APEX),
    "cname_loop": query("loop1." + APEX),
    "nodata_aaaa": query("node1." + APEX, 28),
    "nodata_ent": query("ent." + APEX),
    "nxdomain": query("nope." + APEX),
    "apex_soa": query(APEX, 6),
    "apex_ns": query(APEX, 2),
    "apex_any": query(APEX, 255),
    "refused_outside": query("example.com"),
    "refused_class_ch": query("version.bind", 16, 3),
    "axfr": query(APEX, 252),
    "ixfr": query(APEX, 251),
    "maila": query(APEX, 254),
    "opcode_status": query("node1." + APEX, flags=(2 << 11)),
    "opcode_notify": query(APEX, 6, flags=(4 << 11)),
    "opcode_update": query(APEX, 6, flags=(5 << 11)),
    "z_ad_cd_bits": query("node1." + APEX, flags=0x0170),
    "edns0": query("db." + APEX, edns=opt()),
    "edns0_do": query(APEX, 6, edns=opt(do=True)),
    "edns0_small_payload": query("db." + APEX, edns=opt(payload=100)),
    "edns0_cookie": query("db." + APEX, edns=opt(options=struct.pack(">HH", 10, 8) + b"\1" * 8)),
    "edns1_badvers": query("db." + APEX, edns=opt(version=1)),
    # malformed
    "empty": b"",
    "short_header": header()[:5],
    "header_only": header(),
    "qr_set": query("node1." + APEX, flags=0x8100),
    "qd0": header(qd=0),
    "qd2": header(qd=2) + question("node1." + APEX) + question("db." + APEX),
    "qd2_one_present": header(qd=2) + question("node1." + APEX),
    "qtype_missing": header() + name("node1." + APEX),
    "compression_loop": header() + b"\xc0\x0c" + struct.pack(">HH", 1, 1),
    "compression_mutual": header() + b"\x01a\xc0\x0e\xc0\x0c" + struct.pack(">HH", 1, 1),
    "forward_pointer": header() + b"\xc0\x12" + struct.pack(">HH", 1, 1) + name("db." + APEX),
    "pointer_past_end": header() + b"\xc0\xff" + struct.pack(">HH", 1, 1),
    "pointer_chain_150": pointer_chain(150),
    "pointer_chain_100": pointer_chain(100),
    "label_0x40": header() + b"\x41a\x00" + struct.pack(">HH", 1, 1),
    "label_0x80": header() + b"\x81a\x00" + struct.pack(">HH", 1, 1),
    "overlong_name": header() + (b"\x3c" + b"a" * 60) * 5 + b"\0" + struct.pack(">HH", 1, 1),
    "counts_beyond_packet": header(an=3, ns=2, ar=5) + question("node1." + APEX),
    "rdlength_overflow": header(ar=1) + question("node1." + APEX) + b"\0" +
        struct.pack(">HHIH", 1, 1, 0, 400) + b"\1\2\3\4",
    "trailing_garbage": query("node1." + APEX) + b"\xde\xad\xbe\xef",
    "two_opts": header(ar=2) + question("db." + APEX) + opt() + opt(),
    "opt_not_root": header(ar=1) + question("db." + APEX) + opt(owner=name("x")),
    "opt_in_answer": header(an=1) + question("db." + APEX) + opt(),
    "opt_option_overrun": query("db." + APEX, edns=opt(options=struct.pack(">HH", 10, 9))),
    "qtype_opt": query("db." + APEX, 41),
}


QUERY_SEEDS = {
    "ok_empty": b"",
    "ok_describe": b"Action=DescribeDBInstances&Version=2014-10-31",
    "ok_paging": b"Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=20&Marker=40",
    "ok_create": b"Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop"
                 b"&Engine=postgres&DBInstanceClass=db.t3.micro&AllocatedStorage=20"
                 b"&MasterUsername=admin&MasterUserPassword=pa%24%24word+x&MultiAZ=true"
                 b"&VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1"
                 b"&VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2"
                 b"&Tags.Tag.1.Key=env&Tags.Tag.1.Value=dev&Tags.Tag.2.Key=team",
    "ok_member_list": b"Action=DescribeEvents&EventCategories.member.1=backup"
                      b"&EventCategories.member.2=failover&EventCategories.member.3=notification",
    "ok_empty_list": b"Action=DescribeEvents&EventCategories=",
    "ok_filters": b"Action=DescribeDBInstances&Filters.Filter.1.Name=engine"
                  b"&Filters.Filter.1.Values.Value.1=postgres"
                  b"&Filters.Filter.2.Name=db-instance-id"
                  b"&Filters.Filter.2.Values.Value.1=a&Filters.Filter.2.Values.Value.2=b",
    "ok_encoded_names": b"Action=ListTagsForResource&ResourceName=arn%3Aaws%3Ards%3Aus-east-1"
                        b"%3A123456789012%3Adb%3Ashop&Filters%2EFilter%2E1%2EName=x",
    "ok_utf8": b"Action=AddTagsToResource&Tags.Tag.1.Key=caf%C3%A9&Tags.Tag.1.Value=%F0%9F%98%80",
    "ok_ec2": b"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1"
              b"&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432"
              b"&IpPermissions.1.ToPort=5432&IpPermissions.1.IpRanges.1.CidrIp=127.0.0.0%2F8",
    "ok_plus_space": b"Action=X&Description=a+b+c",
    "ok_trailing_amp": b"Action=X&",
    "ok_gap_list_parses": b"Action=DescribeEvents&EventCategories.member.1=a"
                          b"&EventCategories.member.3=c",
    "ok_leading_zero_position": b"Action=X&Tags.Tag.01.Key=a&Filters.Filter.1=x",
    "ok_huge_position": b"Action=X&Tags.Tag.99999999999999999999.Key=a",
    "ok_nested_deep": b"A.B.1.C.D.1=x&A.B.1.C.D.2=y&A.B.2.C.D.1=z&A.B.2.E=w",
    "ok_paging_bad_values": b"MaxRecords=5&Marker=-1&MultiAZ=maybe&AllocatedStorage=1e9",
    "bad_no_equals": b"Action",
    "bad_empty_name": b"=x",
    "bad_double_amp": b"A=1&&B=2",
    "bad_nul": b"A=x\x00y",
    "bad_pct00": b"A=x%00y",
    "bad_escape": b"A=%zz",
    "bad_escape_at_end": b"A=ab%",
    "bad_utf8_value": b"A=%C0%80",
    "bad_utf8_name": b"A%FF=1",
    "bad_repeat": b"A=1&B=2&A=3",
    "bad_repeat_decoded": b"A.B=1&A%2EB=2",
    "bad_too_many": b"&".join(b"P%d=1" % i for i in range(1001)),
}

SIGV4_SECRET = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGV4_DATE = "20150830T123600Z"


def _enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def _signing_key(date, region, service):
    k = hmac.new(b"AWS4" + SIGV4_SECRET, date[:8].encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _canonical(method, path, query, headers, signed, body, presigned):
    pairs = []
    for item in [q for q in query.split("&") if q]:
        n, _, v = item.partition("=")
        n, v = _enc(urllib.parse.unquote(n)), _enc(urllib.parse.unquote(v))
        if presigned and n == "X-Amz-Signature":
            continue
        pairs.append((n, v))
    cq = "&".join(f"{n}={v}" for n, v in sorted(pairs))
    lines = [f"{n}:{' '.join(headers[n].split())}" for n in signed]
    return "\n".join([method, path, cq] + lines +
                     ["", ";".join(signed), hashlib.sha256(body).hexdigest()])


def _sig(canonical, region="us-east-1", service="rds"):
    scope = f"{SIGV4_DATE[:8]}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", SIGV4_DATE, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(_signing_key(SIGV4_DATE, region, service), sts.encode(),
                    hashlib.sha256).hexdigest()


def signed_request(method, path, query, extra, body):
    """fuzz_sigv4's text form of a header-signed request."""
    headers = {"host": "rds.us-east-1.amazonaws.com", "x-amz-date": SIGV4_DATE}
    headers.update(extra)
    signed = sorted(headers)
    c = _canonical(method, path, query, headers, signed, body, False)
    authz = (f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{SIGV4_DATE[:8]}/us-east-1/rds/"
             f"aws4_request, SignedHeaders={';'.join(signed)}, Signature={_sig(c)}")
    lines = [f"{method} {path}" + (f"?{query}" if query else "")]
    lines += [f"{n}:{v}" for n, v in headers.items()] + [f"Authorization:{authz}", ""]
    return "\n".join(lines).encode() + b"\n" + body


def presigned_request(method, path, query, expires=300):
    cred = f"AKIDEXAMPLE/{SIGV4_DATE[:8]}/us-east-1/rds/aws4_request"
    q = (f"{query}&" if query else "") + (
        f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={_enc(cred)}"
        f"&X-Amz-Date={SIGV4_DATE}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host")
    headers = {"host": "rds.us-east-1.amazonaws.com"}
    c = _canonical(method, path, q, headers, ["host"], b"", True)
    q += f"&X-Amz-Signature={_sig(c)}"
    return f"{method} {path}?{q}\nhost:{headers['host']}\n\n".encode()


BODY = b"Action=DescribeDBInstances&Version=2014-10-31"
AUTH_HEAD = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/rds/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
SIGV4_SEEDS = {
    "signed_post": signed_request("POST", "/", "", {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8"}, BODY),
    "signed_get_query": signed_request("GET", "/", "Action=DescribeDBInstances&Version=2014-10-31",
                                       {}, b""),
    "signed_spaces_in_header": signed_request("POST", "/", "", {"x-note": "a   b  c"}, BODY),
    "signed_path": signed_request("GET", "/a/b-c/d_e", "", {}, b""),
    "presigned_get": presigned_request("GET", "/", "Action=DescribeDBInstances"),
    "presigned_connect": presigned_request("GET", "/", "Action=connect&DBUser=iam_user", 900),
    "header_bad_signature": ("POST /\nhost:rds.us-east-1.amazonaws.com\nx-amz-date:"
                             + SIGV4_DATE + "\nAuthorization:" + AUTH_HEAD + "\n\n").encode() + BODY,
    "header_wrong_algorithm": b"POST /\nAuthorization:AWS4-HMAC-SHA1 Credential=a/b\n\n",
    "header_missing_parts": b"POST /\nAuthorization:AWS4-HMAC-SHA256 Credential=A/20150830/"
                            b"us-east-1/rds/aws4_request\nx-amz-date:20150830T123600Z\n\n",
    "header_credential_short": b"GET /\nAuthorization:AWS4-HMAC-SHA256 Credential=A/2015/x/"
                               b"aws4_request, SignedHeaders=host, Signature=ab\n\n",
    "header_bad_signature_date_form": ("GET /\nhost:x\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nAuthorization:"
                         + AUTH_HEAD.replace("x-amz-date", "date") + "\n\n").encode(),
    "header_no_date": ("GET /\nhost:x\nAuthorization:" + AUTH_HEAD + "\n\n").encode(),
    "header_host_unsigned": ("GET /\nhost:x\nx-amz-date:" + SIGV4_DATE + "\nAuthorization:"
                             + AUTH_HEAD.replace("host;", "") + "\n\n").encode(),
    "header_long_key": ("GET /\nhost:x\nx-amz-date:" + SIGV4_DATE + "\nAuthorization:"
                        + AUTH_HEAD.replace("AKIDEXAMPLE", "K" * 200) + "\n\n").encode(),
    "query_partial": b"GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x\n\n",
    "query_bad_expires": b"GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20150830"
                         b"%2Fus-east-1%2Frds%2Faws4_request&X-Amz-Date=20150830T123600Z"
                         b"&X-Amz-Expires=0&X-Amz-SignedHeaders=host&X-Amz-Signature=00\n\n",
    "dot_segments": b"GET /a/./b/../../c//d/?b=2&a=1&a=0&c\nhost:x\n\n",
    "percent_path": b"GET /%41%2f%zz%\nhost:x\n\n",
    "no_headers": b"POST /",
    "empty": b"",
}


def write(target, seeds):
    out = os.path.join(OUT, target)
    os.makedirs(out, exist_ok=True)
    for key, data in seeds.items():
        with open(os.path.join(out, key), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


def main():
    write("dns", SEEDS)
    write("query", QUERY_SEEDS)
    write("sigv4", SIGV4_SEEDS)


if __name__ == "__main__":
    main()
