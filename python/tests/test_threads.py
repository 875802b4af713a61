"""Threads sharing one connection: calls from many threads at once, and
one thread's blocking call never holds up another's (the wait is in the
manager, the reply read by whichever thread is waiting)."""
import threading


def test_many_threads_one_client(m):
    d = m.dict()
    errors = []

    def work(k):
        try:
            for i in range(200):
                d.incr("n")
                d[(k, i)] = i
        except Exception as e:  # reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors
    assert d["n"] == 1600 and len(d) == 1601


def test_a_blocked_get_does_not_block_other_threads(m):
    q = m.Queue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=30)))
    t.start()
    # while the getter waits (it may be the one reading), other calls
    # from this thread go on, and the put wakes it
    d = m.dict()
    for i in range(50):
        d[i] = i
    assert len(d) == 50
    q.put("wake")
    t.join(30)
    assert got == ["wake"]
