"""dict proxies: Python's DictProxy, every operation one round trip."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class

_MISSING = object()


@proxy_class(pb.OBJ_DICT)
class DictProxy(BaseProxy):
    """A shared dict: d[k], d[k] = v, del d[k], k in d, len(d), iter(d)
    and dict's methods. Keys are None, bool, int, float, str, bytes or
    tuples of them (1, 1.0 and True are three keys here)."""
    __slots__ = ()

    def __getitem__(self, key):
        return self._call(pb.OP_DICT_GET, key)

    def __setitem__(self, key, value):
        self._call(pb.OP_DICT_SET, key, value)

    def __delitem__(self, key):
        self._call(pb.OP_DICT_DEL, key)

    def __contains__(self, key):
        return self._call(pb.OP_DICT_CONTAINS, key)

    def __len__(self):
        return self._call(pb.OP_DICT_LEN)

    def __iter__(self):
        return iter(self.keys())

    def get(self, key, default=None):
        try:
            return self._call(pb.OP_DICT_GET, key)
        except errors.NoKey:
            return default

    def pop(self, key, default=_MISSING):
        try:
            return self._call(pb.OP_DICT_POP, key)
        except errors.NoKey:
            if default is _MISSING:
                raise
            return default

    def popitem(self):
        """The last item inserted, removed (KeyError when empty)."""
        return self._call(pb.OP_DICT_POPITEM)

    def setdefault(self, key, default=None):
        return self._call(pb.OP_DICT_SETDEFAULT, key, default)

    def update(self, other=(), **kw):
        items = dict(other)
        items.update(kw)
        self._call(pb.OP_DICT_UPDATE, items)

    def clear(self):
        self._call(pb.OP_DICT_CLEAR)

    def keys(self):
        return self._call(pb.OP_DICT_KEYS)

    def values(self):
        return self._call(pb.OP_DICT_VALUES)

    def items(self):
        return [tuple(kv) for kv in self._call(pb.OP_DICT_ITEMS)]

    def copy(self):
        """A plain dict with the same items, now."""
        return self._call(pb.OP_DICT_COPY)

    def incr(self, key, delta=1):
        """d[key] += delta in one step in the manager (a missing key counts
        from 0); the new value."""
        return self._call(pb.OP_DICT_INCR, key, delta)

    def __repr__(self):
        return repr(self.copy())
