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
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from bench_config import (CLIENT_TIMEOUT, CLUSTER_CLIENTS,  # noqa: E402
                          CLUSTER_SYSTEMS, EXTRA_CASES,
                          EXTRA_SYSTEMS, HANDSHAKE_SYSTEMS, HANDSHAKE_WS_SYSTEMS, HERE,
                          DURABLE_SYSTEMS, DURABLE_POLICIES, DURABLE_CLIENTS, PARAMS, PEERS,
                          PY_CLIENT_SYSTEMS, RESTART_BATCH, RESTART_SYSTEMS,
                          START_TIMEOUT,
                          SYSTEMS, W1_OPS, W2_CLIENTS)
from netns import Netns  # noqa: E402
from ports import free_ports  # noqa: E402
from report import build_table, fmt, markdown, plots, summarize, write_csv  # noqa: E402


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
        self.procs = []  # C: every process of a replicated server
        self.datas = []  # C: the cluster members' data directories
        self.addr = None
        # D: the fsync policy of a durable server (its socket is unix).
        self.policy = transport if transport in DURABLE_POLICIES else None
        # C: ours alone on tcp, synced as each cluster member is.
        self.synced = "always" if transport == "synced" else None
        self.data = None

    def prefix(self):
        return ["taskset", "-c", "0"] if self.pinned else []

    def server_prefix(self):
        return self.prefix() + self.wrap

    def host(self, i):
        """C: where its i-th process listens, and what runs it there: a
        network namespace of its own when the run has them, else tcp
        loopback."""
        ns = self.ctx.netns_for_c()
        if ns is None:
            return "127.0.0.1", self.server_prefix()
        return ns.ip(i), ns.prefix(i) + self.server_prefix()

    def start_cluster(self):
        """C's "three": managerd --cluster, three members on tcp loopback,
        each with its own data directory; the client gets every URL."""
        c = self.ctx
        ps = free_ports(6)
        ports = [(ps[2 * i], ps[2 * i + 1]) for i in range(3)]
        members = ",".join(f"{i + 1}={self.host(i)[0]}:{r}"
                           for i, (_, r) in enumerate(ports))
        self.procs, urls = [], []
        for i, (p, _) in enumerate(ports):
            data = os.path.join(c.tmp, f"{self.tag}.node{i + 1}")
            self.datas.append(data)
            r, w = os.pipe()
            ip, prefix = self.host(i)
            argv = prefix + [
                c.managerd, "--listen", f"tcp://{ip}:{p}",
                "--authkey-file", c.keyfile, "--log-level", "warn",
                "--ready-fd", str(w), "--data-dir", data,
                "--node-id", str(i + 1), "--cluster", members]
            self.procs.append(spawn(argv, self.log, stdout=self.log, pass_fds=(w,)))
            os.close(w)
            lines = read_lines_until(r, "ready", START_TIMEOUT, self.procs[-1])
            os.close(r)
            if lines is None:
                raise BenchError(f"a cluster member did not get ready (see {self.log.name})")
            urls.append(lines[0])
        self.proc = self.procs[0]
        self.addr = ",".join(urls)

    def start_replicated_redis(self):
        """C's "replica": a Redis and its replica on tcp loopback, the
        replica's link up before the client starts."""
        c = self.ctx
        self.procs = []
        ports = tuple(free_ports(2))
        for k, port in enumerate(ports):
            ip, prefix = self.host(k)
            argv = prefix + [
                c.redis, "--port", str(port), "--bind", ip,
                "--protected-mode", "no" if ip != "127.0.0.1" else "yes",
                "--save", "", "--appendonly", "no", "--dir", c.tmp,
                "--logfile", "", "--daemonize", "no"]
            if k == 1:
                argv += ["--replicaof", self.host(0)[0], str(ports[0])]
            self.procs.append(spawn(argv, self.log, stdout=self.log))
            wait_redis(f"tcp:{ip}:{port}", START_TIMEOUT, self.procs[-1], c.certs)
        cli = os.path.join(os.path.dirname(c.redis), "redis-cli")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            out = subprocess.run([cli, "-h", self.host(1)[0], "-p", str(ports[1]),
                                  "info", "replication"],
                                 capture_output=True, timeout=10).stdout.decode()
            if "master_link_status:up" in out:
                break
            if time.monotonic() > deadline:
                raise BenchError("the Redis replica did not link up")
            time.sleep(0.05)
        self.proc = self.procs[0]
        self.addr = f"tcp:{self.host(0)[0]}:{ports[0]}"

    def start(self):
        c = self.ctx
        self.log = open(os.path.join(c.logdir, f"server-{self.tag}.log"), "a")
        if self.transport == "three":
            self.start_cluster()
            return self
        if self.transport == "replica":
            self.start_replicated_redis()
            return self
        sock = os.path.join(c.tmp, f"{self.tag}.sock")
        transport = "unix" if self.policy else self.transport
        ip, prefix = "127.0.0.1", self.server_prefix()
        if transport in ("one", "synced"):  # C: alone, on tcp as the others
            transport = "tcp"
            ip, prefix = self.host(0)
        if self.policy or self.synced:
            self.data = os.path.join(c.tmp, f"{self.tag}.data")
        if self.system in ("ours", "base", "pyours"):
            listen, url = "--listen", {
                "unix": f"ipc://{sock}", "tcp": f"tcp://{ip}:0",
                "nngtcp": "tcp://127.0.0.1:0", "tls": "tls+tcp://127.0.0.1:0",
                "ws": "ws://127.0.0.1:0/mgr", "wss": "wss://127.0.0.1:0/mgr",
            }[transport]
            tls = []
            if self.transport == "nngtcp":
                listen = "--listen-nng"
            if self.transport in ("tls", "wss"):
                tls = ["--tls-cert", os.path.join(c.certs, "server.crt"),
                       "--tls-key", os.path.join(c.certs, "server.key")]
            r, w = os.pipe()
            argv = prefix + [
                c.base_managerd if self.system == "base" else c.managerd,
                listen, url, *tls,
                "--authkey-file", c.keyfile,
                "--log-level", "warn",
                "--ready-fd", str(w),
            ]
            if self.policy or self.synced:  # D, DR, C: the data directory alone
                argv += ["--data-dir", self.data, "--fsync", self.policy or self.synced]
            elif self.system == "ours":  # the account type of W7 and W8
                argv += ["--load-module", c.account_module]
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
            port = free_ports(1)[0] if transport in ("tcp", "tls") else 0
            aof = (["--appendonly", "yes", "--appendfsync", self.policy,
                    "--appenddirname", os.path.basename(self.data)]
                   if self.policy else ["--appendonly", "no"])
            argv = prefix + [
                c.redis,
                "--port", str(port if transport == "tcp" else 0),
                "--bind", ip,
                "--save", "",
                *aof,
                "--dir", c.tmp,
                "--logfile", "",
                "--daemonize", "no",
            ]
            if transport == "unix":
                argv += ["--unixsocket", sock, "--unixsocketperm", "700"]
            if ip != "127.0.0.1":  # C in a namespace: the clients are not local
                argv += ["--protected-mode", "no"]
            if self.transport == "tls":
                argv += ["--tls-port", str(port),
                         "--tls-cert-file", os.path.join(c.certs, "server.crt"),
                         "--tls-key-file", os.path.join(c.certs, "server.key"),
                         "--tls-ca-cert-file", os.path.join(c.certs, "ca.crt"),
                         "--tls-auth-clients", "no"]
            self.proc = spawn(argv, self.log, stdout=self.log)
            self.addr = {"unix": f"unix:{sock}", "tcp": f"tcp:{ip}:{port}",
                         "tls": f"tls:127.0.0.1:{port}"}[transport]
            wait_redis(self.addr, START_TIMEOUT, self.proc, c.certs)
        return self

    def restart(self):
        """kill -9, then started again on its files (D's data directory or
        append-only file): the seconds from the start until it serves."""
        kill_group(self.proc)
        self.proc = None
        self.log.close()
        t0 = time.monotonic()
        self.start()
        return time.monotonic() - t0

    def stop(self):
        for p in self.procs:
            if p is not self.proc:
                kill_group(p)
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        self.log.close()
        for d in self.datas:
            shutil.rmtree(d, ignore_errors=True)
        if self.data:  # its preallocated log segments: 128 MiB each
            shutil.rmtree(self.data, ignore_errors=True)

    @property
    def pid(self):
        return self.proc.pid

    def client_argv(self, what, opts):
        c = self.ctx
        if self.system in ("ours", "base"):
            exe = c.bench_mgr if self.system == "ours" else c.base_bench_mgr
            argv = [exe, what, "--url", self.addr, "--keyfile", c.keyfile]
        elif self.system in ("python", "pyours"):
            argv = [c.python, os.path.join(HERE, "bench_py.py"), what,
                    "--addr", self.addr, "--keyfile", c.keyfile]
            if self.system == "pyours":
                argv += ["--client", "mgr"]
        else:
            argv = [c.bench_redis, what, "--addr", self.addr]
            if self.transport == "tls":
                argv += ["--ca", os.path.join(c.certs, "ca.crt")]
            if self.transport == "replica":  # each write: WAIT 1 0
                argv = ["env", "BENCH_REDIS_WAIT=1"] + argv
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


