"""Each shared type through Python's own protocols, against a real
managerd."""
import pickle
import queue
import threading

import pytest

import mgr


def test_dict_protocols(m):
    d = m.dict({"a": 1}, b=2)
    d["x"] = [1, 2.5, (3, "t"), {"k": b"v"}, None, True]
    d[(1, 2)] = "tuple key"
    assert d["x"] == [1, 2.5, (3, "t"), {"k": b"v"}, None, True]
    assert d[(1, 2)] == "tuple key"
    assert len(d) == 4 and "a" in d and "zz" not in d
    assert list(d) == ["a", "b", "x", (1, 2)]
    assert d.items()[0] == ("a", 1)
    assert d.get("zz", 7) == 7 and d.get("zz") is None
    with pytest.raises(KeyError):
        d["zz"]
    with pytest.raises(KeyError):
        del d["zz"]
    assert d.pop("zz", "dflt") == "dflt"
    assert d.pop("b") == 2
    assert d.setdefault("s", 5) == 5 and d.setdefault("s", 6) == 5
    assert d.incr("n") == 1 and d.incr("n", 10) == 11
    assert d.popitem() == ("n", 11)
    # typed equality: 1, 1.0 and True are three keys (a deviation)
    d.clear()
    d[1], d[1.0], d[True] = "int", "float", "bool"
    assert len(d) == 3 and d[1] == "int" and d[True] == "bool"
    assert d.copy() == {1: "int", 1.0: "float", True: "bool"} or \
        len(d.copy()) == 1  # a Python dict merges them again
    with pytest.raises(TypeError):
        d["set"] = {1, 2}
    with pytest.raises(OverflowError):
        d["big"] = 1 << 64


def test_list_protocols(m):
    lst = m.list(range(10))
    lst.reverse()
    assert lst.copy() == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert lst[0] == 9 and lst[-1] == 0
    assert lst[2:5] == [7, 6, 5] and lst[-2:] == [1, 0] and lst[:2] == [9, 8]
    assert lst[::3] == [9, 6, 3, 0]
    with pytest.raises(IndexError):
        lst[10]
    lst[0] = "nine"
    del lst[1]
    lst.append("end")
    lst.insert(0, "start")
    lst += ["a", "b"]
    assert len(lst) == 13 and "end" in lst and "zz" not in lst
    assert lst.index("end") == 10 and lst.count("a") == 1
    with pytest.raises(ValueError):
        lst.remove("zz")
    assert lst.pop() == "b" and lst.pop(0) == "start"
    assert list(lst)[:2] == ["nine", 7]
    nums = m.list([3, 1, 2])
    nums.sort()
    assert nums.copy() == [1, 2, 3]
    nums.sort(reverse=True)
    assert repr(nums) == "[3, 2, 1]"


def test_namespace(m):
    ns = m.Namespace(x=1)
    ns.y = "two"
    assert ns.x == 1 and ns.y == "two"
    del ns.x
    with pytest.raises(AttributeError):
        ns.x
    with pytest.raises(AttributeError):
        del ns.nothing
    assert repr(ns) == "Namespace(y='two')"


def test_queue_full_empty_timeouts(m):
    q = m.Queue(2)
    q.put(1)
    q.put_nowait(2)
    assert q.full() and q.qsize() == 2
    with pytest.raises(queue.Full):
        q.put(3, block=False)
    with pytest.raises(queue.Full):
        q.put(3, timeout=0.05)
    assert q.peek() == [1, 2] and 2 in q
    assert q.get() == 1 and q.get_nowait() == 2
    assert q.empty()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.05)
    with pytest.raises(queue.Empty):
        q.get_nowait()
    q.put("x")
    assert q.purge() == 1 and q.empty()


def test_joinable_lifo_priority(m):
    q = m.JoinableQueue()
    q.put("job")
    with pytest.raises(TimeoutError):
        q.join(timeout=0.05)
    assert q.get() == "job"
    q.task_done()
    q.join(timeout=5)
    with pytest.raises(ValueError):
        q.task_done()  # too many: BadState, a ValueError as Python's
    lifo = m.LifoQueue()
    for i in range(3):
        lifo.put(i)
    assert [lifo.get() for _ in range(3)] == [2, 1, 0]
    pq = m.PriorityQueue()
    for item in [(3, "c"), (1, "a"), (2, "b")]:
        pq.put(item)
    assert [pq.get()[1] for _ in range(3)] == ["a", "b", "c"]


def test_acknowledged_queue_gives_back_on_session_end(server):
    with server.connect() as a:
        q = a.Queue(ack=True)
        a.set_name("acked", q)
        q.put("work")
    c = server.connect()
    q = c.get("acked")
    assert q.get(timeout=5) == "work"
    c.close()  # ended without task_done: the item goes back
    with server.connect() as d:
        q = d.get("acked")
        assert q.get(timeout=5) == "work"
        q.task_done()
        d.del_name("acked")


def test_locks(m):
    lock = m.Lock()
    with lock:
        assert lock.locked()
        assert lock.acquire(blocking=False) is False
        assert lock.acquire(timeout=0.05) is False
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()
    fence1 = lock.acquire_fence()
    lock.release()
    fence2 = lock.acquire_fence()
    assert fence2 > fence1 and lock.fence() == fence2
    lock.release()
    rl = m.RLock()
    with rl:
        with rl:
            assert rl.locked()
    assert not rl.locked()
    sem = m.Semaphore(2)
    assert sem.acquire() and sem.acquire()
    assert sem.acquire(timeout=0.05) is False
    sem.release()
    sem.release()
    sem.release()  # a Semaphore may go over its start, as Python's
    bs = m.BoundedSemaphore(1)
    with bs:
        pass
    with pytest.raises(ValueError):
        bs.release()


