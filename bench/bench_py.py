#!/usr/bin/env python3
"""bench_py.py - the benchmark's server and client for Python's Manager.

  bench_py.py serve --addr unix:PATH|tcp:HOST:PORT --keyfile F
  bench_py.py w1|w2|w3|w4|w5load|w5conns --addr ADDR --keyfile F [options]
  bench_py.py w1|w2 --client mgr --addr URL --keyfile F [options]

The server is multiprocessing.managers.SyncManager's own Server, run in
the foreground so that the driver can pin it and read its memory. The
clients do the workloads of bench_mgr with the nearest Python calls and
print the same "result NAME VALUE UNIT" lines. Python 3 stdlib only; with
--client mgr the same W1 and W2 calls go through our Python client
(python/mgr) to managerd instead.

Nearest calls where Python has no equivalent:
- W2's shared counter: SyncManager has no atomic increment (its Value
  proxy has no get_lock), so a manager Lock guards d['counter'] += 1:
  acquire, get, set, release = 4 round trips per increment.
- W3: no pipelining; the sets are sequential.
- Worker processes are forked (Python's usual way to share proxies); each
  reconnects to the manager after the fork.
"""
import argparse
import multiprocessing as mp
import os
import resource
import select
import struct
import sys
import time
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Client
from multiprocessing.managers import SyncManager, dispatch

WAIT_S = 60  # longest single wait, as in the C clients
READY, DONE, FAIL = 1, 2, 3
REPORT = struct.Struct("<iiqqq")  # kind, index, count, t_end, sum


def parse_addr(text):
    if text.startswith("unix:"):
        return text[5:]
    if text.startswith("tcp:"):
        host, _, port = text[4:].rpartition(":")
        return (host, int(port))
    sys.exit(f"bad address {text} (unix:PATH or tcp:HOST:PORT)")


def format_addr(a):
    return f"tcp:{a[0]}:{a[1]}" if isinstance(a, tuple) else f"unix:{a}"


def read_key(path):
    with open(path, "rb") as f:
        k = f.read()
    return k[:-1] if k.endswith(b"\n") else k


def fill_value(length, i):
    head = f"{i}:"
    tail = "".join(chr(ord("a") + k % 26) for k in range(len(head), length))
    return head + tail


def result(name, value, unit):
    print(f"result {name} {value:.6g} {unit}", flush=True)


def state_sync(name):
    """Tells the driver we reached a state and waits for its go-on."""
    print(f"state {name}", flush=True)
    r, _, _ = select.select([sys.stdin], [], [], WAIT_S)
    if not r or not sys.stdin.readline():
        sys.exit(f"error: no word from the driver after state {name}")


def connect(args):
    if args.client == "mgr":  # our Python client, against managerd
        import mgr
        return mgr.connect(args.addr, read_key(args.keyfile))
    m = SyncManager(address=parse_addr(args.addr), authkey=read_key(args.keyfile))
    m.connect()
    return m


# ---- server -----------------------------------------------------------------


def serve(args):
    m = SyncManager(address=parse_addr(args.addr), authkey=read_key(args.keyfile))
    srv = m.get_server()
    print(f"listening {format_addr(srv.address)}", flush=True)
    print("ready", flush=True)
    srv.serve_forever()


# ---- worker processes (forked; proxies reconnect after the fork) ------------


