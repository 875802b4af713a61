"""The client and a cluster (managerd --cluster, three members on
loopback): every member's URL given, a follower's redirect is followed
to the leader; the leader killed, the client resumes its session at the
next and its calls go on, none lost or applied twice; stale_reads reads
from a follower itself. Skipped when managerd has no replication."""
import os
import socket
import time

import pytest

import mgr
from conftest import Managerd, managerd_path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    if b"libraft" not in open(managerd_path(), "rb").read():
        pytest.skip("managerd is built without replication (libraft)")
    key = os.urandom(16).hex()
    members = ",".join("%d=127.0.0.1:%d" % (i + 1, free_port())
                       for i in range(3))
    ms = []
    for i in range(3):
        d = tmp_path / ("node%d" % (i + 1))
        d.mkdir()
        ms.append(Managerd(str(d), "--data-dir", str(d / "data"),
                           "--node-id", str(i + 1), "--cluster", members,
                           listen=["tcp://127.0.0.1:0"], key=key))
    yield ms
    for m in ms:
        m.stop()


def urls(ms):
    return ",".join(m.url("tcp") for m in ms)


def serving(ms, timeout=20):
    """The member that leads (its pid through the client), once one does."""
    with mgr.connect(urls(ms), ms[0].key, connect_timeout=timeout) as c:
        pid = c.info()["pid"]
    return next(m for m in ms if m.proc.pid == pid)


def test_redirect_failover_and_stale_reads(cluster):
    leader = serving(cluster)
    followers = [m for m in cluster if m is not leader]
    # A follower's URL first: it names the leader, and the client goes.
    order = [followers[0]] + [m for m in cluster if m is not followers[0]]
    c = mgr.connect(urls(order), leader.key, lease=3, reconnect=30)
    assert c.info()["pid"] == leader.proc.pid
    d = c.dict()
    c.set_name("d", d)
    for i in range(50):
        d["n%d" % i] = i
    # The leader dies: the session resumes at the next, nothing lost.
    leader.proc.kill()
    leader.proc.wait()
    for i in range(50, 100):
        d["n%d" % i] = i
    assert len(d) == 100
    assert c.info()["pid"] in (followers[0].proc.pid,
                               followers[1].proc.pid)
    # Stale reads from a follower: served there, read-only.
    now = next(m for m in followers if m.proc.pid != c.info()["pid"])
    r = mgr.connect(now.url("tcp"), now.key, stale_reads=True)
    assert r.info()["pid"] == now.proc.pid
    deadline = time.monotonic() + 10
    while True:
        try:
            n = len(r.get("d"))
        except mgr.errors.MgrError:
            n = -1
        if n == 100 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert n == 100
    with pytest.raises(mgr.errors.BadState):
        r.get("d")["x"] = 1
    r.close()
    c.close()
