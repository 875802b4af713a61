"""Lock, RLock, Semaphore and BoundedSemaphore proxies (and what a
Condition shares with them: acquire, release, with). An acquire that must
wait waits in the manager; an RLock belongs to the calling thread (every
request carries the thread's id). A lock held by a session is released
when the session ends."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


class AcquirerProxy(BaseProxy):
    __slots__ = ()

    def acquire(self, blocking=True, timeout=-1):
        """True once acquired; False when not blocking, or when timeout
        (seconds; -1 forever) runs out."""
        try:
            self._wait_call(pb.OP_ACQUIRE, block=blocking,
                            timeout=None if timeout is None or timeout < 0
                            else timeout)
            return True
        except errors.Timeout:
            return False

    def release(self):
        """RuntimeError (BadState) when not held."""
        self._call(pb.OP_RELEASE_LOCK)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


class _Mutex(AcquirerProxy):
    __slots__ = ()

    def locked(self):
        return self._call(pb.OP_LOCKED)

    def acquire_fence(self, timeout=None):
        """Acquires and returns the hold's fencing token: greater than any
        given for this lock before."""
        return self._wait_call(pb.OP_ACQUIRE, timeout=timeout)

    def fence(self):
        """The current hold's fencing token (0: free)."""
        return self._call(pb.OP_LOCK_FENCE)


@proxy_class(pb.OBJ_LOCK)
class LockProxy(_Mutex):
    __slots__ = ()


@proxy_class(pb.OBJ_RLOCK)
class RLockProxy(_Mutex):
    __slots__ = ()


@proxy_class(pb.OBJ_SEMAPHORE)
class SemaphoreProxy(AcquirerProxy):
    __slots__ = ()

    def locked(self):
        """Whether an acquire would wait now."""
        return self._call(pb.OP_LOCKED)


@proxy_class(pb.OBJ_BOUNDED_SEMAPHORE)
class BoundedSemaphoreProxy(SemaphoreProxy):
    """A release over the initial value is a ValueError (BadState)."""
    __slots__ = ()