def wait_redis(addr, timeout, proc, certs):
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
                if addr.startswith("tls:"):
                    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
                    s = ctx.wrap_socket(s, server_hostname="localhost")
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


def note_hold(ctx, srv, what):
    """Keeps the longest hold of ours' server lock seen during workload
    what on srv's transport (bench_mgr hold asks managerd)."""
    out = subprocess.run(srv.client_argv("hold", {}), capture_output=True,
                         timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL)
    parts = out.stdout.decode().split()
    if out.returncode != 0 or len(parts) != 3 or parts[0] != "hold":
        return
    us, op = int(parts[1]), parts[2].replace("+", " ")
    key = (what, srv.transport)
    if us > ctx.holds.get(key, (-1, ""))[0]:
        ctx.holds[key] = (us, op)


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
    if srv.system == "ours":
        note_hold(ctx, srv, what)
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


def case_h(ctx, srv):
    res, _, _ = run_client(ctx, srv, "hs", {"n": ctx.P["h_n"]})
    return {"H.connect": res["hs.connect"]}


def case_r(ctx, srv):
    res, _, _ = run_client(ctx, srv, "rc", {"n": ctx.P["r_n"]})
    return {"R.reconnect": res["rc.reconnect"]}


def case_d(ctx, srv):
    """Durable writes: W1's calls one at a time, and W2's mix with 8
    clients, on a server that logs every write under srv.policy."""
    P = ctx.P
    res, _, _ = run_client(ctx, srv, "w1", {"n": P["w1_n"], "warmup": P["w1_warmup"]})
    out = {f"D.{op}": res[f"w1.{op}"] for op, _ in W1_OPS}
    res, _, _ = run_client(ctx, srv, "w2", {"clients": DURABLE_CLIENTS, "ms": P["w2_ms"]})
    out[f"D.c{DURABLE_CLIENTS}"] = res[f"w2.c{DURABLE_CLIENTS}"]
    return out


