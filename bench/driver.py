#!/usr/bin/env python3
"""driver.py - runs the side-by-side benchmark (bench/run calls it).

Starts each system fresh for every measurement (our managerd, Python's
SyncManager, redis-server; each on a unix socket and on tcp loopback), runs
the workload's client against it, and interleaves the systems: for every
repetition, for every workload, every system in turn (the order rotates
from one repetition to the next). Then writes results.md, results.csv,
samples.csv and the plots into --out, and prints the Markdown table.

Every process it starts is in a process group of its own, dies with the
driver (PR_SET_PDEATHSIG), and is killed at exit; every wait is bounded.
"""
import argparse
import csv
import ctypes
import datetime
import os
import platform
import re
import resource
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (system, transport): ours on ipc:// is a unix socket too.
SYSTEMS = [
    ("ours", "unix"),
    ("python", "unix"),
    ("redis", "unix"),
    ("ours", "tcp"),
    ("python", "tcp"),
    ("redis", "tcp"),
]
PEERS = ("python", "redis")

W1_OPS = [
    ("dict_set", "dict set"),
    ("dict_get", "dict get"),
    ("queue_putget", "queue put+get"),
    ("lock_acqrel", "lock acquire+release"),
    ("list_append", "list append"),
]
W2_CLIENTS = [1, 2, 4, 8, 16]

# Counts per mode. Python gets fewer operations where it would take minutes
# (its rates are per operation, so they compare all the same).
PARAMS = {
    "full": {
        "reps": 5,
        "w1_n": 3000,
        "w1_warmup": 300,
        "w2_ms": 1000,
        "w3_n": 200000,
        "w3_n_python": 20000,
        "w4_items": 200000,
        "w4_items_python": 20000,
        "w4p_items": 200000,
        "w5_entries": 1000000,
        "w5_conns": 1000,
        "w5_reps": 3,
    },
    "quick": {
        "reps": 1,
        "w1_n": 200,
        "w1_warmup": 20,
        "w2_ms": 100,
        "w3_n": 2000,
        "w3_n_python": 400,
        "w4_items": 2000,
        "w4_items_python": 800,
        "w4p_items": 4000,
        "w5_entries": 20000,
        "w5_conns": 50,
        "w5_reps": 1,
    },
}

CLIENT_TIMEOUT = 300  # seconds, any one client run
START_TIMEOUT = 30  # seconds, a server getting ready


class BenchError(Exception):
    pass


# ---- processes ----------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
_children = []  # every Popen started, killed at exit


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(argv, log, **kw):
    """Starts argv in a new session (its own process group), dying with us."""
    p = subprocess.Popen(
        argv,
        stderr=log,
        start_new_session=True,
        preexec_fn=_die_with_parent,
        **kw,
    )
    _children.append(p)
    return p


def kill_group(p, grace=2.0):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # stragglers of the group too
    except ProcessLookupError:
        pass
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        pass
    if p in _children:
        _children.remove(p)


def kill_all():
    for p in list(_children):
        kill_group(p, grace=1.0)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for {pid}")


