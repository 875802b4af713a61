"""list proxies: Python's ListProxy, every operation one round trip."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class
from .values import INT_MAX


def _bounds(s):
    start = 0 if s.start is None else s.start
    stop = INT_MAX if s.stop is None else s.stop
    return start, stop


@proxy_class(pb.OBJ_LIST)
class ListProxy(BaseProxy):
    """A shared list: l[i], l[a:b], l[i] = v, del l[i], len, iter, in and
    list's methods; negative indexes count from the end."""
    __slots__ = ()

    def __getitem__(self, i):
        if isinstance(i, slice):
            if i.step not in (None, 1):
                return self._call(pb.OP_LIST_COPY)[i]
            return self._call(pb.OP_LIST_SLICE, *_bounds(i))
        return self._call(pb.OP_LIST_GET, i)

    def __setitem__(self, i, value):
        self._call(pb.OP_LIST_SET, i, value)

    def __delitem__(self, i):
        self._call(pb.OP_LIST_DEL, i)

    def __len__(self):
        return self._call(pb.OP_LIST_LEN)

    def __iter__(self):
        # One copy, taken at once; a list over the manager's
        # --max-op-elements in slices instead (not at once: as Python's
        # ListProxy, which gets one item at a time, isn't either).
        try:
            return iter(self._call(pb.OP_LIST_COPY))
        except errors.TooBig:
            return self._slices()

    def _slices(self, size=10000):
        i = 0
        while True:
            try:
                page = self._call(pb.OP_LIST_SLICE, i, i + size)
            except errors.TooBig:
                if size <= 16:  # the limit's least
                    raise
                size //= 4  # under a lower limit than this
                continue
            if not page:
                return
            yield from page
            i += len(page)

    def __contains__(self, value):
        return self._call(pb.OP_LIST_COUNT, value) > 0

    def __iadd__(self, other):
        self.extend(other)
        return self

    def append(self, value):
        self._call(pb.OP_LIST_APPEND, value)

    def extend(self, values):
        self._call(pb.OP_LIST_EXTEND, list(values))

    def insert(self, i, value):
        self._call(pb.OP_LIST_INSERT, i, value)

    def pop(self, i=-1):
        return self._call(pb.OP_LIST_POP, i)

    def remove(self, value):
        self._call(pb.OP_LIST_REMOVE, value)

    def index(self, value):
        return self._call(pb.OP_LIST_INDEX, value)

    def count(self, value):
        return self._call(pb.OP_LIST_COUNT, value)

    def reverse(self):
        self._call(pb.OP_LIST_REVERSE)

    def sort(self, reverse=False):
        self._call(pb.OP_LIST_SORT, bool(reverse))

    def clear(self):
        self._call(pb.OP_LIST_CLEAR)

    def copy(self):
        """A plain list with the same items, now."""
        return self._call(pb.OP_LIST_COPY)

    def __repr__(self):
        return repr(self.copy())