def case_c(ctx, srv):
    """Replicated writes: W1's dict set one at a time and W2's mix with 8
    clients, on one server or a replicated one (srv.transport)."""
    P = ctx.P
    res, _, _ = run_client(ctx, srv, "w1", {"n": P["w1_n"], "warmup": P["w1_warmup"],
                                            "only": "dict_set"})
    out = {"C.dict_set": res["w1.dict_set"]}
    res, _, _ = run_client(ctx, srv, "w2", {"clients": CLUSTER_CLIENTS, "ms": P["w2_ms"]})
    out[f"C.c{CLUSTER_CLIENTS}"] = res[f"w2.c{CLUSTER_CLIENTS}"]
    return out


def redis_cli(ctx, srv, *args, stdin=None):
    """redis-cli on srv's unix socket: its output."""
    exe = os.path.join(os.path.dirname(ctx.redis), "redis-cli")
    out = subprocess.run([exe, "-s", srv.addr[5:], *args], input=stdin,
                         capture_output=True, timeout=CLIENT_TIMEOUT)
    if out.returncode != 0:
        raise BenchError(f"redis-cli {' '.join(args)}: {out.stderr.decode()}")
    return out.stdout.decode()


def resp(*words):
    return b"*%d\r\n" % len(words) + b"".join(
        b"$%d\r\n%s\r\n" % (len(w), w) for w in words)


