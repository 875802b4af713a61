"""Queue proxies: Python's Queue, JoinableQueue, LifoQueue and
PriorityQueue. A get or put that must wait waits in the manager, never
here: the request carries the timeout."""
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class
from .values import INT_MAX

FIFO, LIFO, PRIORITY = 0, 1, 2  # mgr_queue_opts.order


@proxy_class(pb.OBJ_QUEUE)
class QueueProxy(BaseProxy):
    """A shared queue. get and put raise queue.Empty and queue.Full (also
    when their timeout runs out), as Python's do."""
    __slots__ = ()

    def put(self, item, block=True, timeout=None):
        self._wait_call(pb.OP_QUEUE_PUT, item, block=block,
                        timeout=timeout)

    def get(self, block=True, timeout=None):
        return self._wait_call(pb.OP_QUEUE_GET, block=block,
                               timeout=timeout)

    def put_nowait(self, item):
        self.put(item, False)

    def get_nowait(self):
        return self.get(False)

    def qsize(self):
        return self._call(pb.OP_QUEUE_QSIZE)

    def empty(self):
        return self._call(pb.OP_QUEUE_EMPTY)

    def full(self):
        return self._call(pb.OP_QUEUE_FULL)

    def task_done(self):
        self._call(pb.OP_QUEUE_TASK_DONE)

    def join(self, timeout=None):
        """Waits until every item put was task_done (TimeoutError when
        timeout runs out first)."""
        self._wait_call(pb.OP_QUEUE_JOIN, timeout=timeout)

    def peek(self, start=0, stop=None):
        """The waiting items [start:stop] in the order get takes them,
        left in the queue."""
        return self._call(pb.OP_QUEUE_PEEK, start,
                          INT_MAX if stop is None else stop)

    def purge(self):
        """Drops every waiting item; how many there were."""
        return self._call(pb.OP_QUEUE_PURGE)

    def remove(self, item):
        """Removes one waiting item equal to item; whether there was one."""
        return self._call(pb.OP_QUEUE_REMOVE, item)

    def __contains__(self, item):
        return self._call(pb.OP_QUEUE_CONTAINS, item)
