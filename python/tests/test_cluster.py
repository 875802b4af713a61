"""The client and a cluster (managerd --cluster, three members on
loopback): every member's URL given, a follower's redirect is followed
to the leader; the leader killed, the client resumes its session at the
next and its calls go on, none lost or applied twice; stale_reads reads
from a follower itself; the leader cut off (network namespaces), the
client leaves it for the next. Skipped when managerd has no replication."""
import os
import signal
import sys
import time

import pytest

import mgr
from conftest import Managerd, managerd_path


# bench/'s helpers: ports for members that name each other, and network
# namespaces to cut a member off.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))
from netns import Netns  # noqa: E402
from ports import free_ports  # noqa: E402


@pytest.fixture
def cluster(tmp_path):
    if b"libraft" not in open(managerd_path(), "rb").read():
        pytest.skip("managerd is built without replication (libraft)")
    key = os.urandom(16).hex()
    members = ",".join("%d=127.0.0.1:%d" % (i + 1, port)
                       for i, port in enumerate(free_ports(3)))
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


@pytest.fixture
def cut_cluster(tmp_path):
    """Three members, each in a network namespace of its own (a veth each
    on one bridge, the client outside), so that a member's link can be
    cut. Root and ip(8) only; skipped otherwise."""
    if b"libraft" not in open(managerd_path(), "rb").read():
        pytest.skip("managerd is built without replication (libraft)")
    if not Netns.available():
        pytest.skip("network namespaces need root and ip(8)")
    ns = Netns(3)
    ms = []
    try:
        key = os.urandom(16).hex()
        members = ",".join("%d=%s:7000" % (i + 1, ns.ip(i)) for i in range(3))
        for i in range(3):
            d = tmp_path / ("node%d" % (i + 1))
            d.mkdir()
            # A fixed port: a member that starts again (rejoining after
            # the cut) listens where it did.
            ms.append(Managerd(str(d), "--data-dir", str(d / "data"),
                               "--node-id", str(i + 1), "--cluster", members,
                               listen=["tcp://%s:50000" % ns.ip(i)], key=key,
                               prefix=ns.prefix(i)))
        yield ns, ms
    finally:
        for m in ms:
            m.stop()
        ns.close()


def test_leader_cut_off(cut_cluster):
    """The leader's link cut under a client's calls: the client leaves the
    silent member after half its lease, follows the others to the new
    leader, resumes its session there and retries the call in flight
    once; after the link is mended the old leader rejoins and catches
    up. A list's appends show nothing lost and nothing applied twice."""
    ns, ms = cut_cluster

    def too_long(signum, frame):
        raise TimeoutError("the client did not go on within 90 s")
    was = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(90)
    try:
        leader = serving(ms)
        cut = ms.index(leader)
        c = mgr.connect(urls(ms), leader.key, lease=2, reconnect=30)
        items = c.list()
        c.set_name("items", items)
        for k in range(50):
            items.append(k)
        ns.link(cut, False)
        for k in range(50, 100):
            items.append(k)  # the first waits out the silence and failover
        assert list(items) == list(range(100))
        assert c.info()["pid"] != leader.proc.pid
        # Mended: the old leader learns of the new term, starts again
        # from the group's log (same pid, same port) and serves stale
        # reads of it once it has caught up (another process's progress:
        # polled, bounded).
        ns.link(cut, True)
        deadline, n = time.monotonic() + 30, -1
        while n != 100 and time.monotonic() < deadline:
            try:
                with mgr.connect(leader.url("tcp"), leader.key,
                                 stale_reads=True, connect_timeout=5) as r:
                    n = len(r.get("items"))
            except mgr.errors.MgrError:
                pass
            if n != 100:
                time.sleep(0.05)
        assert n == 100
        c.close()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, was)