def dr_fill(ctx, srv, n):
    """n entries i: 2i in "big", RESTART_BATCH per request."""
    if srv.system == "ours":
        run_client(ctx, srv, "fill", {"entries": n, "batch": RESTART_BATCH})
        return
    cmds = []
    for at in range(0, n, RESTART_BATCH):
        words = [b"HSET", b"big"]
        for i in range(at, min(n, at + RESTART_BATCH)):
            words += [b"%d" % i, b"%d" % (2 * i)]
        cmds.append(resp(*words))
    redis_cli(ctx, srv, "--pipe", stdin=b"".join(cmds))


def dr_count(ctx, srv):
    if srv.system == "ours":
        res, _, _ = run_client(ctx, srv, "count", {})
        return int(res["count.entries"][0])
    return int(redis_cli(ctx, srv, "HLEN", "big").strip())


def dr_rewrite(ctx, srv):
    """Ours: managerctl save (waits until made). Redis: BGREWRITEAOF,
    then INFO persistence until it is done."""
    if srv.system == "ours":
        out = subprocess.run([ctx.managerctl, "--url", srv.addr, "--authkey-file",
                              ctx.keyfile, "save"], capture_output=True,
                             timeout=CLIENT_TIMEOUT)
        if out.returncode != 0:
            raise BenchError(f"managerctl save: {out.stderr.decode()}")
        return
    redis_cli(ctx, srv, "BGREWRITEAOF")
    deadline = time.monotonic() + CLIENT_TIMEOUT
    while time.monotonic() < deadline:
        info = redis_cli(ctx, srv, "INFO", "persistence")
        if ("aof_rewrite_in_progress:0" in info
                and "aof_rewrite_scheduled:0" in info):
            if "aof_last_bgrewrite_status:ok" not in info:
                raise BenchError("BGREWRITEAOF failed")
            return
        time.sleep(0.01)
    raise BenchError("BGREWRITEAOF did not end")


def case_dr(ctx, srv):
    """A full store killed -9 and started again: from its log, then
    after a rewrite (a snapshot)."""
    n = ctx.P["dr_entries"]
    dr_fill(ctx, srv, n)
    t_log = srv.restart()
    if dr_count(ctx, srv) != n:
        raise BenchError(f"{srv.tag}: not {n} entries after the restart")
    dr_rewrite(ctx, srv)
    t_snap = srv.restart()
    if dr_count(ctx, srv) != n:
        raise BenchError(f"{srv.tag}: not {n} entries after the rewrite")
    return {"DR.log": (t_log * 1000, "ms"), "DR.snapshot": (t_snap * 1000, "ms")}


def case_w3(ctx, srv):
    n = ctx.P["w3_n_python"] if srv.system == "python" else ctx.P["w3_n"]
    res, _, _ = run_client(ctx, srv, "w3", {"n": n, "depth": 64})
    return {"W3": res["w3.pipelined_set"]}


def case_l(ctx, srv):
    res, _, _ = run_client(ctx, srv, "worst", {"n": ctx.P["l_n"]})
    return {"L.fill": res["L.fill"], "L.worst": res["L.worst"]}


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


