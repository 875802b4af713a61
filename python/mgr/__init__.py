"""A Python client for managerd, the C counterpart of Python's
multiprocessing managers: the same objects (dict, list, Namespace, Queue,
Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier,
Value, Array, Pipe) shared with C programs through libmgr and with other
Python processes, on this host or others.

    import mgr
    with mgr.connect("ipc:///run/user/1000/mgr.sock", authkey=key) as m:
        d = m.named("config", m.dict)
        d["workers"] = 4
        q = m.named("jobs", m.Queue)
        q.put(("resize", "a.png"))
"""
from . import dict as _dict, list as _list, namespace as _namespace
from . import queue as _queue, lock as _lock, condition as _condition
from . import event as _event, barrier as _barrier, scalar as _scalar
from . import array as _array, pipe as _pipe, custom as _custom
from . import pool as _pool
from .errors import (MgrError, InvalidArgument, OutOfMemory,
                     ConnectionLost, AuthenticationError, Timeout, Empty,
                     Full, NoKey, BadIndex, NotInList, WrongType, NoObject,
                     BadState, BrokenBarrier, OutOfRange, TooBig,
                     ProtocolError, Closed, InternalError, Aborted,
                     SessionEnded, Canceled, strerror)
from .manager import Manager, connect, start
from .proxy import BaseProxy

__version__ = "0.2.0"