def thread_stats(pid):
    """{tid: (ns on CPU, context switches)} of a process's threads."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns = int(f.read().split()[0])
            cs = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                        cs += int(line.split()[1])
            out[tid] = (run_ns, cs)
        except (OSError, ValueError, IndexError):
            pass
    return out


def stats_delta(before, after):
    """(threads that ran more than 1 ms, context switches) between two
    thread_stats snapshots."""
    busy = cs = 0
    for tid, (ns, c) in after.items():
        ns0, c0 = before.get(tid, (0, 0))
        busy += ns - ns0 > 1_000_000
        cs += c - c0
    return busy, cs


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


class CpuSampler:
    """Samples which CPU each thread of the given processes last ran on
    (/proc/PID/task/TID/stat field 39) every period, in a thread."""

    def __init__(self, roles, period=0.05):
        self.roles = roles  # name -> pid (client: with its descendants)
        self.seen = {name: set() for name in roles}
        # The server's thread stats as last seen: threads that end with
        # their connection (Python's) are counted too.
        self.server_stats = {}
        self.period = period
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.t.join(5)

    def _run(self):
        while True:
            self._sample()
            if self.stop_ev.wait(self.period):
                return

    def _sample(self):
        if "server" in self.roles:
            self.server_stats.update(thread_stats(self.roles["server"]))
        for name, pid in self.roles.items():
            pids = descendants(pid) if name == "client" else [pid]
            for p in pids:
                try:
                    tids = os.listdir(f"/proc/{p}/task")
                except OSError:
                    continue
                for tid in tids:
                    try:
                        with open(f"/proc/{p}/task/{tid}/stat") as f:
                            st = f.read()
                    except OSError:
                        continue
                    if "(taskset)" in st:
                        continue  # not yet exec'ed into the pinned program
                    fields = st[st.rindex(")") + 2 :].split()
                    self.seen[name].add(int(fields[36]))


# ---- servers --------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One fresh server of a system on a transport."""

    counter = 0

    def __init__(self, ctx, system, transport, pinned, wrap=()):
        self.ctx, self.system, self.transport = ctx, system, transport
        self.pinned = pinned
        self.wrap = list(wrap)  # a tracer to run the server under
        Server.counter += 1
        self.tag = f"{system}-{transport}-{Server.counter}"
        self.proc = None
        self.addr = None

    def prefix(self):
        return ["taskset", "-c", "0"] if self.pinned else []

    def server_prefix(self):
        return self.prefix() + self.wrap

    def start(self):
        c = self.ctx
        self.log = open(os.path.join(c.logdir, f"server-{self.tag}.log"), "w")
        sock = os.path.join(c.tmp, f"{self.tag}.sock")
        if self.system == "ours":
            url = f"ipc://{sock}" if self.transport == "unix" else "tcp://127.0.0.1:0"
            r, w = os.pipe()
            argv = self.server_prefix() + [
                c.managerd,
                "--listen", url,
                "--authkey-file", c.keyfile,
                "--log-level", "warn",
                "--ready-fd", str(w),
            ]
            self.proc = spawn(argv, self.log, stdout=self.log, pass_fds=(w,))
            os.close(w)
            lines = read_lines_until(r, "ready", START_TIMEOUT, self.proc)
            os.close(r)
            if lines is None:
                raise BenchError(f"managerd did not get ready (see {self.log.name})")
            self.addr = lines[0]
        elif self.system == "python":
            addr = f"unix:{sock}" if self.transport == "unix" else "tcp:127.0.0.1:0"
            argv = self.server_prefix() + [
                c.python, os.path.join(HERE, "bench_py.py"),
                "serve", "--addr", addr, "--keyfile", c.keyfile,
            ]
            self.proc = spawn(argv, self.log, stdout=subprocess.PIPE)
            lines = read_lines_until(
                self.proc.stdout.fileno(), "ready", START_TIMEOUT, self.proc
            )
            if lines is None or not lines[0].startswith("listening "):
                raise BenchError(f"the Python manager did not start ({self.log.name})")
            self.addr = lines[0].split(" ", 1)[1]
        else:
            port = free_port() if self.transport == "tcp" else 0
            argv = self.server_prefix() + [
                c.redis,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", c.tmp,
                "--logfile", "",
                "--daemonize", "no",
            ]
            if self.transport == "unix":
                argv += ["--unixsocket", sock, "--unixsocketperm", "700"]
            self.proc = spawn(argv, self.log, stdout=self.log)
            self.addr = f"unix:{sock}" if self.transport == "unix" else f"tcp:127.0.0.1:{port}"
            wait_redis(self.addr, START_TIMEOUT, self.proc)
        return self

    def stop(self):
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        self.log.close()

    @property
    def pid(self):
        return self.proc.pid

    def client_argv(self, what, opts):
        c = self.ctx
        if self.system == "ours":
            argv = [c.bench_mgr, what, "--url", self.addr, "--keyfile", c.keyfile]
        elif self.system == "python":
            argv = [c.python, os.path.join(HERE, "bench_py.py"), what,
                    "--addr", self.addr, "--keyfile", c.keyfile]
        else:
            argv = [c.bench_redis, what, "--addr", self.addr]
        for k, v in opts.items():
            argv += [f"--{k.replace('_', '-')}", str(v)]
        return self.prefix() + argv


def read_lines_until(fd, last, timeout, proc):
    """Reads lines from fd until one equals last; None on timeout/EOF."""
    buf, deadline = b"", time.monotonic() + timeout
    while True:
        lines = buf.decode(errors="replace").splitlines()
        if last in lines and buf.endswith(b"\n"):
            return lines[: lines.index(last)]
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            return None
        r, _, _ = select.select([fd], [], [], min(left, 0.2))
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            buf += chunk


