"""A connected manager: Python's SyncManager calls (dict(), Queue(),
Lock(), ...) that create objects in managerd, names (how processes on
other hosts find them), tokens, and the manager's own figures."""
import os

from . import errors
from . import manager_pb2 as pb
from .client import Client, DEFAULT_LEASE
from . import proxy
from .proxy import BaseProxy, type_name
from .queue import FIFO, LIFO, PRIORITY
from .server import LocalServer


def _fill(add, items, part=4096):
    """Puts items into a new object (no one else has it yet) in parts:
    one request may carry only the manager's --max-op-elements values
    (a part refused as too big is applied nowhere: halved and sent
    again)."""
    i = 0
    while i < len(items):
        try:
            add(items[i:i + part])
        except errors.TooBig:
            if part == 1:
                raise
            part //= 2
            continue
        i += part


_TLS_ENV = {"ca_file": "MGR_TLS_CA_FILE", "cert_file": "MGR_TLS_CERT_FILE",
            "key_file": "MGR_TLS_KEY_FILE",
            "server_name": "MGR_TLS_SERVER_NAME"}


def _env_seconds(name, default):
    v = os.environ.get(name, "")
    try:
        return int(v) / 1000.0 if v and int(v) > 0 else default
    except ValueError:
        return default


def connect(url=None, authkey=None, *, name=None, tls_ca_file=None,
            tls_cert_file=None, tls_key_file=None, tls_server_name=None,
            lease=None, reconnect=None, connect_timeout=10.0,
            stale_reads=None):
    """A Manager connected to the managerd at url (default $MGR_URL) with
    authkey (str or bytes; default $MGR_AUTHKEY). TLS files and the
    server name default to $MGR_TLS_CA_FILE, $MGR_TLS_CERT_FILE,
    $MGR_TLS_KEY_FILE and $MGR_TLS_SERVER_NAME, as libmgr's. lease
    (seconds, default $MGR_LEASE ms or 15): the manager ends the session
    when it has not heard from us for that long (0: no lease); reconnect
    (seconds, default $MGR_RECONNECT ms or 0): a lost connection is dialled
    again that long, the session resumed and the calls in flight retried
    exactly once. name: how the manager's logs and dashboard call this
    client (default $MGR_CLIENT_NAME, else the program's name); the
    manager sees "NAME pid N", as libmgr's. stale_reads (default
    $MGR_STALE_READS=1): a read-only session that a cluster's follower
    serves from its own copy of the state, which may lag the leader's;
    calls that change anything or wait raise BadState, and its proxies
    hold no reference (libmgr's mgr_opts.stale_reads)."""
    url = url or os.environ.get("MGR_URL")
    if not url:
        raise errors.error(errors.EINVAL, "no URL (give url= or set "
                           "MGR_URL)")
    if authkey is None:
        authkey = os.environ.get("MGR_AUTHKEY", "")
    given = {"ca_file": tls_ca_file, "cert_file": tls_cert_file,
             "key_file": tls_key_file, "server_name": tls_server_name}
    if any(given.values()) and not url.startswith(("tls+tcp://",
                                                    "wss://")):
        raise errors.error(errors.EINVAL, "TLS options given for %s: TLS "
                           "needs a tls+tcp:// or wss:// URL" % url)
    tls = {}
    if url.startswith(("tls+tcp://", "wss://")):
        tls = {k: v or os.environ.get(_TLS_ENV[k]) or None
               for k, v in given.items()}
    if lease is None:
        lease = _env_seconds("MGR_LEASE", DEFAULT_LEASE)
    if reconnect is None:
        reconnect = _env_seconds("MGR_RECONNECT", 0)
    if stale_reads is None:
        stale_reads = os.environ.get("MGR_STALE_READS") == "1"
    if name is None:
        import sys
        name = os.environ.get("MGR_CLIENT_NAME") or (
            os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0]
            and sys.argv[0] != "-c" else "python")
    m = Manager(Client(url, authkey, name=name, tls=tls, lease=lease,
                       reconnect=reconnect, connect_timeout=connect_timeout,
                       stale_reads=stale_reads))
    if not stale_reads:  # proxies that travel here write through it
        _by_url.setdefault(url, m)
    return m


