"""One connection to managerd and its session: the handshake, requests
and their replies, heartbeats, and (when asked) reconnecting within the
lease with every call in flight retried exactly once.

Threads share a client. A caller sends its request, then waits for its
reply; whichever waiting thread finds no one reading reads frames and
hands each reply to its caller, so no thread of ours runs while nobody
calls except the heartbeat, which keeps the lease and finds a manager
that stopped answering."""
import collections
import hashlib
import hmac
import os
import struct
import threading
import time

from . import errors, transport
from . import manager_pb2 as pb
from .proxy import proxy_for
from .values import decode, encode

PROTOCOL_VERSION = 1
_U64 = (1 << 64) - 1
# Whether this process was forked from one that may have clients: checked
# before each call, so that a child makes a connection of its own
# (os.getpid() for each call would be a system call).
_forks = []
os.register_at_fork(after_in_child=lambda: _forks.append(1))
DEFAULT_LEASE = 15.0
_HEADER = struct.Struct("!I")
# A cluster's members (several URLs): how long one is given to answer a
# dial, and how many times one dial follows a follower to the leader (an
# election may send a client round in a circle for a moment), as libmgr.
_MEMBER_DIAL = 1.5
_MAX_REDIRECTS = 4


class _Redirect(Exception):
    """A cluster's member that does not lead, said by a key holder:
    where the leader serves ("" while none is known)."""

    def __init__(self, leader, detail):
        super().__init__(detail)
        self.leader = leader
        self.detail = detail


class _Stream:
    """A transport and what was read from it but not yet framed."""

    def __init__(self, t, max_message):
        self.t = t
        self.rx = bytearray()
        self.max_message = max_message

    def read_frame(self):
        while True:
            if len(self.rx) >= 4:
                n = _HEADER.unpack_from(self.rx)[0]
                if n > self.max_message:
                    raise errors.error(errors.EPROTO, "a frame of %d bytes "
                                       "from the manager, over the limit "
                                       "(%d)" % (n, self.max_message))
                if len(self.rx) >= 4 + n:
                    f = bytes(self.rx[4:4 + n])
                    del self.rx[:4 + n]
                    return f
            chunk = self.t.recv()
            if not chunk:
                raise errors.error(errors.ECONN, "the manager closed the "
                                   "connection")
            self.rx += chunk

    def send_frame(self, msg):
        self.t.send(_HEADER.pack(len(msg)) + msg)


