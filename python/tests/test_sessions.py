"""Leases and reconnecting, as libmgr's: a stopped client's lock is
released after its lease; a stopped manager fails its callers after the
lease instead of hanging them; a dropped connection (a proxy in the test
cuts it, or swallows a reply) is dialled again, the session resumed and
each call in flight applied exactly once."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import mgr


class CuttingProxy:
    """Forwards TCP connections to a manager; cut() drops them all;
    swallow_next_reply() drops the connection instead of forwarding the
    manager's next bytes (the request was applied, its reply lost)."""

    def __init__(self, url):
        host, port = url[len("tcp://"):].rsplit(":", 1)
        self.target = (host, int(port))
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.url = "tcp://127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs = []
        self.swallow = False
        self.swallowed = 0
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            u = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((c, u))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(c, u, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, True),
                             daemon=True).start()

    def _pump(self, src, dst, from_manager):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if from_manager and data:
                with self.lock:
                    if self.swallow:
                        self.swallow = False
                        self.swallowed += 1
                        data = b""
            if not data:
                self._close(src, dst)
                return
            try:
                dst.sendall(data)
            except OSError:
                self._close(src, dst)
                return

    def _close(self, a, b):
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def swallow_next_reply(self):
        with self.lock:
            self.swallow = True

    def cut(self):
        with self.lock:
            pairs = list(self.pairs)
        for c, u in pairs:
            self._close(c, u)

    def close(self):
        self.lsock.close()
        self.cut()


@pytest.fixture
def proxy(server):
    p = CuttingProxy(server.url("tcp"))
    yield p
    p.close()


def test_reconnect_applies_each_call_once(proxy, server):
    c = mgr.connect(proxy.url, server.key, reconnect=20, lease=20)
    session = c.session
    d = c.dict()
    lock = c.Lock()
    lock.acquire()
    fence = lock.fence()
    for i in range(30):
        if i % 3 == 0:
            proxy.swallow_next_reply()  # this incr's reply never comes
        assert d.incr("n") == i + 1
    assert proxy.swallowed == 10 and proxy.accepted >= 11
    assert d["n"] == 30
    # the same session: what it held is still held
    assert c.session == session and lock.locked() and lock.fence() == fence
    lock.release()
    c.close()


def test_reconnect_during_a_blocking_get(proxy, server):
    c = mgr.connect(proxy.url, server.key, reconnect=20, lease=20)
    q = c.Queue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=30)))
    t.start()
    deadline = time.monotonic() + 20
    with server.connect() as other:
        other_q = other.attach(q.token)
        while True:  # until the get is parked in the manager
            mine = [s for s in other.sessions() if s["id"] == c.session]
            if mine and mine[0]["waits"]:
                break
            assert time.monotonic() < deadline, other.sessions()
            time.sleep(0.02)
        proxy.cut()
        other_q.put("once")
        t.join(30)
        assert got == ["once"]
        assert other_q.empty()
    c.close()


def test_lease_frees_a_stopped_clients_lock(own_server, tmp_path):
    srv = own_server("--min-lease", "500")
    with srv.connect() as m:
        lock = m.named("held", m.Lock)
        script = ("import mgr, sys\n"
                  "m = mgr.connect(sys.argv[1], sys.argv[2], lease=1)\n"
                  "m.get('held').acquire()\n"
                  "print('held', flush=True)\n"
                  "sys.stdin.read()\n")
        child = subprocess.Popen(
            [sys.executable, "-c", script, srv.url("tcp"), srv.key],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            assert child.stdout.readline() == b"held\n"
            assert lock.acquire(blocking=False) is False
            os.kill(child.pid, signal.SIGSTOP)
            # its lease (1 s) runs out, and the manager releases the lock
            assert lock.acquire(timeout=30) is True
            lock.release()
        finally:
            child.kill()
            child.wait()
        # (the line may follow the lock's hand-over by a moment)
        deadline = time.monotonic() + 20
        while "lease of 1000 ms ran out" not in srv.log_text():
            assert time.monotonic() < deadline, srv.log_text()
            time.sleep(0.02)


def test_a_stopped_manager_fails_its_callers(own_server):
    srv = own_server("--min-lease", "500")
    c = srv.connect(lease=1)
    q = c.Queue()
    os.kill(srv.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        with pytest.raises(mgr.ConnectionLost, match="lease"):
            q.get(timeout=120)
        assert time.monotonic() - t0 < 60  # the lease, not the timeout
        with pytest.raises(mgr.ConnectionLost):
            q.qsize()
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)


def test_stale_reads_session_only_reads(server, m):
    """stale_reads=True: a read-only session (a cluster's follower may
    serve it); it reads what others made, its writes and waits raise
    BadState, and its proxies hold no reference."""
    d = m.dict({"n": 41})
    lst = m.list([7])
    d["list"] = lst
    m.set_name("stale-d", d)
    q = m.Queue()
    m.set_name("stale-q", q)
    with server.connect(stale_reads=True) as r:
        rd = r.get("stale-d")
        assert rd["n"] == 41
        assert len(rd["list"]) == 1
        with pytest.raises(mgr.errors.BadState) as e:
            rd["n"] = 0
        assert "stale-read session" in e.value.detail
        with pytest.raises(mgr.errors.BadState):
            r.dict()
        with pytest.raises(mgr.errors.BadState):
            r.get("stale-q").get(timeout=0)
        mine = [s for s in r.sessions() if s["stale_reads"]]
        assert len(mine) == 1 and mine[0]["objects"] == 0
    assert d["n"] == 41
    m.del_name("stale-d")
    m.del_name("stale-q")
