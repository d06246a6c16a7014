#!/usr/bin/python3
"""The DNS-caching lab's Python lane (cli/labruntimes.h): Debian's psycopg2
(libpq underneath, which calls glibc's getaddrinfo on every connect, no
cache) writing through the instance's endpoint NAME every 100 ms, one line
per attempt on stdout:
    <start ms> <end ms> ok <server address> <server ms>
    <start ms> <end ms> fail <SQLSTATE or -> <message>
One connection, dropped on any error; the next attempt reconnects.

    labrt_psycopg2.py ENDPOINT PORT USER DBNAME RUN CLIENT
The password comes from $PGPASSWORD."""
import re
import sys
import time

import psycopg2

INSERT = ("INSERT INTO rdsim_lab (run, client, seq) VALUES (%s, %s, %s) "
          "RETURNING host(inet_server_addr()), "
          "(extract(epoch FROM clock_timestamp()) * 1000)::bigint")
MESSAGE_MAX = 200


def ms():
    return int(time.time() * 1000)


def clean(s):
    return re.sub(r"[^\x20-\x7e]", " ", s)[:MESSAGE_MAX]


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: labrt_psycopg2.py ENDPOINT PORT USER DBNAME RUN CLIENT")
    endpoint, port, user, dbname, run, client = sys.argv[1:]
    conn = None
    seq = 0
    while True:
        seq += 1
        start = ms()
        try:
            if conn is None:
                conn = psycopg2.connect(host=endpoint, port=int(port), user=user, dbname=dbname,
                                        connect_timeout=2, sslmode="prefer",
                                        options="-c statement_timeout=2000")
                conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(INSERT, (int(run), client, seq))
                addr, server = cur.fetchone()
            print(f"{start} {ms()} ok {clean(str(addr))} {int(server)}", flush=True)
        except psycopg2.Error as e:
            state = e.pgcode if e.pgcode and re.fullmatch(r"[0-9A-Z]{5}", e.pgcode) else "-"
            print(f"{start} {ms()} fail {state} {clean(str(e))}", flush=True)
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(0.1)


if __name__ == "__main__":
    main()