class Client:
    """A session on managerd. url: ipc:///path, tcp://host:port,
    tls+tcp://host:port, ws://host:port/path or wss://..., or a cluster's
    members' URLs comma-separated (dialled in turn, a follower's redirect
    to the leader followed, a cut leader left after half the lease, as
    libmgr's); authkey: bytes
    or str; tls: dict of ca_file, cert_file, key_file, server_name;
    lease: seconds the manager keeps the session without hearing from us
    (0: none, the session ends with the connection); reconnect: seconds
    to keep dialling after a lost connection (0: fail the calls);
    stale_reads: a read-only session any member of a cluster serves from
    its own copy of the state (libmgr's mgr_opts.stale_reads)."""

    def __init__(self, url, authkey, *, name="", tls=None,
                 lease=DEFAULT_LEASE, reconnect=0, connect_timeout=10.0,
                 stale_reads=False):
        if isinstance(authkey, str):
            authkey = authkey.encode()
        if not authkey:
            raise errors.error(errors.EINVAL, "no authkey (give authkey= "
                               "or set MGR_AUTHKEY)")
        if tls and not url.startswith(("tls+tcp://", "wss://")):
            raise errors.error(errors.EINVAL, "TLS options given for %s: "
                               "TLS needs a tls+tcp:// or wss:// URL" % url)
        self.url = url  # as given: the manager's identity (pickling)
        self._urls = [u for u in url.split(",") if u] or [url]
        self._at = self._urls[0]  # the member dialled last
        self._key = bytes(authkey)
        self._name = name
        self._tls = dict(tls or {})
        self._lease_asked = lease
        self._reconnect = reconnect
        self._stale_reads = bool(stale_reads)
        self._connect_timeout = connect_timeout
        self._send_lock = threading.Lock()  # one frame at a time, in order
        self._cv = threading.Condition(threading.Lock())  # the rest below
        self._st = None         # the connection's _Stream
        self._gen = 0           # which connection: a loss is handled once
        self._reading = False
        self._waiting = {}      # id -> (seq, frame) of calls in flight
        self._replies = {}      # id -> Reply for its caller
        self._failed = {}       # id -> exception for its caller
        self._next_id = 0
        self._next_seq = 0
        self._replies_read = 0
        self._dead = None       # the exception every call gets now
        self._last_send = time.monotonic()
        self._releases = collections.deque()  # (id, secret) of GCed proxies
        self.session = 0
        self.lease = 0.0
        self.max_message = 64 << 20
        self._resume_secret = b""
        self._pid = os.getpid()
        self._connect(connect_timeout)
        self._stop = threading.Event()
        self._heartbeat = None
        self._start_heartbeat()

    def _silent(self):
        """How long the manager may say nothing before the connection is
        given up: the lease; half of it with several URLs (another member
        may serve, and must be reached within the new leader's grace)."""
        return self.lease / 2 if len(self._urls) > 1 else self.lease

    def _connect(self, timeout):
        """The first dial; a cluster electing its leader is waited for
        within timeout."""
        deadline = time.monotonic() + timeout
        pause = 0.05
        while True:
            try:
                self._dial(resume=False,
                           timeout=max(0.1, deadline - time.monotonic()))
                return
            except errors.MgrError as e:
                if e.code != errors.ECONN or len(self._urls) == 1 \
                        or time.monotonic() + pause >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def _start_heartbeat(self):
        if self.lease > 0:
            self._heartbeat = threading.Thread(
                target=self._beat, name="mgr-heartbeat", daemon=True)
            self._heartbeat.start()

    def _after_fork(self):
        """In a forked child: a connection and session of its own (the
        parent's stream is the parent's: not a byte of it is touched, and
        it is not shut down). Proxies inherited keep working: objects are
        reached by id and secret; the parent's session keeps them alive."""
        self._send_lock = threading.Lock()
        self._cv = threading.Condition(threading.Lock())
        self._pid = os.getpid()
        self._st = None  # closed when collected: close, never shutdown
        self._gen += 1
        self._reading = False
        self._waiting, self._replies, self._failed = {}, {}, {}
        self._next_seq = self._replies_read = 0
        self._releases = collections.deque()
        self._dead = None
        self.session = 0
        self._connect(self._connect_timeout)
        self._stop = threading.Event()
        self._start_heartbeat()

    # ---- connection ---------------------------------------------------

    def _dial(self, resume, timeout):
        """Connects and authenticates, within timeout: to the member
        dialled last, then to each other in turn (one round), following
        where a follower says the leader serves. Whether the session was
        resumed."""
        deadline = time.monotonic() + timeout
        n = len(self._urls)
        start = self._urls.index(self._at) if self._at in self._urls else 0
        hops, k, err = 0, 0, None
        while k < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # A member that does not answer (cut off, or the old leader a
            # follower still names) gets a moment, not all of the time.
            each = min(left, _MEMBER_DIAL) if n > 1 or hops else left
            try:
                return self._dial_one(resume, each)
            except _Redirect as r:
                err = errors.error(errors.ECONN, r.detail)
                to = self._leader_url(r.leader)
                if to and to != self._at and hops < _MAX_REDIRECTS:
                    hops += 1
                    self._at = to
                    continue
            except errors.MgrError as e:
                if e.code not in (errors.ECONN, errors.ETIMEDOUT):
                    raise
                err = e
            k += 1
            if k < n:
                self._at = self._urls[(start + k) % n]
        raise err or errors.error(errors.ECONN, "cannot connect to %s: "
                                  "timed out" % self.url)

    def _leader_url(self, leader):
        """Of the leader's URLs, the first of the scheme dialled, else the
        first ("" for none)."""
        urls = [u for u in leader.split(",") if u]
        scheme = self._at.split(":", 1)[0] + ":"
        return next((u for u in urls if u.startswith(scheme)),
                    urls[0] if urls else "")

    def _dial_one(self, resume, timeout):
        """Connects to self._at and authenticates; whether the session was
        resumed. The new connection replaces the old one only once it is
        ready."""
        st = _Stream(transport.dial(self._at, self._tls, timeout),
                     self.max_message)
        try:
            resumed = self._handshake(st, resume)
        except BaseException:
            st.t.close()
            raise
        st.t.settimeout(self._silent() if self.lease > 0 else None)
        st.max_message = self.max_message
        with self._cv:
            old, self._st = self._st, st
        if old is not None and self._pid == os.getpid():
            old.t.close()
        return resumed

    def _handshake(self, st, resume):
        try:
            hello = pb.Hello.FromString(st.read_frame())
        except (errors.ConnectionLost, TimeoutError, OSError) as e:
            raise errors.error(errors.ECONN, "no greeting from the manager "
                               "at %s: %s (a TLS or WebSocket listener? "
                               "dial it as tls+tcp://, ws:// or wss://)"
                               % (self._at, "it said nothing" if
                                  isinstance(e, TimeoutError) else
                                  "it closed the connection")) from None
        except Exception as e:  # garbage
            raise errors.error(errors.EPROTO, "%s did not greet as "
                               "managerd does (%s): is it a managerd "
                               "port of this scheme?" % (self._at, e)) \
                from None
        if hello.status:
            raise errors.error(hello.status, hello.error
                               or "the manager refused the connection")
        if hello.version != PROTOCOL_VERSION or len(hello.nonce) != 32:
            raise errors.error(errors.EPROTO, "the manager speaks protocol "
                               "version %d, this client %d"
                               % (hello.version, PROTOCOL_VERSION))
        mine = os.urandom(32)
        auth = pb.Auth(version=PROTOCOL_VERSION, nonce=mine,
                       client="%s pid %d" % (self._name[:63], os.getpid()),
                       digest=hmac.new(self._key, b"mgr-client"
                                       + hello.nonce, hashlib.sha256)
                       .digest(),
                       lease_ms=int(self._lease_asked * 1000),
                       reconnect=self._reconnect > 0,
                       stale_reads=self._stale_reads)
        if resume and self.session:
            auth.resume = self.session
            auth.resume_proof = hmac.new(self._resume_secret,
                                         b"mgr-resume" + hello.nonce,
                                         hashlib.sha256).digest()
            auth.received = self._replies_read
        st.send_frame(auth.SerializeToString())
        try:
            w = pb.Welcome.FromString(st.read_frame())
        except errors.ConnectionLost:
            raise errors.error(errors.EAUTH, "the manager closed the "
                               "connection in the handshake (wrong "
                               "authkey?)") from None
        key_holder = hmac.compare_digest(w.digest, hmac.new(
            self._key, b"mgr-server" + mine, hashlib.sha256).digest())
        if w.not_leader and key_holder:
            raise _Redirect(w.leader, "%s: %s%s" % (
                self._at, w.error,
                ": the leader serves at " + w.leader if w.leader else ""))
        if w.status:
            raise errors.error(w.status, w.error or "the handshake failed")
        if not key_holder:
            raise errors.error(errors.EAUTH, "the manager does not know "
                               "our authkey")
        resumed = resume and w.resumed
        self.session = w.session
        self.lease = w.lease_ms / 1000.0
        if w.max_message:
            self.max_message = w.max_message
        self._resume_secret = w.resume_secret
        return resumed

    # ---- calls --------------------------------------------------------

    def call(self, op, target=0, secret=0, args=(), timeout=0, type=0,
             name="", batch=None):
        """The decoded result of one request, or the MGR_E* exception."""
        return decode(self.call_reply(op, target, secret, args, timeout,
                                      type, name, batch).result, self)

    def call_reply(self, op, target=0, secret=0, args=(), timeout=0,
                   type=0, name="", batch=None):
        rq = pb.Request(op=op, thread=threading.get_ident() & _U64)
        if target:
            rq.target, rq.secret = target, secret
        if timeout:
            rq.timeout_ms = timeout
        if type:
            rq.type = type
        if name:
            rq.name = name
        for a in args:
            encode(a, rq.args.add())
        if batch:
            rq.batch.extend(batch)
        rid = self._send(rq)
        rp = self._wait(rid)
        if rp.status:
            raise errors.error(rp.status, rp.error)
        return rp

    def _send(self, rq, heartbeat=False):
        if _forks and self._pid != os.getpid():
            self._after_fork()
        if self._releases:
            self._flush_releases()
        with self._send_lock:
            with self._cv:
                if self._dead is not None:
                    raise self._dead_error()
                self._next_id += 1
                rq.id = rid = self._next_id
                if self._reconnect > 0 and not heartbeat:
                    self._next_seq += 1
                    rq.seq = self._next_seq
                rq.ack = self._replies_read
                frame = rq.SerializeToString()
                if len(frame) > self.max_message:
                    raise errors.error(errors.ETOOBIG, "a request of %d "
                                       "bytes, over the manager's limit "
                                       "(%d)" % (len(frame),
                                                 self.max_message))
                self._waiting[rid] = (rq.seq, frame, heartbeat)
                gen, st = self._gen, self._st
            why = None
            self._last_send = time.monotonic()
            try:
                st.send_frame(frame)
            except OSError as e:
                why = "sending to the manager failed: %s" % (e.strerror
                                                             or e)
        if why is not None:
            self._lost(gen, why)
        return rid

    def _wait(self, rid):
        with self._cv:
            while True:
                if rid in self._replies:
                    del self._waiting[rid]
                    return self._replies.pop(rid)
                if rid in self._failed:
                    self._waiting.pop(rid, None)
                    raise self._failed.pop(rid)
                if self._dead is not None:
                    self._waiting.pop(rid, None)
                    raise self._dead_error()
                if self._reading:
                    self._cv.wait()
                    continue
                self._reading = True
                gen, st = self._gen, self._st
                self._cv.release()
                why = None
                try:
                    frame = st.read_frame()
                except errors.MgrError as e:
                    frame, why = None, e.detail
                except (TimeoutError, OSError) as e:
                    frame = None
                    why = ("no word from the manager for the lease (%g s)"
                           % self.lease if isinstance(e, TimeoutError)
                           else "reading from the manager failed: %s"
                           % (e.strerror or e))
                if frame is None:
                    # Still the reader: nobody reads the old stream while
                    # the connection is made again.
                    try:
                        self._lost(gen, why)
                    finally:
                        self._cv.acquire()
                        self._reading = False
                        self._cv.notify_all()
                    continue
                self._cv.acquire()
                self._reading = False
                self._cv.notify_all()
                self._dispatch_locked(frame)

    def _dispatch_locked(self, frame):
        rp = pb.Reply.FromString(frame)
        if rp.id == 0:  # a notice: the manager ended the session
            if rp.status == errors.ESESSION:
                self._session_gone_locked(
                    rp.error or "the manager ended the session")
            return
        self._replies_read += 1
        if rp.id in self._waiting:  # else a release's, or a retry's twin
            self._replies[rp.id] = rp

    def _session_gone_locked(self, why):
        e = errors.error(errors.ESESSION, "%s: what it held was released"
                         % why)
        for rid in list(self._waiting):
            if rid not in self._replies:
                self._failed[rid] = e
        self._waiting.clear()
        self._next_seq = 0
        self._replies_read = 0
        self._cv.notify_all()

    def _lost(self, gen, why):
        """The connection of generation gen failed: reconnect and resend,
        or fail every call. Takes the send lock (nothing goes out
        meanwhile)."""
        with self._send_lock:
            with self._cv:
                if gen != self._gen or self._dead is not None:
                    return
            if self._reconnect <= 0:
                self._kill(self._why_lost(why))
                return
            deadline = time.monotonic() + self._reconnect
            pause = 0.05
            if len(self._urls) > 1 and self._at in self._urls:
                # A cluster: the member after the one lost first.
                i = self._urls.index(self._at)
                self._at = self._urls[(i + 1) % len(self._urls)]
            while True:
                try:
                    resumed = self._dial(resume=True, timeout=max(
                        0.1, min(self._connect_timeout,
                                 deadline - time.monotonic())))
                    break
                except errors.MgrError as e:
                    if e.code == errors.EAUTH \
                            or time.monotonic() + pause >= deadline:
                        self._kill(errors.error(errors.ECONN, "%s; "
                                   "reconnecting for %g s failed: %s"
                                                % (why, self._reconnect,
                                                   e.detail)))
                        return
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
            with self._cv:
                self._gen += 1
                if not resumed:
                    self._session_gone_locked(
                        "the session could not be resumed (%s)" % why)
                    return
                resend = [w[1] for _, w in sorted(self._waiting.items())
                          if not w[2] and _ not in self._replies]
                self._cv.notify_all()
            try:
                for frame in resend:
                    self._st.send_frame(frame)
            except OSError:
                pass  # the reader finds the new connection broken too

    def _why_lost(self, why):
        """The error for a lost connection: the manager's notice when it
        ended the session and said so before closing (read now if a send
        found the connection closed first), else ECONN with why."""
        st = self._st
        with self._cv:
            reading = self._reading
        if st is not None and not reading:
            try:
                st.t.settimeout(0.5)
                while True:
                    rp = pb.Reply.FromString(st.read_frame())
                    if rp.id == 0 and rp.status == errors.ESESSION:
                        return errors.error(errors.ESESSION, (
                            rp.error or "the manager ended the session")
                            + ": what it held was released")
            except Exception:  # the end of what it sent
                pass
        return errors.error(errors.ECONN, why)

    def _dead_error(self):
        # A fresh exception for each call (one raised again and again
        # would keep every traceback it went through).
        return errors.error(self._dead.code, self._dead.detail)

    def _kill(self, e):
        with self._cv:
            self._dead = e
            self._gen += 1
            self._cv.notify_all()
        if self._st is not None:
            self._st.t.close()

    # ---- heartbeats and releases -------------------------------------

    def _beat(self):
        period = self._silent() / 3
        while not self._stop.wait(period):
            if self._dead is not None:
                return
            if time.monotonic() - self._last_send < period:
                continue
            try:
                self._wait(self._send(pb.Request(op=pb.OP_PING),
                                      heartbeat=True))
            except errors.MgrError:
                if self._dead is not None:
                    return

    def proxy_for(self, ref):
        """A proxy of this client owning the reference ref (values.py's
        decode calls it for each reference in a reply)."""
        return proxy_for(self, ref)

    def release_later(self, oid, secret):
        """A proxy was collected: its reference goes back with the next
        request (a finalizer must not block on the connection)."""
        self._releases.append((oid, secret))

    def _flush_releases(self):
        while self._releases and self._dead is None:
            try:
                oid, secret = self._releases.popleft()
            except IndexError:
                return
            with self._send_lock:
                with self._cv:
                    if self._dead is not None:
                        return
                    self._next_id += 1
                    rq = pb.Request(id=self._next_id, op=pb.OP_RELEASE,
                                    target=oid, secret=secret,
                                    ack=self._replies_read)
                    st = self._st
                try:
                    st.send_frame(rq.SerializeToString())
                except OSError:
                    return  # the next call finds out

    def close(self):
        """Says goodbye (the manager drops what this session holds before
        it answers), then closes. Calls after it raise Closed."""
        if self._pid != os.getpid():  # a forked child's copy: never used
            self._dead = errors.error(errors.ECLOSED, "the client was "
                                      "closed")
            return
        if self._dead is None:
            try:
                self.call(pb.OP_BYE)
            except errors.MgrError:
                pass
        self._stop.set()
        self._kill(errors.error(errors.ECLOSED, "the client was closed"))
        if self._heartbeat is not None \
                and self._heartbeat is not threading.current_thread():
            self._heartbeat.join()