def test_rlock_belongs_to_its_thread(m):
    rl = m.RLock()
    rl.acquire()
    got = []
    t = threading.Thread(target=lambda: got.append(rl.acquire(timeout=0.1)))
    t.start()
    t.join()
    assert got == [False]
    rl.release()


def test_condition_between_threads(m):
    cond = m.Condition(m.Lock())
    items = m.list()
    done = []

    def consumer():
        with cond:
            done.append(cond.wait_for(lambda: len(items) > 0, timeout=10))

    t = threading.Thread(target=consumer)
    t.start()
    with cond:
        items.append("x")
        cond.notify_all()
    t.join(20)
    assert done == [True]
    with cond:
        assert cond.wait(0.01) is False


def test_event_barrier_between_threads(m):
    ev = m.Event()
    assert ev.wait(0.01) is False and not ev.is_set()
    threading.Timer(0.05, ev.set).start()
    assert ev.wait(10) is True
    ev.clear()
    assert not ev.is_set()
    b = m.Barrier(3)
    got = []
    ts = [threading.Thread(target=lambda: got.append(b.wait(10)))
          for _ in range(2)]
    for t in ts:
        t.start()
    got.append(b.wait(10))
    for t in ts:
        t.join(20)
    assert sorted(got) == [0, 1, 2]
    assert b.parties == 3 and b.n_waiting == 0 and not b.broken
    with pytest.raises(threading.BrokenBarrierError):
        b.wait(0.05)
    assert b.broken
    b.reset()
    assert not b.broken
    with pytest.raises(mgr.InvalidArgument):
        m.Barrier(2, action=print)


def test_value_array(m):
    v = m.Value("i", 7)
    v.value += 1
    assert v.value == 8 and v.add(2) == 10
    with pytest.raises(OverflowError):
        m.Value("b", 300)
    with pytest.raises(OverflowError):
        v.value = 1 << 40
    with v.get_lock():
        v.value = 0
    a = m.Array("d", 3)
    assert a.tolist() == [0.0, 0.0, 0.0]
    a[0] = 1.5
    a[1:3] = [2.5, 3.5]
    assert a[:] == [1.5, 2.5, 3.5] and a[-1] == 3.5 and len(a) == 3
    assert list(a) == [1.5, 2.5, 3.5] and a[::2] == [1.5, 3.5]
    with pytest.raises(IndexError):
        a[3]
    with pytest.raises(ValueError):
        a[0:2] = [1.0]
    ia = m.Array("B", [1, 2])
    with pytest.raises(OverflowError):
        ia[0] = 256


def test_pipe(m):
    a, b = m.Pipe()
    a.send({"hello": [1, 2]})
    assert b.poll(1) and b.recv() == {"hello": [1, 2]}
    b.send("back")
    assert a.recv(timeout=5) == "back"
    with pytest.raises(TimeoutError):
        a.recv(timeout=0.05)
    a.send("last")
    a.close()
    assert b.recv() == "last"
    with pytest.raises(EOFError):
        b.recv()


def test_nested_references_and_tokens(m, server):
    inner = m.dict(k=1)
    outer = m.list([inner])
    again = outer[0]
    again["k"] = 2
    assert inner["k"] == 2 and again == inner
    with server.connect("tcp") as other:
        o = other.attach(outer.token)
        assert o[0]["k"] == 2
        with pytest.raises(mgr.NoObject):
            other.attach(outer.token.replace("list", "dict"))
        with pytest.raises(mgr.NoObject):
            other.attach(outer.token[:-4] + "0000")
        with pytest.raises(mgr.InvalidArgument):
            other.attach("list:nope")


def test_names_get_or_create(m, server):
    made = []

    def factory():
        made.append(1)
        return m.Queue()
    q1 = m.named("py-jobs", factory)
    with server.connect("ws") as other:
        q2 = other.named("py-jobs", other.Queue)
        q2.put("from ws")
    assert q1.get(timeout=5) == "from ws"
    assert m.names()["py-jobs"] == "queue" and made == [1]
    assert m.get("py-jobs") == q1
    m.del_name("py-jobs")
    with pytest.raises(KeyError):
        m.get("py-jobs")


def test_references_go_back_when_collected(m):
    before = m.info()["objects_total"]
    objs = [m.dict() for _ in range(50)]
    assert m.info()["objects_total"] == before + 50
    del objs
    import gc
    gc.collect()
    m.ping()  # carries the releases
    assert m.info()["objects_total"] == before


def test_values_not_shareable(m):
    d = m.dict()
    with pytest.raises(TypeError):
        d["x"] = object()
    with pytest.raises(TypeError):
        d["x"] = pickle


def test_pool_record_reference(m):
    """A C program's pool record (libmgr's mgr_pool_record) reaches Python
    as a proxy of its own, which can be named and fetched back."""
    from mgr import manager_pb2 as pb
    from mgr.pool import PoolRecordProxy
    rec = m._create(pb.OBJ_POOL, m.Queue(), m.Queue(), m.Lock(), m.dict(), 2)
    assert isinstance(rec, PoolRecordProxy)
    m.set_name("a pool", rec)
    again = m.get("a pool")
    assert isinstance(again, PoolRecordProxy)
    with pytest.raises(mgr.WrongType):
        m._create(pb.OBJ_POOL, m.dict(), m.Queue(), m.Lock(), m.dict(), 2)
