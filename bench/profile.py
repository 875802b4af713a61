#!/usr/bin/env python3
"""profile.py - where a round trip's time goes, per system (bench/run
--profile calls it).

For each system and transport, unpinned and pinned to CPU 0, one client
does W1's dict get synchronously, N times, against a fresh server:
- perf stat -e task-clock,context-switches,cpu-migrations on the server
  (attached, per thread) and on the client;
- strace -f -c on the server (started under it) and on the client.
Each is run twice, with N operations and with none, and the difference is
divided by N: what setup costs (connecting, filling the keys) cancels out.
Writes profile.md into --out and prints it.
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driver  # noqa: E402
from driver import BenchError, Server, kill_group, spawn  # noqa: E402

EVENTS = "task-clock,context-switches,cpu-migrations"


def client_argv(srv, n):
    return srv.client_argv("w1", {"only": "dict_get", "n": n, "warmup": 0})


def run(argv, log, timeout=300):
    p = spawn(argv, log, stdout=log, stdin=subprocess.DEVNULL)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_group(p)
        raise BenchError(f"{argv[0]} ran out of time")
    kill_group(p)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed (see {log.name})")


def parse_perf(path):
    """perf stat -x, output -> {event: total}, {thread name: {event: v}}."""
    total, per = {}, {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split(",")
            # --per-thread lines start with "comm-tid"; plain ones do not.
            if len(parts) >= 4 and re.match(r"^[0-9.]+$|^<not", parts[0]) is None:
                thread, parts = re.sub(r"-\d+$", "", parts[0]), parts[1:]
            else:
                thread = None
            try:
                value = float(parts[0])
            except ValueError:
                continue  # <not counted>: the thread did not run
            ev = parts[2]
            total[ev] = total.get(ev, 0) + value
            if thread is not None:
                per.setdefault(thread, {}).setdefault(ev, 0)
                per[thread][ev] += value
    return total, per


def parse_strace(path):
    """strace -c summary -> {syscall: calls}."""
    calls = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) in (5, 6) and parts[0][0].isdigit() and parts[-1] != "total":
                try:
                    calls[parts[-1]] = calls.get(parts[-1], 0) + int(parts[3])
                except ValueError:
                    pass
    return calls


def perf_case(ctx, system, transport, pinned, n):
    """{side: {event: per-op}}, {server thread name: cs per op}."""
    res = {}
    for count in (n, 0):
        srv = Server(ctx, system, transport, pinned).start()
        tag = f"{srv.tag}-{count}"
        spath = os.path.join(ctx.logdir, f"perf-server-{tag}.txt")
        cpath = os.path.join(ctx.logdir, f"perf-client-{tag}.txt")
        log = open(os.path.join(ctx.logdir, f"profile-{tag}.log"), "w")
        try:
            ps = spawn(["perf", "stat", "-e", EVENTS, "--per-thread", "-x,",
                        "-o", spath, "-p", str(srv.pid)], log)
            time.sleep(0.3)  # perf attaches
            run(["perf", "stat", "-e", EVENTS, "-x,", "-o", cpath, "--"]
                + client_argv(srv, count), log)
            ps.send_signal(signal.SIGINT)
            ps.wait(10)
            kill_group(ps)
        finally:
            srv.stop()
            log.close()
        res[count] = (parse_perf(spath), parse_perf(cpath))
    (s_n, per_n), (c_n, _) = res[n]
    (s_0, per_0), (c_0, _) = res[0]
    side = {
        "server": {e: (s_n.get(e, 0) - s_0.get(e, 0)) / n for e in s_n},
        "client": {e: (c_n.get(e, 0) - c_0.get(e, 0)) / n for e in c_n},
    }
    threads = {}
    for name, ev in per_n.items():
        v = ev.get("context-switches", 0) - per_0.get(name, {}).get("context-switches", 0)
        threads[name] = v / n
    return side, threads


def strace_case(ctx, system, transport, pinned, n):
    """{side: {syscall: calls per op}}."""
    res = {}
    for count in (n, 0):
        tmp = os.path.join(ctx.logdir, f"strace-{system}-{transport}-{int(pinned)}-{count}")
        srv = Server(ctx, system, transport, pinned,
                     wrap=["strace", "-f", "-c", "-o", tmp + "-server.txt"]).start()
        log = open(tmp + ".log", "w")
        try:
            run(["strace", "-f", "-c", "-o", tmp + "-client.txt", "--"]
                + client_argv(srv, count), log)
        finally:
            srv.stop()  # SIGTERM: strace prints its summary as it ends
            log.close()
        res[count] = (parse_strace(tmp + "-server.txt"), parse_strace(tmp + "-client.txt"))
    out = {}
    for i, side in enumerate(("server", "client")):
        a, b = res[n][i], res[0][i]
        out[side] = {k: (a.get(k, 0) - b.get(k, 0)) / n for k in set(a) | set(b)}
    return out


def fmt_calls(d, min_per_op=0.05):
    items = sorted(((v, k) for k, v in d.items() if v >= min_per_op), reverse=True)
    total = sum(v for v in d.values() if v > 0)
    return f"{total:.1f}: " + ", ".join(f"{k} {v:.2f}" for v, k in items)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--n", type=int, default=20000, help="round trips for perf")
    ap.add_argument("--strace-n", type=int, default=5000, help="round trips under strace")
    ap.add_argument("--systems", default="ours,redis,python")
    ap.add_argument("--transports", default="unix,tcp")
    ap.add_argument("--tmp", help="make the sockets and key under this dir")
    a = ap.parse_args()
    for tool in ("perf", "strace", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"profile: {tool} is missing")

    ctx = driver.Ctx()
    ctx.python = a.python
    ctx.managerd = os.path.join(a.build, "managerd")
    ctx.bench_mgr = os.path.join(a.build, "bench", "bench_mgr")
    ctx.bench_redis = os.path.join(a.build, "bench", "bench_redis")
    ctx.redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    ctx.out = os.path.abspath(a.out)
    ctx.logdir = os.path.join(ctx.out, "profile-logs")
    shutil.rmtree(ctx.logdir, ignore_errors=True)
    os.makedirs(ctx.logdir)
    ctx.tmp = tempfile.mkdtemp(prefix="mgr-profile-", dir=a.tmp)
    ctx.keyfile = os.path.join(ctx.tmp, "authkey")
    with open(os.open(ctx.keyfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(secrets.token_hex(32))

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    lines = [
        "# Round-trip profile: one synchronous client, dict get",
        "",
        f"- {driver.machine()}; load average at start "
        f"{os.getloadavg()[0]:.2f}; {driver.tree_state()}",
        f"- per operation: (run with N={a.n:,} gets) minus (run with none), "
        f"over N; strace runs with N={a.strace_n:,}. cs = context switches "
        "(a thread blocking or being preempted), migr = CPU migrations, "
        "cpu = task-clock microseconds.",
        "",
        "| system | transport | run | server cpu us | server cs | server migr "
        "| client cpu us | client cs | client migr | server threads (cs per op) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    sys_lines = [
        "",
        "## System calls per operation (strace -f -c, differential)",
        "",
        "| system | transport | run | server: total: per call | client: total: per call |",
        "| --- | --- | --- | --- | --- |",
    ]
    try:
        for transport in a.transports.split(","):
            for system in a.systems.split(","):
                for pinned in (False, True):
                    run_name = "pinned" if pinned else "unpinned"
                    side, threads = perf_case(ctx, system, transport, pinned, a.n)
                    sv, cl = side["server"], side["client"]
                    thr = ", ".join(f"{k} {v:.2f}" for k, v in
                                    sorted(threads.items(), key=lambda kv: -kv[1]) if v >= 0.05)
                    lines.append(
                        f"| {system} | {transport} | {run_name} | "
                        f"{sv.get('task-clock', 0) * 1000:.1f} | "
                        f"{sv.get('context-switches', 0):.2f} | {sv.get('cpu-migrations', 0):.3f} | "
                        f"{cl.get('task-clock', 0) * 1000:.1f} | "
                        f"{cl.get('context-switches', 0):.2f} | {cl.get('cpu-migrations', 0):.3f} | "
                        f"{thr} |")
                    st = strace_case(ctx, system, transport, pinned, a.strace_n)
                    sys_lines.append(
                        f"| {system} | {transport} | {run_name} | {fmt_calls(st['server'])} | "
                        f"{fmt_calls(st['client'])} |")
                    print(lines[-1], flush=True)
                    print(sys_lines[-1], flush=True)
    except BenchError as e:
        print(f"profile: {e}", file=sys.stderr)
        return 1
    finally:
        driver.kill_all()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    text = "\n".join(lines + sys_lines) + "\n"
    with open(os.path.join(ctx.out, "profile.md"), "w") as f:
        f.write(text)
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
