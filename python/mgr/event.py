"""Event proxies; wait waits in the manager."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_EVENT)
class EventProxy(BaseProxy):
    __slots__ = ()

    def set(self):
        self._call(pb.OP_EVENT_SET)

    def clear(self):
        self._call(pb.OP_EVENT_CLEAR)

    def is_set(self):
        return self._call(pb.OP_EVENT_IS_SET)

    def wait(self, timeout=None):
        """True once set; False when timeout runs out first."""
        try:
            self._wait_call(pb.OP_EVENT_WAIT, timeout=timeout)
            return True
        except errors.Timeout:
            return False
