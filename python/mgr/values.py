"""Python values to and from the schema's Value: None, bool, int (64-bit),
float, str, bytes, list, tuple, dict, and shared objects (their proxies
travel as references)."""
from . import errors
from . import manager_pb2 as pb

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


def encode(v, out):
    """Fills out (a pb.Value) with v. TypeError for a value that cannot be
    shared, OverflowError for an int over 64 bits."""
    if v is None:
        out.none = True
    elif v is True or v is False:
        out.b = v
    elif isinstance(v, int):
        if not INT_MIN <= v <= INT_MAX:
            raise errors.error(errors.ERANGE, "int %d does not fit in 64 "
                               "bits" % v)
        out.i = v
    elif isinstance(v, float):
        out.f = v
    elif isinstance(v, str):
        out.s = v
    elif isinstance(v, (bytes, bytearray, memoryview)):
        out.y = bytes(v)
    elif isinstance(v, (list, tuple)):
        seq = out.list if isinstance(v, list) else out.tuple
        seq.SetInParent()
        for x in v:
            encode(x, seq.items.add())
    elif isinstance(v, dict):
        out.dict.SetInParent()
        for k, x in v.items():
            encode(k, out.dict.keys.add())
            encode(x, out.dict.values.add())
    elif hasattr(v, "_mgr_ref"):
        v._mgr_ref(out.ref)
    else:
        raise errors.error(errors.ETYPE, "a %s cannot be shared (None, "
                           "bool, int, float, str, bytes, list, tuple, "
                           "dict or a shared object)" % type(v).__name__)


def decode(v, client):
    """The Python value of v; a reference becomes a proxy of client that
    owns the reference the manager gave this session with it."""
    kind = v.WhichOneof("kind")
    if kind is None or kind == "none":
        return None
    if kind in ("b", "i", "f", "s", "y"):
        return getattr(v, kind)
    if kind == "list":
        return [decode(x, client) for x in v.list.items]
    if kind == "tuple":
        return tuple(decode(x, client) for x in v.tuple.items)
    if kind == "dict":
        d = v.dict
        if len(d.keys) != len(d.values):
            raise errors.error(errors.EPROTO, "a dict with %d keys and %d "
                               "values" % (len(d.keys), len(d.values)))
        return {decode(k, client): decode(x, client)
                for k, x in zip(d.keys, d.values)}
    if kind == "ref":
        return client.proxy_for(v.ref)
    raise errors.error(errors.EPROTO, "a value of unknown kind %r" % kind)
