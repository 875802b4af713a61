"""managerd's error codes (MGR_E* of mgr.h, generated into _codes.py) as
exceptions. Each code has its class, which also derives from the builtin a
Python program expects there: a missing key is a KeyError, an empty queue
queue.Empty, a broken barrier threading.BrokenBarrierError, a lost
connection ConnectionError. Every one is an MgrError with .code (the
number), .name ("EKEY") and .detail (the manager's or the client's
precise message)."""
import multiprocessing
import queue
import threading

from ._codes import CODES

_NUMBERS = {name: number for number, (name, _) in enumerate(CODES)}
_TEXTS = [text for _, text in CODES]
globals().update(_NUMBERS)  # EINVAL, EKEY, ... as module constants


class MgrError(Exception):
    """An MGR_E* error: code, name, detail."""
    code = _NUMBERS["EINTERNAL"]

    @property
    def name(self):
        return CODES[self.code][0] if 0 <= self.code < len(CODES) \
            else "E%d" % self.code

    @property
    def detail(self):
        return self.args[0] if self.args else ""


def _cls(pyname, name, *bases):
    cls = type(pyname, (MgrError,) + bases,
               {"code": _NUMBERS["E" + name],
                "__doc__": "MGR_E%s: %s" % (name, _TEXTS[_NUMBERS["E" +
                                                               name]]),
                "__module__": "mgr"})
    return cls


InvalidArgument = _cls("InvalidArgument", "INVAL", ValueError)
OutOfMemory = _cls("OutOfMemory", "NOMEM", MemoryError)
ConnectionLost = _cls("ConnectionLost", "CONN", ConnectionError)
AuthenticationError = _cls("AuthenticationError", "AUTH", multiprocessing.AuthenticationError)
Timeout = _cls("Timeout", "TIMEDOUT", TimeoutError)
Empty = _cls("Empty", "EMPTY", queue.Empty)
Full = _cls("Full", "FULL", queue.Full)
NoKey = _cls("NoKey", "KEY", KeyError)
BadIndex = _cls("BadIndex", "INDEX", IndexError)
NotInList = _cls("NotInList", "VALUE", ValueError)
WrongType = _cls("WrongType", "TYPE", TypeError)
NoObject = _cls("NoObject", "NOOBJ", ReferenceError)
BadState = _cls("BadState", "STATE", RuntimeError, ValueError)
BrokenBarrier = _cls("BrokenBarrier", "BROKEN", threading.BrokenBarrierError)
OutOfRange = _cls("OutOfRange", "RANGE", OverflowError)
TooBig = _cls("TooBig", "TOOBIG")
ProtocolError = _cls("ProtocolError", "PROTO")
Closed = _cls("Closed", "CLOSED", ConnectionError)
InternalError = _cls("InternalError", "INTERNAL")
Aborted = _cls("Aborted", "ABORTED")
SessionEnded = _cls("SessionEnded", "SESSION", ConnectionError)
Canceled = _cls("Canceled", "CANCELED")

_BY_CODE = {c.code: c for c in (
    InvalidArgument, OutOfMemory, ConnectionLost, AuthenticationError,
    Timeout, Empty, Full, NoKey, BadIndex, NotInList, WrongType, NoObject,
    BadState, BrokenBarrier, OutOfRange, TooBig, ProtocolError, Closed,
    InternalError, Aborted, SessionEnded, Canceled)}


class _Unknown(MgrError):
    pass


def error(code, detail=""):
    """The exception for code with detail (the message)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        e = _Unknown(detail or "unknown error code %d" % code)
        e.code = code
        return e
    return cls(detail or _TEXTS[code])


def strerror(code):
    """mgr_strerror's text: "MGR_EKEY: no such key, attribute or name"."""
    if 0 <= code < len(CODES):
        return "MGR_%s: %s" % CODES[code]
    return "unknown error %d" % code
