"""Barrier proxies; wait waits in the manager. A wait that times out
breaks the barrier, as Python's does: threading.BrokenBarrierError."""
from . import errors
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_BARRIER)
class BarrierProxy(BaseProxy):
    __slots__ = ()

    def wait(self, timeout=None):
        """This party's index (0 .. parties-1); None: the barrier's own
        timeout."""
        try:
            return self._wait_call(pb.OP_BARRIER_WAIT, timeout=timeout)
        except errors.Timeout as e:
            raise errors.error(errors.EBROKEN, e.detail) from None

    def abort(self):
        self._call(pb.OP_BARRIER_ABORT)

    def reset(self):
        self._call(pb.OP_BARRIER_RESET)

    @property
    def parties(self):
        return self._call(pb.OP_BARRIER_PARTIES)

    @property
    def n_waiting(self):
        return self._call(pb.OP_BARRIER_N_WAITING)

    @property
    def broken(self):
        return self._call(pb.OP_BARRIER_BROKEN)