def wait_redis(addr, timeout, proc):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if addr.startswith("unix:"):
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(1)
                s.connect(addr[5:])
            else:
                host, _, port = addr[4:].rpartition(":")
                s = socket.create_connection((host, int(port)), timeout=1)
            with s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise BenchError("redis-server did not get ready")


# ---- clients ------------------------------------------------------------------


def parse_results(text):
    res = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "result":
            res[parts[1]] = (float(parts[2]), parts[3])
    return res


def run_client(ctx, srv, what, opts, period=0.05):
    """Runs a client to its end; returns (results, cpus seen, server thread
    stats: busy threads and context switches during the run)."""
    argv = srv.client_argv(what, opts)
    before = thread_stats(srv.pid)
    with open(os.path.join(ctx.logdir, f"client-{srv.tag}-{what}.log"), "w") as log:
        p = spawn(argv, log, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            with CpuSampler({"server": srv.pid, "client": p.pid}, period) as cs:
                out, _ = p.communicate(timeout=CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(p)
            raise BenchError(f"{what} on {srv.tag} ran out of time ({log.name})")
        kill_group(p)
    if p.returncode != 0:
        raise BenchError(f"{what} on {srv.tag} failed (exit {p.returncode}, see {log.name})")
    after = dict(cs.server_stats)
    after.update(thread_stats(srv.pid))
    return parse_results(out.decode()), cs.seen, stats_delta(before, after)


class Interactive:
    """A client that stops at "state NAME" lines until told to go on."""

    def __init__(self, ctx, srv, what, opts):
        self.log = open(os.path.join(ctx.logdir, f"client-{srv.tag}-{what}.log"), "w")
        self.p = spawn(srv.client_argv(what, opts), self.log,
                       stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        self.buf = b""
        self.lines = []
        self.what, self.srv = what, srv

    def expect(self, state, timeout=CLIENT_TIMEOUT):
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                line = line.decode(errors="replace")
                self.lines.append(line)
                if line == f"state {state}":
                    return
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{self.what} on {self.srv.tag}: no state {state}")
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise BenchError(
                        f"{self.what} on {self.srv.tag} ended early (see {self.log.name})")
                self.buf += chunk

    def go_on(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.flush()

    def finish(self):
        try:
            rest, _ = self.p.communicate(b"go\n", timeout=CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(self.p)
            raise BenchError(f"{self.what} on {self.srv.tag} did not end")
        kill_group(self.p)
        self.log.close()
        if self.p.returncode != 0:
            raise BenchError(f"{self.what} on {self.srv.tag} failed (see {self.log.name})")
        return parse_results("\n".join(self.lines) + "\n" + (self.buf + rest).decode())

    def abort(self):
        kill_group(self.p)
        self.log.close()


def settle_rss(pid, wait=0.3):
    """Server RSS once the last request's work has surely finished."""
    time.sleep(wait)
    return rss_kb(pid)


# ---- workloads: each returns {metric: (value, unit)} -----------------------------


def case_w1(ctx, srv, pinned):
    P = ctx.P
    res, seen, (busy, cs) = run_client(
        ctx, srv, "w1", {"n": P["w1_n"], "warmup": P["w1_warmup"]}, period=0.01)
    key = "W1p" if pinned else "W1"
    c = ctx.cpus.setdefault((key, srv.system, srv.transport),
                            {"server": set(), "client": set(), "busy": [], "cs": []})
    for role in ("server", "client"):
        c[role] |= seen[role]
    # Round trips: set, get, put+get (2), acquire+release (2), append.
    c["busy"].append(busy)
    c["cs"].append(cs / (7 * (P["w1_n"] + P["w1_warmup"])))
    return {f"{key}.{op}": res[f"w1.{op}"] for op, _ in W1_OPS}


def case_w2(ctx, srv, clients):
    res, _, _ = run_client(ctx, srv, "w2", {"clients": clients, "ms": ctx.P["w2_ms"]})
    return {f"W2.c{clients}": res[f"w2.c{clients}"]}


def case_w3(ctx, srv):
    n = ctx.P["w3_n_python"] if srv.system == "python" else ctx.P["w3_n"]
    res, _, _ = run_client(ctx, srv, "w3", {"n": n, "depth": 64})
    return {"W3": res["w3.pipelined_set"]}


def case_w4(ctx, srv):
    items = ctx.P["w4_items_python"] if srv.system == "python" else ctx.P["w4_items"]
    res, _, _ = run_client(ctx, srv, "w4", {
        "items": items, "producers": 4, "consumers": 4, "maxsize": 1000})
    if srv.system == "python":
        ctx.w4_python[srv.transport] = res["w4.queue"]
    return {"W4": res["w4.queue"]}


def case_w4p(ctx, srv):
    if srv.system == "python":
        # No pipelining: a W4 (sequential) run stands in. Only when W4 did
        # not run (--only W4p): stand_in takes W4's result otherwise.
        return {"W4p": case_w4(ctx, srv)["W4"]}
    res, _, _ = run_client(ctx, srv, "w4p", {
        "items": ctx.P["w4p_items"], "producers": 4, "consumers": 4,
        "maxsize": 1000, "depth": 64})
    return {"W4p": res["w4p.queue_pipelined"]}


def stand_in(ctx, case, system, transport):
    """The result of a case measured by another one, or None: Python's W4p
    is its W4 (sequential) result of the same repetition (no server is
    started for it)."""
    if case == "W4p" and system == "python":
        r = ctx.w4_python.pop(transport, None)
        return None if r is None else {"W4p": r}
    return None


def case_w5_entries(ctx, srv):
    n = ctx.P["w5_entries"]
    cl = Interactive(ctx, srv, "w5load", {"entries": n, "per_call": 10000})
    try:
        cl.expect("connected")
        before = settle_rss(srv.pid)
        cl.go_on()
        cl.expect("loaded")
        after = settle_rss(srv.pid)
        res = cl.finish()
    except BaseException:
        cl.abort()
        raise
    return {
        "W5.bytes_per_entry": ((after - before) * 1024 / n, "B"),
        "W5.rss_loaded": (after / 1024, "MiB"),
        "W5.load_rate": res["w5.load_rate"],
    }


def case_w5_conns(ctx, srv):
    n = ctx.P["w5_conns"]
    before = settle_rss(srv.pid, 0.2)
    cl = Interactive(ctx, srv, "w5conns", {"conns": n})
    try:
        cl.expect("opened")
        after = settle_rss(srv.pid, 0.5)
        cl.finish()
    except BaseException:
        cl.abort()
        raise
    return {"W5.bytes_per_conn": ((after - before) * 1024 / n, "B")}


def cases(P):
    """(name, function, reps) in run order."""
    out = [
        ("W1 unpinned", lambda c, s: case_w1(c, s, False), P["reps"], False),
        ("W1 pinned", lambda c, s: case_w1(c, s, True), P["reps"], True),
    ]
    for n in W2_CLIENTS:
        out.append((f"W2 {n} clients", lambda c, s, n=n: case_w2(c, s, n), P["reps"], False))
    out += [
        ("W3", case_w3, P["reps"], False),
        ("W4", case_w4, P["reps"], False),
        ("W4p", case_w4p, P["reps"], False),
        ("W5 entries", case_w5_entries, P["w5_reps"], False),
        ("W5 connections", case_w5_conns, P["w5_reps"], False),
    ]
    return out


# ---- the table ----------------------------------------------------------------------

# metric -> (row label, unit, which way is better)
def metric_rows(P):
    rows = []
    for op, label in W1_OPS:
        rows.append((f"W1.{op}", f"W1 latency: {label}", "us/op", "lower"))
    for op, label in W1_OPS:
        rows.append((f"W1p.{op}", f"W1 pinned (1 CPU): {label}", "us/op", "lower"))
    for n in W2_CLIENTS:
        rows.append((f"W2.c{n}", f"W2 throughput: {n} client{'s' if n > 1 else ''}", "ops/s", "higher"))
    rows += [
        ("W3", "W3 pipelined dict set (64 in flight)", "ops/s", "higher"),
        ("W4", "W4 queue: 4 producers, 4 consumers", "items/s", "higher"),
        ("W4p", "W4p queue pipelined (64 in flight): 4 producers, 4 consumers",
         "items/s", "higher"),
        ("W5.bytes_per_entry", f"W5 memory per dict entry ({P['w5_entries']:,} entries)", "B", "lower"),
        ("W5.rss_loaded", "W5 server RSS holding them", "MiB", "lower"),
        ("W5.load_rate", "W5 load rate (10,000 per call)", "entries/s", "higher"),
        ("W5.bytes_per_conn", f"W5 memory per idle connection ({P['w5_conns']:,})", "B", "lower"),
    ]
    return rows


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 100000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def summarize(samples):
    """{(metric, system, transport): [values]} -> stats."""
    st = {}
    for k, vals in samples.items():
        s = sorted(vals)
        q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0], s[0], s[0]]
        st[k] = {"median": statistics.median(s), "min": s[0], "max": s[-1],
                 "q1": q[0], "q3": q[2], "n": len(s)}
    return st


def build_table(P, st):
    table = []
    for metric, label, unit, better in metric_rows(P):
        for transport in ("unix", "tcp"):
            row = {"metric": metric, "label": label, "transport": transport,
                   "unit": unit, "better": better}
            for system in ("ours",) + PEERS:
                row[system] = st.get((metric, system, transport))
            for peer in PEERS:
                o, p = row["ours"], row[peer]
                row[f"ours/{peer}"] = (o["median"] / p["median"]
                                       if o and p and p["median"] else None)
            if any(row[s] for s in ("ours",) + PEERS):
                table.append(row)
    return table


def cell(s):
    if s is None:
        return "-"
    if s["n"] == 1:
        return fmt(s["median"])
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


def ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def markdown(ctx, table, notes, made):
    P = ctx.P
    out = [
        f"# Benchmark: ours vs Python's Manager vs Redis ({ctx.mode} run)",
        "",
        f"- date: {ctx.started:%Y-%m-%d %H:%M} UTC; command: `{ctx.command}`",
        f"- machine: {ctx.machine}",
        f"- versions: {ctx.versions}",
        f"- {ctx.tree}",
        f"- repetitions: {P['reps']} (W5: {P['w5_reps']}), interleaved "
        "(each repetition runs every workload on every system in turn, "
        "each system started fresh for each measurement)",
        "- cells: median (min–max) over the repetitions; ours/peer is the "
        "ratio of the medians (latency and memory: lower is better, "
        "throughput: higher is better). unix = our ipc://, Python's "
        "AF_UNIX, Redis's unixsocket; tcp = 127.0.0.1.",
        "",
        "| workload | transport | unit | ours | Python | Redis | ours/Python | ours/Redis |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in table:
        out.append(
            f"| {r['label']} | {r['transport']} | {r['unit']} | {cell(r['ours'])} | "
            f"{cell(r['python'])} | {cell(r['redis'])} | {ratio(r['ours/python'])} | "
            f"{ratio(r['ours/redis'])} |")
    out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    out += ["", "## CPUs each process ran on, and the server's threads (W1)", "",
            "CPUs: sampled every 10 ms from /proc/PID/task/TID/stat (field 39) "
            "over all repetitions. Server threads busy: threads of the server "
            "that ran more than 1 ms during the W1 client's run (median over "
            "repetitions); server switches per round trip: context switches "
            "(voluntary and not) of all the server's threads during the run, "
            "from /proc/PID/task/TID/status, over the run's 7 x (n + warm-up) "
            "round trips (median).", "",
            "| run | system | transport | server CPUs | client CPUs | "
            "server threads busy | server switches per round trip |",
            "| --- | --- | --- | --- | --- | ---: | ---: |"]
    for (key, system, transport), c in sorted(ctx.cpus.items()):
        run = "pinned (taskset -c 0)" if key == "W1p" else "unpinned"
        out.append(f"| {run} | {system} | {transport} | "
                   f"{','.join(map(str, sorted(c['server']))) or '-'} | "
                   f"{','.join(map(str, sorted(c['client']))) or '-'} | "
                   f"{statistics.median(c['busy']):g} | "
                   f"{statistics.median(c['cs']):.2f} |")
    for png in made:
        out += ["", f"![{png[:-4]}]({png})"]
    return "\n".join(out) + "\n"


def write_csv(path, table):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        head = ["metric", "workload", "transport", "unit", "better"]
        for s in ("ours",) + PEERS:
            head += [f"{s}_median", f"{s}_min", f"{s}_max", f"{s}_q1", f"{s}_q3", f"{s}_n"]
        head += ["ours_over_python", "ours_over_redis"]
        w.writerow(head)
        for r in table:
            row = [r["metric"], r["label"], r["transport"], r["unit"], r["better"]]
            for s in ("ours",) + PEERS:
                x = r[s]
                row += ([f"{x[k]:.6g}" for k in ("median", "min", "max", "q1", "q3")] + [x["n"]]
                        if x else [""] * 6)
            for peer in PEERS:
                v = r[f"ours/{peer}"]
                row.append("" if v is None else f"{v:.4f}")
            w.writerow(row)


def plots(ctx, st):
    """latency.png (W1 by operation, unpinned and pinned) and throughput.png
    (W2 by number of clients), with gnuplot. Returns (files made, error)."""
    gp = shutil.which("gnuplot")
    if gp is None:
        return [], "gnuplot not found: no plots"
    names = [f"{s}-{t}" for s, t in SYSTEMS]
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#6baed6", "#fdae6b", "#98df8a"]
    script = ['set terminal pngcairo size 1200,900 font ",10"']
    made = []
    have = lambda prefix: any(k[0].startswith(prefix) for k in st)
    if have("W1."):
        for key in ("W1", "W1p"):
            with open(os.path.join(ctx.out, f"{key}.dat"), "w") as f:
                for op, label in W1_OPS:
                    vals = []
                    for s, t in SYSTEMS:
                        x = st.get((f"{key}.{op}", s, t))
                        vals += [x["median"], x["min"], x["max"]] if x else ["NaN"] * 3
                    f.write('"%s" ' % label + " ".join(str(v) for v in vals) + "\n")
        bars = ", ".join(
            f"'@KEY@.dat' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}:xtic(1) "
            f"title '{n}' lc rgb '{colors[i]}'"
            for i, n in enumerate(names))
        script += [
            "set output 'latency.png'",
            "set multiplot layout 2,1",
            "set style data histogram",
            "set style histogram errorbars gap 1 lw 1",
            "set style fill solid 0.8 border -1",
            "set ylabel 'microseconds per operation (median, min-max)'",
            "set yrange [0:*]",
            "set key outside right top",
            "set grid ytics",
            "set title 'W1 latency, one synchronous client, unpinned'",
            "plot " + bars.replace("@KEY@", "W1"),
            "set title 'W1 latency, client and server pinned to CPU 0'",
            "plot " + bars.replace("@KEY@", "W1p"),
            "unset multiplot",
            "reset",
        ]
        made.append("latency.png")
    if have("W2."):
        with open(os.path.join(ctx.out, "W2.dat"), "w") as f:
            for s, t in SYSTEMS:
                f.write(f"# {s}-{t}\n")
                for n in W2_CLIENTS:
                    x = st.get((f"W2.c{n}", s, t))
                    if x:
                        f.write(f"{n} {x['median']} {x['min']} {x['max']}\n")
                    else:
                        f.write(f"{n} NaN NaN NaN\n")
                f.write("\n\n")
        lines = ", ".join(
            f"'W2.dat' index {i} using 1:2:3:4 with yerrorlines lw 2 pt 7 "
            f"lc rgb '{colors[i]}' title '{n}'"
            for i, n in enumerate(names))
        script += [
            'set terminal pngcairo size 1000,650 font ",10"',
            "set output 'throughput.png'",
            "set title 'W2 throughput by number of client processes "
            "(dict set, get, shared counter)'",
            "set xlabel 'client processes'",
            "set ylabel 'operations per second (median, min-max)'",
            "set logscale x 2",
            "set logscale y 10",
            "set xtics (1,2,4,8,16)",
            "set xrange [0.8:20]",
            "set key outside right top",
            "set grid",
            "plot " + lines,
        ]
        made.append("throughput.png")
    if not made:
        return [], None
    with open(os.path.join(ctx.out, "plots.gp"), "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run([gp, "plots.gp"], cwd=ctx.out, capture_output=True, timeout=60)
    if r.returncode != 0:
        return [], "gnuplot failed: " + r.stderr.decode(errors="replace")[-500:]
    return made, None


# ---- main ---------------------------------------------------------------------------


class Ctx:
    pass


def versions(ctx):
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, timeout=10)
            return (r.stdout or r.stderr).decode(errors="replace").splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    redis = re.sub(r" sha=.*", "", first_line([ctx.redis, "--version"]))
    py = first_line([ctx.python, "--version"])
    pbc = first_line(["dpkg-query", "-W", "-f", "${Version}", "libprotobuf-c1"])
    hiredis = first_line(["dpkg-query", "-W", "-f", "${Version}", "libhiredis-dev"])
    return f"{py} ({ctx.python}); {redis}; protobuf-c {pbc}; hiredis {hiredis}"


def tree_state():
    """The commit measured, and whether the work tree had changes."""
    root = os.path.dirname(HERE)
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                              capture_output=True, timeout=10).stdout.decode().strip()
        st = subprocess.run(["git", "-C", root, "status", "--porcelain",
                             "--untracked-files=no"],
                            capture_output=True, timeout=10).stdout.decode()
    except (OSError, subprocess.TimeoutExpired):
        return "tree: ? (no git)"
    changed = [l[3:] for l in st.splitlines() if l[3:] and not l[3:].startswith("bench/")]
    return (f"tree: commit {head or '?'}"
            + (f" with uncommitted changes in {len(changed)} file(s) "
               f"({', '.join(changed[:6])}{', ...' if len(changed) > 6 else ''})"
               if changed else ", clean"))


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1048576:.0f} GiB"
    return f"{os.cpu_count()} CPUs ({model}), {mem}, Linux {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", required=True)
    ap.add_argument("--build", required=True, help="the build dir with managerd and bench/")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--reps", type=int, help="override the repetitions")
    ap.add_argument("--only", help="run only the workloads whose name starts with this")
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--tmp", help="make the sockets and key under this dir")
    a = ap.parse_args()

    ctx = Ctx()
    ctx.mode = "quick" if a.quick else "full"
    ctx.P = dict(PARAMS[ctx.mode])
    if a.reps:
        ctx.P["reps"] = ctx.P["w5_reps"] = a.reps
    ctx.out = os.path.abspath(a.out)
    ctx.python = a.python
    ctx.managerd = os.path.join(a.build, "managerd")
    ctx.bench_mgr = os.path.join(a.build, "bench", "bench_mgr")
    ctx.bench_redis = os.path.join(a.build, "bench", "bench_redis")
    ctx.redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    ctx.command = a.command
    ctx.started = datetime.datetime.now(datetime.timezone.utc)
    ctx.cpus = {}
    ctx.w4_python = {}  # transport -> this repetition's W4 result (for W4p)
    for exe in (ctx.managerd, ctx.bench_mgr, ctx.bench_redis, ctx.redis):
        if not os.access(exe, os.X_OK):
            sys.exit(f"driver: {exe} is missing (bench/run builds it)")
    os.makedirs(ctx.out, exist_ok=True)
    for stale in ("results.md", "results.csv", "samples.csv", "latency.png",
                  "throughput.png", "plots.gp", "W1.dat", "W1p.dat", "W2.dat"):
        if os.path.exists(os.path.join(ctx.out, stale)):
            os.remove(os.path.join(ctx.out, stale))
    ctx.logdir = os.path.join(ctx.out, "logs")
    shutil.rmtree(ctx.logdir, ignore_errors=True)
    os.makedirs(ctx.logdir)
    ctx.tmp = tempfile.mkdtemp(prefix="mgr-bench-", dir=a.tmp)
    os.chmod(ctx.tmp, 0o700)
    ctx.keyfile = os.path.join(ctx.tmp, "authkey")
    fd = os.open(ctx.keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, secrets.token_hex(32).encode())
    os.close(fd)
    # 1,000 connections: the servers inherit this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 8192), hard), hard))
    ctx.machine = machine()
    ctx.versions = versions(ctx)
    ctx.tree = tree_state()
    load0 = os.getloadavg()

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    samples = {}
    rows = []
    t_start = time.monotonic()
    try:
        plan = [c for c in cases(ctx.P) if not a.only or c[0].startswith(a.only)]
        nreps = max(c[2] for c in plan)
        for rep in range(nreps):
            for name, fn, reps, pinned in plan:
                if rep >= reps:
                    continue
                order = SYSTEMS[rep % len(SYSTEMS):] + SYSTEMS[: rep % len(SYSTEMS)]
                for system, transport in order:
                    t0 = time.monotonic()
                    res = stand_in(ctx, name, system, transport)
                    if res is None:
                        srv = Server(ctx, system, transport, pinned).start()
                        try:
                            res = fn(ctx, srv)
                        finally:
                            srv.stop()
                    for metric, (value, unit) in res.items():
                        samples.setdefault((metric, system, transport), []).append(value)
                        rows.append([rep, name, system, transport, metric, f"{value:.6g}", unit])
                    print(f"[{time.monotonic() - t_start:6.1f}s] rep {rep + 1}/{nreps} "
                          f"{name:16} {system:6} {transport:4} "
                          + " ".join(f"{m.split('.')[-1]}={fmt(v)}" for m, (v, u) in res.items())
                          + f"  ({time.monotonic() - t0:.1f}s)", flush=True)
    except BenchError as e:
        print(f"driver: {e}", file=sys.stderr)
        kill_all()
        return 1
    finally:
        kill_all()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    elapsed = time.monotonic() - t_start

    with open(os.path.join(ctx.out, "samples.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rep", "case", "system", "transport", "metric", "value", "unit"])
        w.writerows(rows)
    st = summarize(samples)
    table = build_table(ctx.P, st)
    write_csv(os.path.join(ctx.out, "results.csv"), table)
    made, plot_err = plots(ctx, st)
    P = ctx.P
    notes = [
        f"Run time {elapsed:.0f} s (servers started fresh for every measurement). "
        f"Load average (1 min) at start {load0[0]:.2f}, at end {os.getloadavg()[0]:.2f}: "
        "anything else running on this 2-CPU machine shows up in every system's "
        "numbers alike (the interleaving spreads it), and in the spreads.",
        "W1: 64-byte str values, keys cycling over 1,000; "
        f"{P['w1_n']:,} operations per repetition after {P['w1_warmup']} "
        "warm-up ones; queue put+get and lock acquire+release count as one "
        "operation (two round trips). Redis: HSET/HGET, RPUSH+BLPOP, "
        "SET NX+DEL, RPUSH. Pinned: taskset -c 0 on server and client.",
        f"W2: each client process for {P['w2_ms']} ms does dict set and get "
        "on its own keys and increments one shared counter; 3 operations per "
        "iteration, counted in total over all clients; the counter is checked "
        "against the iterations. Counter: ours mgr_dict_incr (one round trip); "
        "Redis HINCRBY; Python has no atomic increment (its Value proxy has "
        "no get_lock), so a manager Lock around d['counter'] += 1 (4 round "
        "trips: acquire, get, set, release).",
        f"W3: ours mgr_batch (non-atomic) of 64 sets per exec; Redis 64 "
        f"pipelined HSETs per round trip (redisAppendCommand/redisGetReply); "
        f"both {P['w3_n']:,} sets. Python has no pipelining: "
        f"{P['w3_n_python']:,} sequential sets, rate per operation.",
        f"W4: {P['w4_items']:,} items of 64 bytes (Python {P['w4_items_python']:,}, "
        "rate per item) through one queue, maxsize 1000 for ours and Python "
        "(Manager().Queue(1000)). Redis lists have no maxsize: RPUSH + BLPOP "
        "on an unbounded list. Every item is checked to arrive once.",
        f"W4p: W4 pipelined, {P['w4p_items']:,} items: each producer keeps up "
        "to 64 puts in flight and each consumer 64 gets (ours: mgr_batch, "
        "non-atomic, of 64 blocking puts or gets per exec; Redis: 64 "
        "pipelined RPUSHes or BLPOPs per round trip). Once every producer "
        "is done the coordinator puts 64 sentinels per consumer behind the "
        "real items; a consumer stops after the batch in which it got one; "
        "the real items received are checked to be exactly those put. Python "
        "has no pipelining: its W4 (sequential) result of the same "
        "repetition stands in.",
        f"W5: {P['w5_entries']:,} entries, 8-byte str keys and 32-byte str "
        "values, loaded 10,000 per call (ours mgr_dict_update, Python "
        "dict.update, Redis one HSET with 10,000 pairs); memory is the "
        "server's VmRSS after the load minus before it (dict created, client "
        f"connected). Connections: {P['w5_conns']:,} idle connections from "
        "one process (ours mgr_client handles, Redis hiredis contexts, "
        "Python raw manager connections as a proxy opens them: one server "
        "thread each); VmRSS with them minus before.",
        "Worker processes: the C clients posix_spawn themselves, the Python "
        "client forks (its proxies reconnect); throughput runs from the go "
        "signal to the last worker's end.",
    ]
    if plot_err:
        notes.append(plot_err)
    md = markdown(ctx, table, notes, made)
    with open(os.path.join(ctx.out, "results.md"), "w") as f:
        f.write(md)
    print()
    print(md)
    print(f"written: {ctx.out}/results.md results.csv samples.csv " + " ".join(made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