def start(managerd=None, args=(), **connect_kw):
    """A managerd of this process's own (as Python's Manager() starts a
    server process), connected: on an ipc socket in a private directory,
    with a random key, ended when the Manager is closed or this process
    ends. Processes this one starts with multiprocessing reach it: forked
    ones through the proxies they inherit, spawned ones through the
    proxies they are given (its key becomes this process's
    multiprocessing authkey, which spawned children inherit). args:
    more managerd options ("--max-memory", "1g")."""
    import multiprocessing
    server = LocalServer(managerd, args)
    try:
        m = connect(server.url, server.key, **connect_kw)
    except BaseException:
        server.stop()
        raise
    m._server = server
    multiprocessing.current_process().authkey = server.key
    return m


_by_url = {}  # the first connection to each URL: unpickled proxies' own


def default_manager(url):
    """This process's connection to url (a new one, with the environment's
    authkey and TLS files, if there is none or it was closed)."""
    m = _by_url.get(url)
    if m is None or m._client._dead is not None:
        _by_url.pop(url, None)
        key = os.environ.get("MGR_AUTHKEY")
        if not key:  # a spawned child of start()'s process
            import multiprocessing
            key = bytes(multiprocessing.current_process().authkey)
        m = connect(url, key)
    return m


proxy.connection_for = default_manager


