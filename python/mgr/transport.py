"""Byte transports to managerd, one per URL scheme: ipc:// (a Unix socket),
tcp://, tls+tcp:// (TLS through the ssl module), ws:// and wss:// (RFC 6455
framing over either). Each is a stream: send() writes bytes, recv() returns
what arrived (b"" at the end). Framing managerd's messages is wire.py's."""
import base64
import hashlib
import os
import socket
import ssl
import struct
from urllib.parse import urlsplit

from .errors import ConnectionLost, EINVAL, error

SCHEMES = ("ipc", "tcp", "tls+tcp", "ws", "wss")
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_WS_MAX_HEAD = 8192


class _Url:
    def __init__(self, url):
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in SCHEMES:
            raise error(EINVAL, "unsupported URL '%s' (the schemes are "
                           "ipc://, tcp://, tls+tcp://, ws:// and wss://)"
                           % url)
        self.scheme = scheme
        if scheme == "ipc":
            if not rest.startswith("/"):
                raise error(EINVAL, "ipc URL '%s' needs an absolute path"
                               % url)
            self.path = rest
            return
        parts = urlsplit("x://" + rest)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise error(EINVAL, "URL '%s' needs a host and a port" % url)
        self.host, self.port = parts.hostname, port
        self.path = parts.path or "/"


def _tls_context(tls):
    ca = tls.get("ca_file")
    ctx = ssl.create_default_context(cafile=ca)
    if tls.get("cert_file"):
        ctx.load_cert_chain(tls["cert_file"], tls.get("key_file"))
    return ctx


def _tcp(u, timeout):
    s = socket.create_connection((u.host, u.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def dial(url, tls, timeout):
    """A connected transport for url; tls: ca_file, cert_file, key_file,
    server_name (None: the URL's host). Raises ConnectionLost or MgrError
    with the reason."""
    u = _Url(url)
    try:
        if u.scheme == "ipc":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(u.path)
            except OSError:
                s.close()
                raise
            return _Plain(s)
        s = _tcp(u, timeout)
        if u.scheme in ("tls+tcp", "wss"):
            try:
                s = _tls_context(tls).wrap_socket(
                    s, server_hostname=tls.get("server_name") or u.host)
            except ssl.SSLCertVerificationError as e:
                s.close()
                raise ConnectionLost(
                    "TLS: the manager's certificate was refused: %s (its "
                    "name must match the URL's host, or set "
                    "MGR_TLS_SERVER_NAME; its CA must be in "
                    "MGR_TLS_CA_FILE)" % e.verify_message) from None
            except ssl.SSLError as e:
                s.close()
                raise ConnectionLost(
                    "TLS handshake with %s failed: %s (is it a TLS "
                    "port?)" % (url, e.reason or e)) from None
        if u.scheme in ("ws", "wss"):
            return _WebSocket(s, u)
        return _Plain(s)
    except ConnectionLost:
        raise
    except socket.timeout:
        raise ConnectionLost("cannot connect to %s: timed out" % url) \
            from None
    except (FileNotFoundError, ConnectionRefusedError) as e:
        if u.scheme == "ipc" and u.path.count("/") == 1:
            raise ConnectionLost(
                "cannot connect to %s: %s (a socket at the root of the file "
                "system: was a variable in the URL empty, such as "
                "$XDG_RUNTIME_DIR in ipc://$XDG_RUNTIME_DIR/mgr.sock?)"
                % (url, e.strerror)) from None
        raise ConnectionLost("cannot connect to %s: %s (is managerd "
                             "running there?)" % (url, e.strerror)) from None
    except OSError as e:
        raise ConnectionLost("cannot connect to %s: %s"
                             % (url, e.strerror or e)) from None


class _Plain:
    def __init__(self, sock):
        self.sock = sock

    def settimeout(self, t):
        if isinstance(self.sock, ssl.SSLSocket):
            self.sock.settimeout(t)
            return
        # A blocking socket with the kernel's time limits: Python's own
        # timeout makes a poll() before every send and receive, a system
        # call per call more. (ssl needs Python's.)
        self.sock.settimeout(None)
        t = t or 0
        tv = struct.pack("@ll", int(t), int((t - int(t)) * 1e6))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)

    def send(self, data):
        try:
            self.sock.sendall(data)
        except BlockingIOError:  # SO_SNDTIMEO ran out
            raise TimeoutError("timed out") from None

    def recv(self):
        try:
            return self.sock.recv(65536)
        except BlockingIOError:  # SO_RCVTIMEO ran out
            raise TimeoutError("timed out") from None

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def _mask(data, key):
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big")
            ^ int.from_bytes(k, "big")).to_bytes(n, "big")


class _WebSocket(_Plain):
    """Each send one masked binary message; received data messages are
    unwrapped into one stream (managerd's frames are length-prefixed, so
    message boundaries do not matter); pings answered, a close ends it."""

    def __init__(self, sock, u):
        super().__init__(sock)
        key = base64.b64encode(os.urandom(16))
        host = u.host if ":" not in u.host else "[%s]" % u.host
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                     b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: %s\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n"
                     % (u.path.encode(), host.encode(), u.port, key))
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionLost("the manager closed the connection "
                                     "during the WebSocket upgrade (is it "
                                     "a ws:// port?)")
            head += chunk
            if len(head) > _WS_MAX_HEAD:
                raise ConnectionLost("the WebSocket upgrade answer is "
                                     "over %d bytes" % _WS_MAX_HEAD)
        head, self.raw = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise ConnectionLost("WebSocket upgrade refused: " + lines[0])
        want = base64.b64encode(
            hashlib.sha1(key + _WS_GUID).digest()).decode()
        accept = [v.split(":", 1)[1].strip() for v in lines[1:]
                  if v.lower().startswith("sec-websocket-accept:")]
        if accept != [want]:
            raise ConnectionLost("bad Sec-WebSocket-Accept in the upgrade "
                                 "answer")

    def _message(self, op, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | op, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | op, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | op, 0x80 | 127, n)
        key = os.urandom(4)
        return head + key + _mask(payload, key)

    def send(self, data):
        self.sock.sendall(self._message(2, data))

    def _need(self, n):
        while len(self.raw) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.raw += chunk

    def recv(self):
        """The payload of the next data message (b"" at a close)."""
        try:
            while True:
                self._need(2)
                op, n = self.raw[0] & 0x0F, self.raw[1] & 0x7F
                if self.raw[1] & 0x80:
                    raise ConnectionLost("the manager masked a WebSocket "
                                         "frame")
                h = 2
                if n == 126:
                    self._need(4)
                    n, h = struct.unpack("!H", self.raw[2:4])[0], 4
                elif n == 127:
                    self._need(10)
                    n, h = struct.unpack("!Q", self.raw[2:10])[0], 10
                self._need(h + n)
                payload = self.raw[h:h + n]
                self.raw = self.raw[h + n:]
                if op in (0, 1, 2):
                    if payload:
                        return payload
                elif op == 9:
                    self.sock.sendall(self._message(10, payload))
                elif op == 8:
                    return b""
        except EOFError:
            return b""