def case_w6(ctx, srv):
    """A pool of 2 workers (one per CPU) on a trivial task: ours against
    Python's multiprocessing.Pool (the python column) and, in rows of their
    own, concurrent.futures.ProcessPoolExecutor. Ours on ipc; Python's pools
    need no server (the Manager started for this run stays idle)."""
    res, _, _ = run_client(ctx, srv, "w6", {"tasks": ctx.P["w6_tasks"], "workers": 2,
                                            "big": ctx.P["w6_big"]})
    out = {"W6.map": res["w6.map"], "W6.submit": res["w6.submit"],
           "W6.unordered": res["w6.unordered"], "W6.callback": res["w6.callback"],
           "W6.big": res["w6.big"]}
    if srv.system == "python":
        out["W6.fmap"] = res["w6.futures_map"]
        out["W6.fsubmit"] = res["w6.futures_submit"]
    else:
        out["W6.fmap"], out["W6.fsubmit"] = out["W6.map"], out["W6.submit"]
    return out


def case_w7(ctx, srv):
    """The Account withdraw by 4 clients on one balance: guarded (ours: one
    atomic batch with an assertion; Redis: a Lua script; Python: a Lock
    around get and set, its only way) and locked (ours and Python: a Lock
    around get and set; Redis: WATCH/MULTI/EXEC, retried on conflict)."""
    res, _, _ = run_client(ctx, srv, "w7", {"clients": 4, "ms": ctx.P["w7_ms"]})
    return {"W7.guarded": res["w7.guarded"], "W7.module": res["w7.module"],
            "W7.locked": res["w7.locked"]}


def case_w8(ctx, srv):
    """One client: a module's trivial method against an increment, one
    round trip each (ours: mgr_call of account.deposit against
    mgr_dict_incr; Redis: EVALSHA of a one-line script against HINCRBY)."""
    res, _, _ = run_client(ctx, srv, "w8", {"n": ctx.P["w1_n"]})
    return {"W8.incr": res["w8.incr"], "W8.call": res["w8.call"]}


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
    cl = Interactive(ctx, srv, "w5load", {"entries": n, "per_call": 5000})
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
        ("W6 pool", case_w6, P["reps"], False),
        ("W7 account", case_w7, P["reps"], False),
        ("W8 module call", case_w8, P["reps"], False),
        ("H connect", case_h, P["reps"], False),
        ("C replicated", case_c, P["reps"], False),
        ("D durable", case_d, P["reps"], False),
        ("DR restart", case_dr, P["reps"], False),
        ("L longest hold", case_l, P["l_reps"], False),
    ]
    if os.geteuid() == 0:  # R resets connections with ss -K (CAP_NET_ADMIN)
        out.append(("R reconnect", case_r, P["reps"], False))
    return out


# ---- main ---------------------------------------------------------------------------