class Manager:
    """What connect() returns; a context manager (leaving it says goodbye:
    the manager drops what this session holds)."""

    def __init__(self, client):
        self._client = client
        self._server = None  # start()'s managerd

    @property
    def session(self):
        """This client's session number in the manager."""
        return self._client.session

    @property
    def url(self):
        return self._client.url

    def _create(self, objtype, *args, type_name_=""):
        o = self._client.call(pb.OP_CREATE, args=args, type=objtype,
                              name=type_name_)
        if not isinstance(o, BaseProxy) or o._objtype != objtype:
            raise errors.error(errors.EPROTO, "create answered no %s"
                               % type_name(objtype))
        return o

    # ---- SyncManager's types -------------------------------------------

    def dict(self, *args, **kw):
        """A shared dict, filled as dict(*args, **kw) would be."""
        d = self._create(pb.OBJ_DICT)
        _fill(d.update, list(dict(*args, **kw).items()))
        return d

    def list(self, sequence=()):
        lst = self._create(pb.OBJ_LIST)
        _fill(lst.extend, list(sequence))
        return lst

    def Namespace(self, **attrs):
        ns = self._create(pb.OBJ_NAMESPACE)
        for k, v in attrs.items():
            setattr(ns, k, v)
        return ns

    def Queue(self, maxsize=0, *, ack=False, order=FIFO):
        """A queue (every queue is joinable: task_done and join). ack:
        each item got stays in progress until this session's task_done,
        and goes back to the queue if the session ends first."""
        if order == FIFO:
            return self._create(pb.OBJ_QUEUE, maxsize, bool(ack))
        return self._create(pb.OBJ_QUEUE, maxsize, bool(ack), order)

    JoinableQueue = Queue

    def LifoQueue(self, maxsize=0, *, ack=False):
        return self.Queue(maxsize, ack=ack, order=LIFO)

    def PriorityQueue(self, maxsize=0, *, ack=False):
        """get takes the smallest item in Python's ordering (a tuple
        (priority, data) as Python's PriorityQueue)."""
        return self.Queue(maxsize, ack=ack, order=PRIORITY)

    def Lock(self):
        return self._create(pb.OBJ_LOCK)

    def RLock(self):
        return self._create(pb.OBJ_RLOCK)

    def Semaphore(self, value=1):
        return self._create(pb.OBJ_SEMAPHORE, value)

    def BoundedSemaphore(self, value=1):
        return self._create(pb.OBJ_BOUNDED_SEMAPHORE, value)

    def Condition(self, lock=None):
        """A condition over lock (a Lock or RLock proxy; None: a new
        RLock)."""
        if lock is None:
            return self._create(pb.OBJ_CONDITION)
        return self._create(pb.OBJ_CONDITION, lock)

    def Event(self):
        return self._create(pb.OBJ_EVENT)

    def Barrier(self, parties, action=None, timeout=None):
        """action is not supported: it would have to run in the manager
        (use a module's method, or the party whose wait returns 0)."""
        if action is not None:
            raise errors.error(errors.EINVAL, "a Barrier action would run "
                               "in the manager: not supported (let the "
                               "party whose wait returns 0 do it)")
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        return self._create(pb.OBJ_BARRIER, parties, ms)

    def Value(self, typecode, value=0):
        return self._create(pb.OBJ_SCALAR, typecode, value)

    def Array(self, typecode, size_or_initializer):
        init = size_or_initializer
        if isinstance(init, int):
            init = [0.0 if typecode in "fd" else 0] * init
        return self._create(pb.OBJ_ARRAY, typecode, list(init))

    def Pipe(self, duplex=True):
        """Two connected ends (Python's multiprocessing.Pipe)."""
        a = self._create(pb.OBJ_CONN, bool(duplex))
        b = self._create(pb.OBJ_CONN, a)
        return a, b

    def custom(self, type_name_, init=None):
        """An object of a type a managerd module registered."""
        args = () if init is None else (init,)
        return self._create(pb.OBJ_CUSTOM, *args, type_name_=type_name_)

    # ---- names and tokens ----------------------------------------------

    def set_name(self, name, obj):
        """Binds name to obj (replacing any binding); the name keeps the
        object alive until it is deleted."""
        self._client.call(pb.OP_NAME_SET, obj._id, obj._secret, name=name)

    def get(self, name):
        """The object bound to name (KeyError if none)."""
        return self._client.call(pb.OP_NAME_GET, name=name)

    def del_name(self, name):
        self._client.call(pb.OP_NAME_DEL, name=name)

    def names(self):
        """{name: type name} of every name."""
        return self._client.call(pb.OP_NAME_LIST)

    def named(self, name, factory, *args, **kw):
        """The object bound to name, made by factory(*args, **kw) and
        bound first if the name is free (one of several racing processes
        wins; all get the same object): how processes find a shared
        queue, as Python's register('get_queue') does."""
        try:
            return self.get(name)
        except errors.NoKey:
            pass
        candidate = factory(*args, **kw)
        bound = self._client.call(pb.OP_NAME_SETDEFAULT, candidate._id,
                                  candidate._secret, name=name)
        if bound == candidate:
            bound.drop()  # the same object: one proxy is enough
            return candidate
        candidate.drop()
        return bound

    def attach(self, token):
        """A proxy for the object a token names (obj.token, or a C
        program's mgr_obj_token)."""
        kind, _, rest = token.partition(":")
        oid, _, secret = rest.partition(":")
        if not oid.isdigit() or len(secret) != 16:
            raise errors.error(errors.EINVAL, "malformed token '%s' "
                               "(TYPE:ID:SECRET)" % token)
        try:
            secret = int(secret, 16)
        except ValueError:
            raise errors.error(errors.EINVAL, "malformed token '%s' "
                               "(TYPE:ID:SECRET)" % token) from None
        o = self._client.call(pb.OP_ATTACH, int(oid), secret)
        if type_name(o._objtype) != kind:
            o.drop()
            raise errors.error(errors.ENOOBJ, "token '%s' names a %s, but "
                               "object %s is a %s"
                               % (token, kind, oid, type_name(o._objtype)))
        return o

    # ---- the manager ---------------------------------------------------

    def info(self):
        """The manager's figures (mgr_info's dict)."""
        return self._client.call(pb.OP_INFO)

    def sessions(self):
        return self._client.call(pb.OP_SESSIONS)

    def end_session(self, session):
        """Ends another session (an id of sessions()), as its lease
        running out would: what it held is released, its client told."""
        self._client.call(pb.OP_SESSION_END, args=(int(session),))

    def cluster_add(self, node, address):
        """Asks managerd --cluster's leader to add member node at address
        (HOST:PORT; its managerd started with --join): returns once asked,
        info()["cluster_change"] says how it went (mgr_cluster_add)."""
        self._client.call(pb.OP_CLUSTER_ADD, args=(int(node), str(address)))

    def cluster_remove(self, node):
        """Asks managerd --cluster's leader to remove member node
        (mgr_cluster_remove)."""
        self._client.call(pb.OP_CLUSTER_REMOVE, args=(int(node),))

    def ping(self):
        self._client.call(pb.OP_PING)

    def shutdown(self):
        """Stops managerd (after its reply)."""
        self._client.call(pb.OP_SHUTDOWN)

    def close(self):
        """Says goodbye (what this session holds is dropped); a managerd
        start() made is stopped too."""
        self._client.close()
        if _by_url.get(self.url) is self:
            del _by_url[self.url]
        if self._server is not None and self._client._pid == os.getpid():
            self._server.stop()
            self._server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
