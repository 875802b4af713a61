"""What every proxy shares: the object's id, type and secret (its
capability), the reference this proxy holds for its session (given back
when the proxy is collected), tokens, and the table from the wire's object
types to the proxy classes (each type's class is in its own module)."""
import math
import weakref

from . import errors
from . import manager_pb2 as pb

_CLASSES = {}


def timeout_ms(timeout):
    """Python's timeout (seconds; None: forever) as the wire's ms."""
    if timeout is None:
        return -1
    if timeout <= 0:
        return 0
    return int(math.ceil(timeout * 1000))


def type_name(t):
    """The wire's ObjType as a token's word: "dict", "bounded_semaphore"."""
    try:
        return pb.ObjType.Name(t)[4:].lower()
    except ValueError:
        return "type%d" % t


def proxy_class(objtype):
    """Class decorator: the proxy class of wire type objtype."""
    def register(cls):
        cls._objtype = objtype
        _CLASSES[objtype] = cls
        return cls
    return register


class BaseProxy:
    """A shared object in the manager. Holds one reference for its
    client's session until it is collected (or drop() is called)."""
    _objtype = pb.OBJ_NONE
    __slots__ = ("_client", "_id", "_secret", "_type_name", "_finalizer",
                 "__weakref__")

    def __init__(self, client, oid, secret, type_name_=""):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_id", oid)
        object.__setattr__(self, "_secret", secret)
        object.__setattr__(self, "_type_name", type_name_)
        object.__setattr__(self, "_finalizer", weakref.finalize(
            self, client.release_later, oid, secret))

    def _call(self, op, *args, timeout=0, name=""):
        return self._client.call(op, self._id, self._secret, args,
                                 timeout, name=name)

    def _wait_call(self, op, *args, block=True, timeout=None, name=""):
        """A call that may wait in the manager (never here): block and
        timeout as Python's queue and lock calls take them."""
        ms = timeout_ms(timeout) if block else 0
        return self._call(op, *args, timeout=ms, name=name)

    def _mgr_ref(self, out):
        out.id, out.type, out.secret = self._id, self._objtype, self._secret
        if self._type_name:
            out.type_name = self._type_name

    @property
    def token(self):
        """The token naming this object ("dict:17:9f2c4e8a01b7d356"), as
        mgr_obj_token writes it: another process (C or Python) attaches
        it with the authkey."""
        return "%s:%d:%016x" % (type_name(self._objtype), self._id,
                                self._secret)

    @property
    def id(self):
        return self._id

    def drop(self):
        """Gives this proxy's reference back now (else when collected);
        the proxy must not be used after."""
        if self._finalizer.detach() is not None:
            self._client.call(pb.OP_RELEASE, self._id, self._secret)

    def __reduce__(self):
        # Pickled (to a spawned process, or through a queue of Python's):
        # the URL and the token; the authkey never travels with them.
        return (_rebuild, (self._client.url, self.token))

    def __eq__(self, other):
        return isinstance(other, BaseProxy) and other._id == self._id

    def __hash__(self):
        return hash(self._id)

    def __repr__(self):
        return "<%s proxy %s>" % (type_name(self._objtype), self._id)


def proxy_for(client, ref):
    """A proxy owning the reference ref the manager gave the session."""
    cls = _CLASSES.get(ref.type)
    if cls is None:
        client.release_later(ref.id, ref.secret)
        raise errors.error(errors.EPROTO, "a reference to an object of "
                           "unknown type %d" % ref.type)
    return cls(client, ref.id, ref.secret, ref.type_name)


# This process's connection to a URL, for unpickled proxies: set by
# manager.py (which makes connections; this module does not).
connection_for = None


def _rebuild(url, token):
    """An unpickled proxy: attached through this process's connection to
    url (made with $MGR_AUTHKEY the first time)."""
    return connection_for(url).attach(token)
