"""Proxies handed to processes multiprocessing starts: forked ones use
the proxies they inherit on a connection of their own; spawned ones get
them pickled (URL and token, never the key) and reattach with the key
of the process that started the managerd (its multiprocessing authkey)
or $MGR_AUTHKEY."""
import multiprocessing
import pickle

import pytest

import mgr
import proc_targets


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_children_share_objects(method):
    ctx = multiprocessing.get_context(method)
    with mgr.start() as m:
        d, l = m.dict(), m.list()
        d["count"] = 0
        lock = m.Lock()
        p = ctx.Process(target=proc_targets.fill, args=(d, l))
        p.start()
        p.join(60)
        assert p.exitcode == 0
        assert d["child"] is True and l.copy() == ["from the child"]
        ps = [ctx.Process(target=proc_targets.take_lock_and_count,
                          args=(lock, d, 50)) for _ in range(3)]
        for p in ps:
            p.start()
        proc_targets.take_lock_and_count(lock, d, 50)
        for p in ps:
            p.join(60)
            assert p.exitcode == 0
        assert d["count"] == 200
        # the parent's connection was never touched by the children
        assert m.session == m._client.session and len(m.sessions()) >= 1


def test_pickle_carries_no_key(server, monkeypatch):
    with server.connect() as m:
        q = m.Queue()
        data = pickle.dumps(q)
        assert server.key.encode() not in data
        assert q.token.encode() in data
        monkeypatch.setenv("MGR_AUTHKEY", server.key)
        q2 = pickle.loads(data)
        q2.put("through a pickle")
        assert q.get(timeout=5) == "through a pickle"


def test_start_stops_its_managerd():
    m = mgr.start()
    server = m._server
    # A key with no newline in it: managerd strips one trailing newline
    # from a key file (raw random bytes failed one start in 256).
    assert server.key.isalnum() and len(server.key) == 64
    m.dict()["x"] = 1
    m.close()
    assert server.proc.poll() == 0
