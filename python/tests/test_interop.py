"""A C process (libmgr) and this Python process share one queue, one lock
and one dict, found by name: each does N read-modify-writes of one counter
under the lock and sends the other N items; nothing is lost or counted
twice."""
import os
import subprocess

import pytest

N = 300


def test_c_and_python_share_queue_lock_dict(m, server):
    peer = os.environ.get("MGR_PY_PEER")
    if not peer:
        pytest.fail("MGR_PY_PEER names the C peer (child_python_peer)")
    lock = m.named("interop.lock", m.Lock)
    d = m.named("interop.d", m.dict)
    toc = m.named("interop.toc", m.Queue)
    topy = m.named("interop.topy", m.Queue)
    d["count"] = 0
    env = dict(os.environ, MGR_URL=server.url("tcp"), MGR_AUTHKEY=server.key)
    c = subprocess.Popen([peer, "interop", str(N)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for i in range(N):
            with lock:
                d["count"] = d["count"] + 1
            toc.put(("py", i))
        got = sorted(topy.get(timeout=20) for _ in range(N))
        out, err = c.communicate(timeout=60)
    finally:
        if c.poll() is None:
            c.kill()
            c.wait()
    assert c.returncode == 0, err.decode()
    assert out == b"done\n"
    assert got == [("c", i) for i in range(N)]
    assert d["count"] == 2 * N
    assert d["c_sum"] == N * (N - 1) // 2
    assert topy.empty() and toc.empty()
    # tokens cross the languages too: the C library's form, attached here
    assert m.attach(d.token)["count"] == 2 * N
    for name in ("lock", "d", "toc", "topy"):
        m.del_name("interop." + name)