def read_exact(fd, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return None
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Workers:
    """n forked workers, each running target(index, *args) -> (count, sum)
    between a ready/go handshake and a done report, as the C clients do."""

    def __init__(self, n, target, args_of):
        self.go_r, self.go_w = os.pipe()
        self.rep_r, self.rep_w = os.pipe()
        ctx = mp.get_context("fork")
        self.procs = [
            ctx.Process(target=self._run, args=(i, target, args_of(i)), daemon=True)
            for i in range(n)
        ]
        for p in self.procs:
            p.start()
        os.close(self.go_r)
        os.close(self.rep_w)
        deadline = time.monotonic() + WAIT_S
        for _ in range(n):
            rep = self._report(deadline)
            if rep[0] != READY:
                self.fail("a worker failed to start")

    def _run(self, index, target, args):
        os.close(self.go_w)
        os.close(self.rep_r)
        try:
            os.write(self.rep_w, REPORT.pack(READY, index, 0, 0, 0))
            go = read_exact(self.go_r, 8, time.monotonic() + WAIT_S)
            if go is None:
                os._exit(3)
            count, total = target(index, struct.unpack("<q", go)[0], *args)
            os.write(self.rep_w, REPORT.pack(DONE, index, count, time.monotonic_ns(), total))
        except BaseException as e:  # report anything, then die
            print(f"worker {index}: {e!r}", file=sys.stderr, flush=True)
            os.write(self.rep_w, REPORT.pack(FAIL, index, -1, 0, 0))
            os._exit(1)

    def _report(self, deadline):
        data = read_exact(self.rep_r, REPORT.size, deadline)
        if data is None:
            self.fail("workers did not answer in time")
        return REPORT.unpack(data)

    def fail(self, why):
        self.kill()
        sys.exit(f"error: {why}")

    def kill(self):
        for p in self.procs:
            if p.is_alive():
                p.kill()
            p.join(5)

    def go(self):
        self.t_go = time.monotonic_ns()
        for _ in self.procs:
            os.write(self.go_w, struct.pack("<q", self.t_go))
        return self.t_go

    def collect(self):
        reps = {}
        deadline = time.monotonic() + WAIT_S
        while len(reps) < len(self.procs):
            kind, index, count, t_end, total = self._report(deadline)
            if kind == FAIL:
                self.fail(f"worker {index} failed")
            reps[index] = (count, t_end, total)
        for p in self.procs:
            p.join(10)
            if p.exitcode != 0:
                self.fail("a worker exited with an error")
        return [reps[i] for i in range(len(self.procs))]


# ---- W1 ---------------------------------------------------------------------


def w1(args):
    m = connect(args)
    d, q, lock, lst = m.dict(), m.Queue(), m.Lock(), m.list()
    keys = [f"key:{k:04d}" for k in range(1000)]
    value = fill_value(64, 0)

    def dict_set(i):
        d[keys[i % 1000]] = value

    def dict_get(i):
        if len(d[keys[i % 1000]]) != 64:
            sys.exit("error: dict get: wrong value")

    def queue_putget(i):
        q.put(value)
        q.get(timeout=WAIT_S)

    def lock_acqrel(i):
        lock.acquire(timeout=WAIT_S)
        lock.release()

    def list_append(i):
        lst.append(value)

    ops = [dict_set, dict_get, queue_putget, lock_acqrel, list_append]
    if args.only:
        for i in range(1000):
            dict_set(i)
    for op in ops:
        if args.only and args.only != op.__name__:
            continue
        for i in range(args.warmup):
            op(i)
        t0 = time.monotonic_ns()
        for i in range(args.n):
            op(i)
        t1 = time.monotonic_ns()
        if args.n > 0:  # n = 0: the profile's baseline run
            result(f"w1.{op.__name__}", (t1 - t0) / 1e3 / args.n, "us")
    if not args.only and len(lst) != args.n + args.warmup:
        sys.exit("error: the list has the wrong length")


# ---- W2 ---------------------------------------------------------------------


def w2_work(index, go, d, lock, ms):
    keys = [f"w{index}:{k}" for k in range(100)]
    value = fill_value(64, index)
    deadline = go + ms * 1_000_000
    iters = 0
    while time.monotonic_ns() < deadline:
        k = keys[iters % 100]
        d[k] = value
        d[k]
        with lock:
            d["counter"] += 1
        iters += 1
    return iters, 0


def w2(args):
    m = connect(args)
    d, lock = m.dict(), m.Lock()
    d["counter"] = 0
    w = Workers(args.clients, w2_work, lambda i: (d, lock, args.ms))
    t_go = w.go()
    reps = w.collect()
    iters = sum(r[0] for r in reps)
    t_end = max(r[1] for r in reps)
    if d["counter"] != iters:
        sys.exit(f"error: counter is {d['counter']}, expected {iters}")
    result(f"w2.c{args.clients}", 3 * iters / ((t_end - t_go) / 1e9), "ops/s")


# ---- W7 ---------------------------------------------------------------------
# The Account withdraw: Python's manager has no server-side check, so a Lock
# around get and set (4 round trips) is its only way; it stands in for the
# guarded row too.

W7_START = 10**12


def w7_work(index, go, d, lock, ms):
    deadline = go + ms * 1_000_000
    draws = 0
    while time.monotonic_ns() < deadline:
        with lock:
            b = d["balance"]
            if b >= 1:
                d["balance"] = b - 1
        draws += 1
    return draws, 0


def w7(args):
    m = connect(args)
    d, lock = m.dict(), m.Lock()
    d["balance"] = W7_START
    w = Workers(args.clients, w7_work, lambda i: (d, lock, args.ms))
    t_go = w.go()
    reps = w.collect()
    draws = sum(r[0] for r in reps)
    t_end = max(r[1] for r in reps)
    if d["balance"] != W7_START - draws:
        sys.exit(f"error: balance is {d['balance']} after {draws} draws")
    rate = draws / ((t_end - t_go) / 1e9)
    result("w7.guarded", rate, "ops/s")
    result("w7.module", rate, "ops/s")
    result("w7.locked", rate, "ops/s")


# ---- W3 ---------------------------------------------------------------------


def w3(args):
    m = connect(args)
    d = m.dict()
    value = fill_value(64, 0)
    t0 = time.monotonic_ns()
    for i in range(args.n):
        d[f"k{i}"] = value
    t1 = time.monotonic_ns()
    if len(d) != args.n:
        sys.exit("error: the dict has the wrong size")
    result("w3.pipelined_set", args.n / ((t1 - t0) / 1e9), "ops/s")


# ---- W4 ---------------------------------------------------------------------


def w4_work(index, go, q, role, lo, hi):
    count = total = 0
    if role == "p":
        for i in range(lo, hi):
            q.put(fill_value(64, i), timeout=WAIT_S)
            count += 1
    else:
        for _ in range(hi - lo):
            item = q.get(timeout=WAIT_S)
            total += int(item.split(":", 1)[0])
            count += 1
    return count, total


def w4(args):
    items, np_, nc = args.items, args.producers, args.consumers
    if items % np_ or items % nc:
        sys.exit("error: --items must divide among producers and consumers")
    m = connect(args)
    q = m.Queue(args.maxsize)
    pp, pc = items // np_, items // nc

    def args_of(i):
        if i < np_:
            return (q, "p", i * pp, (i + 1) * pp)
        return (q, "c", 0, pc)

    w = Workers(np_ + nc, w4_work, args_of)
    t_go = w.go()
    reps = w.collect()[np_:]
    got = sum(r[0] for r in reps)
    total = sum(r[2] for r in reps)
    if got != items or total != items * (items - 1) // 2:
        sys.exit(f"error: consumers got {got} items, expected {items}")
    t_end = max(r[1] for r in reps)
    result("w4.queue", items / ((t_end - t_go) / 1e9), "items/s")


# ---- W5 ---------------------------------------------------------------------


def w5load(args):
    if args.entries >= 10**7:
        sys.exit("error: --entries must stay below 10^7 (8-byte keys)")
    m = connect(args)
    d = m.dict()
    state_sync("connected")
    t0 = time.monotonic_ns()
    for lo in range(0, args.entries, args.per_call):
        hi = min(lo + args.per_call, args.entries)
        d.update({f"k{i:07d}": fill_value(32, i) for i in range(lo, hi)})
    t1 = time.monotonic_ns()
    if len(d) != args.entries:
        sys.exit("error: the dict has the wrong size")
    result("w5.load_rate", args.entries / ((t1 - t0) / 1e9), "entries/s")
    state_sync("loaded")


def w5conns(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * args.conns + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    address, key = parse_addr(args.addr), read_key(args.keyfile)

    def open_one(_):
        # What a proxy does for its connection (BaseProxy._connect): the
        # server then serves it on a thread of its own.
        c = Client(address, authkey=key)
        dispatch(c, None, "accept_connection", ("bench-idle",))
        return c

    # Python's tcp handshake stalls ~40 ms per connection (delayed ACK):
    # open them from 32 threads so that 1,000 take seconds, not a minute.
    with ThreadPoolExecutor(32) as ex:
        conns = list(ex.map(open_one, range(args.conns)))
    state_sync("opened")
    for c in conns:
        c.close()


# ---- W6: process pools --------------------------------------------------------


def noop(x):
    return x


def big(n):
    return b"x" * n


_done = {"n": 0}


def _counted(_):
    _done["n"] += 1
    if _done["n"] == _done["want"]:
        _done["event"].set()


def w6(args):
    """multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor on a
    trivial task: a map of --tasks items (chunksize 1), then as many
    apply_async / submit calls and their results. The pools' start is not
    counted (a warm-up map first)."""
    import concurrent.futures
    import multiprocessing
    n, w = args.tasks, args.workers
    with multiprocessing.Pool(w) as pool:
        pool.map(noop, range(w * 4), chunksize=1)
        t0 = time.monotonic_ns()
        out = pool.map(noop, range(n), chunksize=1)
        t1 = time.monotonic_ns()
        rs = [pool.apply_async(noop, (i,)) for i in range(n)]
        got = [r.get() for r in rs]
        t2 = time.monotonic_ns()
        unordered = sorted(pool.imap_unordered(noop, range(n), chunksize=1))
        t3 = time.monotonic_ns()
        _done.update(n=0, want=n, event=threading.Event())
        for i in range(n):
            pool.apply_async(noop, (i,), callback=_counted)
        _done["event"].wait()
        t4 = time.monotonic_ns()
        bigs = pool.map(big, [1 << 20] * args.big, chunksize=1)
        t5 = time.monotonic_ns()
    if out != list(range(n)) or got != list(range(n)) or unordered != list(range(n)):
        sys.exit("error: wrong results")
    if len(bigs) != args.big or any(len(b) != 1 << 20 for b in bigs):
        sys.exit("error: wrong big results")
    result("w6.map", n / ((t1 - t0) / 1e9), "tasks/s")
    result("w6.submit", n / ((t2 - t1) / 1e9), "tasks/s")
    result("w6.unordered", n / ((t3 - t2) / 1e9), "tasks/s")
    result("w6.callback", n / ((t4 - t3) / 1e9), "tasks/s")
    result("w6.big", args.big / ((t5 - t4) / 1e9), "tasks/s")
    with concurrent.futures.ProcessPoolExecutor(w) as ex:
        list(ex.map(noop, range(w * 4), chunksize=1))
        t0 = time.monotonic_ns()
        out = list(ex.map(noop, range(n), chunksize=1))
        t1 = time.monotonic_ns()
        fs = [ex.submit(noop, i) for i in range(n)]
        got = [f.result() for f in fs]
        t2 = time.monotonic_ns()
    if out != list(range(n)) or got != list(range(n)):
        sys.exit("error: wrong results")
    result("w6.futures_map", n / ((t1 - t0) / 1e9), "tasks/s")
    result("w6.futures_submit", n / ((t2 - t1) / 1e9), "tasks/s")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices="serve w1 w2 w3 w4 w5load w5conns w6 w7".split())
    p.add_argument("--addr", required=True)
    p.add_argument("--client", choices=["python", "mgr"], default="python",
                   help="mgr: our Python client against managerd (--addr "
                   "its URL), the same calls")
    p.add_argument("--keyfile", required=True)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--only")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--ms", type=int, default=1000)
    p.add_argument("--depth", type=int, default=64)  # ignored: no pipelining
    p.add_argument("--items", type=int, default=200000)
    p.add_argument("--producers", type=int, default=4)
    p.add_argument("--consumers", type=int, default=4)
    p.add_argument("--maxsize", type=int, default=1000)
    p.add_argument("--entries", type=int, default=1000000)
    p.add_argument("--per-call", type=int, default=5000)
    p.add_argument("--conns", type=int, default=1000)
    p.add_argument("--tasks", type=int, default=20000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--big", type=int, default=200)
    args = p.parse_args()
    globals()[args.what](args)


if __name__ == "__main__":
    main()
