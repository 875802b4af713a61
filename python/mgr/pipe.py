"""Pipe ends (Python's multiprocessing Connection): each end is an object
in the manager, so it travels to other processes by token; recv and poll
wait in the manager."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_CONN)
class ConnectionProxy(BaseProxy):
    __slots__ = ()

    def send(self, obj):
        self._call(pb.OP_CONN_SEND, obj)

    def recv(self, timeout=None):
        """The next value; EOFError once the other end is closed and
        everything it sent was received; TimeoutError when timeout runs
        out."""
        try:
            return self._wait_call(pb.OP_CONN_RECV, timeout=timeout)
        except errors.Closed as e:
            raise EOFError(e.detail) from None

    def poll(self, timeout=0.0):
        """Whether recv would not wait (waiting up to timeout)."""
        return self._wait_call(pb.OP_CONN_POLL, timeout=timeout)

    def close(self):
        self._call(pb.OP_CONN_CLOSE)
