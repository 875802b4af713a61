"""Namespace proxies: Python's NamespaceProxy (attributes in the
manager)."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_NAMESPACE)
class NamespaceProxy(BaseProxy):
    """A shared namespace: ns.x, ns.x = v, del ns.x (a missing attribute
    is an AttributeError)."""
    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._call(pb.OP_NS_GET, name)
        except errors.NoKey as e:
            raise AttributeError(e.detail) from None

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError("attributes starting with '_' are the "
                                 "proxy's, not shared")
        self._call(pb.OP_NS_SET, name, value)

    def __delattr__(self, name):
        try:
            self._call(pb.OP_NS_DEL, name)
        except errors.NoKey as e:
            raise AttributeError(e.detail) from None

    def __repr__(self):
        items = self._call(pb.OP_NS_ITEMS)
        return "Namespace(%s)" % ", ".join(
            "%s=%r" % kv for kv in items.items())
