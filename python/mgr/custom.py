"""Objects of the types managerd modules register (mgr_module.h): their
methods run in the manager, one round trip each."""
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_CUSTOM)
class CustomProxy(BaseProxy):
    __slots__ = ()

    @property
    def type_name(self):
        """The module type's name ("account")."""
        return self._type_name

    def call(self, method, args=None, timeout=None):
        """The method's result; args is one value (a list or dict for
        several); a method that may wait waits up to timeout."""
        return self._wait_call(pb.OP_CALL, *(() if args is None
                                             else (args,)),
                               timeout=timeout, name=method)

    def __repr__(self):
        return "<%s proxy %s>" % (self._type_name, self._id)
