#!/usr/bin/env python3
"""bench/proccpu.py: CPU of a region's processes over an interval, by kind.

Usage: bench/proccpu.py SECONDS ROOT_PID...
       bench/proccpu.py mem ROOT_PID...

The region is every process descending from the ROOT_PIDs (the
controlplane and the agents; the postmasters are the agents' children,
the archivers the controlplane's). Reads /proc/<pid>/stat before and
after, and prints one line per kind (percent of one core over the
interval):

  kind  percent  processes

Kinds: controlplane, agent, archiver (rds-backup and its pg_receivewal),
and for PostgreSQL the process title's type (postmaster, walsender,
walreceiver, checkpointer, bgwriter, walwriter, startup, autovacuum,
backend:<user>, other).

A process that exits inside the interval (a probe's backend, a psql)
is counted through its parent's cutime/cstime, the kernel's sum of the
reaped children: it lands under "<parent kind> (reaped children)".
A process alive at the end but not at the start is counted whole.
Also prints the total, and RSS (MiB) by kind at the end.

`mem` prints the region's proportional set size (smaps_rollup's Pss, so
a shared page counts once over all its sharers) split into PostgreSQL's
shared memory (Pss_Shmem of the postgres processes: shared_buffers and
the rest of its segment), the postgres processes' other memory, and the
rest (controlplane, agents, archivers), in MiB:

  pg_shmem  pg_other  rest  total
"""
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def read_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is state (field 3); utime is field 14 -> rest[11]
    return {
        "ppid": int(rest[1]),
        "cpu": int(rest[11]) + int(rest[12]),
        "ccpu": int(rest[13]) + int(rest[14]),
        "rss": int(rest[21]) * PAGE,
        "comm": comm,
        "cmd": cmd,
    }


def snapshot():
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = read_stat(int(d))
            if st:
                procs[int(d)] = st
    return procs


def region_of(procs, roots):
    children = {}
    for pid, st in procs.items():
        children.setdefault(st["ppid"], []).append(pid)
    seen = set()
    todo = [r for r in roots if r in procs]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(children.get(p, []))
    return seen


def kind(st):
    comm, cmd = st["comm"], st["cmd"]
    if comm.startswith("rds-controlpla"):
        return "controlplane"
    if comm == "rds-agent":
        return "agent"
    if comm in ("rds-backup", "pg_receivewal"):
        return "archiver"
    if cmd.startswith("postgres: "):
        t = cmd[len("postgres: "):]
        for key, name in (("walsender", "walsender"), ("walreceiver", "walreceiver"),
                          ("checkpointer", "checkpointer"), ("background writer", "bgwriter"),
                          ("walwriter", "walwriter"), ("startup", "startup"),
                          ("autovacuum", "autovacuum"), ("logical replication", "other"),
                          ("archiver", "other"), ("logger", "other")):
            if t.startswith(key) or (key == "walsender" and " walsender " in f" {t} "):
                return name
        return "backend:" + t.split()[0]
    if "postgres" in comm and " -D " in cmd:
        return "postmaster"
    return comm


def pss(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Pss_Shmem"):
                    out[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return out


def mem(roots):
    procs = snapshot()
    shm = other = rest = 0
    for pid in region_of(procs, roots):
        m = pss(pid)
        k = kind(procs[pid])
        if k in ("controlplane", "agent", "archiver") or k not in KNOWN_PG and \
                not k.startswith("backend:"):
            rest += m.get("Pss", 0)
        else:
            shm += m.get("Pss_Shmem", 0)
            other += m.get("Pss", 0) - m.get("Pss_Shmem", 0)
    mib = 1048576
    print(f"{shm / mib:.1f} {other / mib:.1f} {rest / mib:.1f} {(shm + other + rest) / mib:.1f}")


KNOWN_PG = {"postmaster", "walsender", "walreceiver", "checkpointer", "bgwriter", "walwriter",
            "startup", "autovacuum", "other"}


def main():
    if sys.argv[1] == "mem":
        mem([int(a) for a in sys.argv[2:]])
        return
    secs = float(sys.argv[1])
    roots = [int(a) for a in sys.argv[2:]]
    a = snapshot()
    t0 = time.monotonic()
    time.sleep(secs)
    b = snapshot()
    dt = time.monotonic() - t0
    region = region_of(b, roots)
    ticks, count, rss = {}, {}, {}
    for pid in region:
        st = b[pid]
        k = kind(st)
        prev = a.get(pid)
        same = prev is not None and prev["comm"] == st["comm"]
        d = st["cpu"] - (prev["cpu"] if same else 0)
        dc = st["ccpu"] - (prev["ccpu"] if same else 0)
        ticks[k] = ticks.get(k, 0) + d
        count[k] = count.get(k, 0) + 1
        rss[k] = rss.get(k, 0) + st["rss"]
        if dc:
            kc = k + " (reaped children)"
            ticks[kc] = ticks.get(kc, 0) + dc
    total = sum(ticks.values())
    for k in sorted(ticks, key=lambda k: -ticks[k]):
        print(f"{k:34s} {100.0 * ticks[k] / HZ / dt:7.2f} {count.get(k, 0):5d}")
    print(f"{'total':34s} {100.0 * total / HZ / dt:7.2f} {len(region):5d}")
    for k in sorted(rss, key=lambda k: -rss[k]):
        print(f"rss {k:30s} {rss[k] / 1048576:9.1f} MiB")


if __name__ == "__main__":
    main()
