#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/ for fuzz_dns (and test_corpus).

One file per kind of query the server must handle: well-formed queries
of every answer kind, and the malformed classes of DNS-REFERENCE.md §5.
Run from the repository root: python3 fuzz/gen_corpus.py
"""
import os
import struct

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


def main():
    os.makedirs(OUT, exist_ok=True)
    for key, data in SEEDS.items():
        with open(os.path.join(OUT, key), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {OUT}")


if __name__ == "__main__":
    main()
