"""Condition proxies: acquire/release/with act on the condition's lock;
wait waits in the manager and takes the lock back before it answers."""
import time

from . import errors
from . import manager_pb2 as pb
from .lock import AcquirerProxy
from .proxy import proxy_class


@proxy_class(pb.OBJ_CONDITION)
class ConditionProxy(AcquirerProxy):
    __slots__ = ()

    def wait(self, timeout=None):
        """False when timeout runs out (the lock is held again either
        way)."""
        try:
            self._wait_call(pb.OP_COND_WAIT, timeout=timeout)
            return True
        except errors.Timeout:
            return False

    def wait_for(self, predicate, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        result = predicate()
        while not result:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                break
            self.wait(left)
            result = predicate()
        return result

    def notify(self, n=1):
        self._call(pb.OP_COND_NOTIFY, n)

    def notify_all(self):
        self._call(pb.OP_COND_NOTIFY_ALL)

    def locked(self):
        return self._call(pb.OP_LOCKED)
