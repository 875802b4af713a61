"""A C program's process pool as the manager records it (libmgr's
mgr_pool_record): the pool's queues, lock and settings kept together,
shown as one pool by the dashboard and `managerctl objects`. A reference
to it can be held, named and passed on like any proxy; it has no
operations (the pool runs in the C program that started it)."""
from . import manager_pb2 as pb
from .proxy import BaseProxy, proxy_class


@proxy_class(pb.OBJ_POOL)
class PoolRecordProxy(BaseProxy):
    __slots__ = ()