class Ctx:
    netns = None  # C's network namespaces, made at their first use
    netns_wanted = False

    def netns_for_c(self):
        """C's network namespaces, or None (not root, no ip(8), or
        --loopback): then C runs on tcp loopback."""
        if self.netns is None and self.netns_wanted:
            try:
                self.netns = Netns()
            except OSError as e:
                print(f"driver: {e}: C on tcp loopback", file=sys.stderr)
                self.netns_wanted = False
        return self.netns


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
    ap.add_argument("--only", help="run only the workloads whose name starts with "
                    "this (several: comma-separated, \"W1,W3\")")
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--loopback", action="store_true",
                    help="C on tcp loopback (by default, as root, each server "
                         "in a network namespace of its own)")
    ap.add_argument("--tmp", help="make the sockets and key under this dir")
    ap.add_argument("--base-build", help="a build of another revision, run as \"base\"")
    ap.add_argument("--base-name", default="base", help="what the base build is (a revision)")
    a = ap.parse_args()

    ctx = Ctx()
    ctx.mode = "quick" if a.quick else "full"
    ctx.P = dict(PARAMS[ctx.mode])
    if a.reps:
        ctx.P["reps"] = ctx.P["w5_reps"] = a.reps
    ctx.out = os.path.abspath(a.out)
    ctx.python = a.python
    ctx.managerd = os.path.join(a.build, "managerd")
    ctx.managerctl = os.path.join(a.build, "tools", "managerctl")
    ctx.account_module = os.path.join(a.build, "examples", "modules", "account.so")
    ctx.bench_mgr = os.path.join(a.build, "bench", "bench_mgr")
    ctx.bench_redis = os.path.join(a.build, "bench", "bench_redis")
    # Our Python client, as the build assembled it (python/CMakeLists.txt).
    pydir = os.path.join(a.build, "python")
    ctx.pyclient = os.path.exists(os.path.join(pydir, "mgr", "manager_pb2.py"))
    if ctx.pyclient:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [pydir] + [x for x in [os.environ.get("PYTHONPATH")] if x])
    ctx.base_name = None
    if a.base_build:
        ctx.base_managerd = os.path.join(a.base_build, "managerd")
        ctx.base_bench_mgr = os.path.join(a.base_build, "bench", "bench_mgr")
        ctx.base_name = a.base_name
        PEERS.insert(0, "base")
        for t in ("unix", "tcp"):
            SYSTEMS.insert(1 if t == "unix" else len(SYSTEMS), ("base", t))
    ctx.redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    # C's cluster needs a managerd built with replication (libraft).
    ldd = subprocess.run(["ldd", ctx.managerd], capture_output=True, timeout=30)
    ctx.cluster = b"libraft" in ldd.stdout
    ctx.netns_wanted = not a.loopback and Netns.available()
    ctx.command = a.command
    ctx.started = datetime.datetime.now(datetime.timezone.utc)
    ctx.cpus = {}
    ctx.holds = {}
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
    # Throw-away certificates for ours over TLS; its clients trust the CA.
    ctx.certs = os.path.join(ctx.tmp, "certs")
    subprocess.run(["sh", os.path.join(HERE, "..", "tests", "make_certs.sh"), ctx.certs],
                   check=True, timeout=60)
    os.environ["MGR_TLS_CA_FILE"] = os.path.join(ctx.certs, "ca.crt")
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
        only = tuple(a.only.split(",")) if a.only else ()
        plan = [c for c in cases(ctx.P) if not only or c[0].startswith(only)]
        nreps = max(c[2] for c in plan)
        for rep in range(nreps):
            for name, fn, reps, pinned in plan:
                if rep >= reps:
                    continue
                order = SYSTEMS[rep % len(SYSTEMS):] + SYSTEMS[: rep % len(SYSTEMS)]
                if name.startswith(EXTRA_CASES):
                    order += EXTRA_SYSTEMS
                    if ctx.pyclient:
                        order += PY_CLIENT_SYSTEMS
                if name.startswith(("H ", "R ")):
                    order = HANDSHAKE_SYSTEMS[rep % 4:] + HANDSHAKE_SYSTEMS[:rep % 4]
                    if name.startswith("H "):
                        order += HANDSHAKE_WS_SYSTEMS
                if name.startswith("D "):
                    k = rep % len(DURABLE_SYSTEMS)
                    order = DURABLE_SYSTEMS[k:] + DURABLE_SYSTEMS[:k]
                if name.startswith("C "):
                    k = rep % len(CLUSTER_SYSTEMS)
                    order = CLUSTER_SYSTEMS[k:] + CLUSTER_SYSTEMS[:k]
                    if not ctx.cluster:
                        order = [x for x in order if x != ("ours", "three")]
                if name.startswith("DR "):
                    order = RESTART_SYSTEMS[rep % 2:] + RESTART_SYSTEMS[:rep % 2]
                if name.startswith("W8"):
                    # Python's Manager has no server-side call to set beside.
                    order = [x for x in order if x[0] != "python"]
                if name.startswith("L "):
                    # The manager's own figure: ours, over unix.
                    order = [x for x in order if x == ("ours", "unix")]
                if name.startswith("W6"):
                    # Pools: ours and Python's, once (no transport to vary).
                    order = [x for x in order if x in (("ours", "unix"), ("python", "unix"))]
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
                          f"{name:16} {system:6} {transport:6} "
                          + " ".join(f"{m.split('.')[-1]}={fmt(v)}" for m, (v, u) in res.items())
                          + f"  ({time.monotonic() - t0:.1f}s)", flush=True)
    except BenchError as e:
        print(f"driver: {e}", file=sys.stderr)
        kill_all()
        return 1
    finally:
        kill_all()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
        if ctx.netns is not None:
            ctx.netns.close()
    elapsed = time.monotonic() - t_start

    with open(os.path.join(ctx.out, "samples.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rep", "case", "system", "transport", "metric", "value", "unit"])
        w.writerows(rows)
    st = summarize(samples)
    ctx.stats = st
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
        "values, loaded 5,000 per call (ours mgr_dict_update, Python "
        "dict.update, Redis one HSET with 5,000 pairs); memory is the "
        "server's VmRSS after the load minus before it (dict created, client "
        f"connected). Connections: {P['w5_conns']:,} idle connections from "
        "one process (ours mgr_client handles, Redis hiredis contexts, "
        "Python raw manager connections as a proxy opens them: one server "
        "thread each); VmRSS with them minus before.",
        f"H: {P['h_n']} new connections one after another, each connect "
        "(with a full TLS handshake over TLS: ECDSA P-256 certificates, no "
        "session resumption), one round trip (ours: the authkey handshake "
        "and a ping; Redis: PING) and close; the median of one.",
        f"R: {P['r_n']} times, the client's end of its connection is reset "
        "(ss -K, as a router's reset) while idle, then one read: the median "
        "time from the reset to the read's reply. Ours: reconnect on "
        "(mgr_opts.reconnect), the client redials, resumes its session and "
        "sends the call again by itself; Redis (hiredis has no reconnect): "
        "the command fails, the client opens a new connection and sends it "
        "again. Python's proxies have no reconnect.",
        f"W7: the Account withdraw, 4 client processes for {P['w7_ms']} ms "
        "each taking 1 from one balance, checked at the end against the "
        "withdraws counted. Guarded: ours one atomic batch (dict get, "
        "assert >= 1, dict incr -1; one round trip); Redis EVAL of a Lua "
        "script (HGET, check, HINCRBY); Python's manager cannot check in the "
        "server: its locked figure stands in. Module: ours mgr_call of "
        "the account module's withdraw (examples/modules/account.c; Redis's "
        "and Python's figures are their guarded ones). Locked: ours and Python a "
        "manager Lock around get and set (4 round trips); Redis its "
        "check-and-set (WATCH, HGET, MULTI, HINCRBY, EXEC, again on a "
        "conflict).",
        f"W8: one client, {P['w1_n']:,} calls each after as many warm-up "
        "ones, the mean of one: ours mgr_call of the account module's "
        "deposit(1) (a write method) against mgr_dict_incr, Redis EVALSHA "
        "of a script doing HINCRBY against HINCRBY itself; one round trip "
        "each. Python's Manager has no server-side call to compare.",
        f"L: ours only (the manager's own figure, lock_hold_max_us, over "
        f"unix): a dict and a list of {P['l_n']:,} 32-byte str filled by "
        "parts under --max-op-elements, then the worst single requests at "
        "that size: a dict_update and a list_extend at the limit (one over "
        "it, refused), a 16,384 slice, whole items and sort (refused), a "
        "sort of 16,300 str, a front insert, a missing str's index, a "
        "count, a batch of 2,000 front inserts (refused), a 60 MiB bytes value "
        "set, replaced and read, the dict's clear "
        "and the list's release (freed in slices). Each one's round trip "
        "and the hold figure after it are in the client's log.",
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
