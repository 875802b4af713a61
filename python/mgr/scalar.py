"""Value proxies (Python's multiprocessing Value, a "scalar" in the
manager): a typecode (b B h H i I l L q Q f d) checked by the manager."""
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_SCALAR)
class ValueProxy(BaseProxy):
    __slots__ = ()

    @property
    def value(self):
        return self._call(pb.OP_SCALAR_GET)

    @value.setter
    def value(self, v):
        self._call(pb.OP_SCALAR_SET, v)

    def add(self, delta):
        """value += delta in one step in the manager; the new value."""
        return self._call(pb.OP_SCALAR_ADD, delta)

    def get_lock(self):
        """The value's own RLock (for read-modify-write across calls)."""
        return self._call(pb.OP_GET_LOCK)

    def __repr__(self):
        return "Value(%r)" % self.value
