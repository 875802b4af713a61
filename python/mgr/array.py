"""Array proxies (Python's multiprocessing Array): a typecode and a fixed
length; negative indexes count from the end, slices are clamped."""
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class
from .values import INT_MAX


@proxy_class(pb.OBJ_ARRAY)
class ArrayProxy(BaseProxy):
    __slots__ = ()

    def __len__(self):
        return self._call(pb.OP_ARRAY_LEN)

    def __getitem__(self, i):
        if isinstance(i, slice):
            if i.step not in (None, 1):
                return self.tolist()[i]
            return self._call(pb.OP_ARRAY_SLICE,
                              0 if i.start is None else i.start,
                              INT_MAX if i.stop is None else i.stop)
        return self._call(pb.OP_ARRAY_GET, i)

    def __setitem__(self, i, v):
        if isinstance(i, slice):
            idx = range(*i.indices(len(self)))
            v = list(v)
            if len(v) != len(idx):
                raise ValueError("can only assign %d items to this slice"
                                 % len(idx))
            for k, x in zip(idx, v):
                self._call(pb.OP_ARRAY_SET, k, x)
            return
        self._call(pb.OP_ARRAY_SET, i, v)

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._call(pb.OP_ARRAY_SLICE, 0, INT_MAX)

    def get_lock(self):
        """The array's own RLock."""
        return self._call(pb.OP_GET_LOCK)

    def __repr__(self):
        return "Array(%r)" % self.tolist()
