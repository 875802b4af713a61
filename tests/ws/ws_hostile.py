#!/usr/bin/env python3
"""What a hostile or broken WebSocket client sends a manager, before and
after the key: each case prints one line saying what the manager did, and
the script exits 0 only when every case went as RFC 6455 and the manager's
limits say. Python's standard library only.

usage: ws_hostile.py URL     (ws://HOST:PORT/PATH or wss://...; for wss the
                              CA file in MGR_CA_FILE; the key in MGR_AUTHKEY)
"""
import os, socket, ssl, struct, sys, time
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_client import WS, authenticate, field, parse, unzigzag  # noqa: E402

URL = sys.argv[1]
U = urlparse(URL)
KEY = os.environ["MGR_AUTHKEY"].encode()


def connect():
    s = socket.create_connection((U.hostname, U.port), timeout=10)
    if U.scheme == "wss":
        ctx = ssl.create_default_context(cafile=os.environ["MGR_CA_FILE"])
        ctx.check_hostname = False
        s = ctx.wrap_socket(s, server_hostname="localhost")
    return s


class Conn(WS):
    """WS over connect(), with any head the case wants."""

    def __init__(self, head=None):
        self.sock = connect()
        self.buf = b""
        self.stream = b""
        if head is not None:
            self.sock.sendall(head)

    def upgrade(self):
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (U.path or "/", key))
            .encode())
        head = self.read_head()
        if not head.startswith(b"HTTP/1.1 101"):
            raise SystemExit("upgrade refused: %r" % head[:40])
        return self

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def closed(self, within):
        """Whether the manager closes the connection within seconds."""
        self.sock.settimeout(within)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close_code(self):
        """The code of the manager's close message (None: no code)."""
        while True:
            op, payload = self.next_message()
            if op == 8:
                return struct.unpack("!H", payload[:2])[0] if payload \
                    else None


def raw_frame(payload, opcode=2, fin=True, masked=True, rsv=0):
    mask = os.urandom(4) if masked else b""
    n = len(payload)
    b0 = (0x80 if fin else 0) | rsv | opcode
    m = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if masked:
        payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return head + mask + payload


def status_of(head):
    line = head.split(b"\r\n", 1)[0].decode()
    return line.split(" ")[1] if " " in line else line


def check(cond, line):
    if not cond:
        raise SystemExit("FAILED: " + line)
    print(line, flush=True)


def refusals():
    path = U.path or "/"
    base = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    cases = [
        ("404", "GET /elsewhere HTTP/1.1\r\n" + base + key
         + "Sec-WebSocket-Version: 13\r\n\r\n"),
        ("400", "GET %s HTTP/1.1\r\n%sSec-WebSocket-Version: 13\r\n\r\n"
         % (path, base)),
        ("426", "GET %s HTTP/1.1\r\n%s%sSec-WebSocket-Version: 8\r\n\r\n"
         % (path, base, key)),
        ("405", "POST %s HTTP/1.1\r\n%s%sSec-WebSocket-Version: 13\r\n\r\n"
         % (path, base, key)),
        ("431", "GET %s HTTP/1.1\r\nX-Pad: %s\r\n" % (path, "a" * 9000)),
    ]
    for want, req in cases:
        c = Conn(req.encode())
        got = status_of(c.read_head())
        check(got == want and c.closed(5), "refused %s" % got)


def half_upgrade():
    c = Conn(("GET %s HTTP/1.1\r\nHost: x\r\n" % (U.path or "/")).encode())
    t0 = time.monotonic()
    ok = c.closed(10)
    check(ok, "a half-sent upgrade closed after %d ms"
          % ((time.monotonic() - t0) * 1000))


def before_the_key():
    c = Conn().upgrade()
    c.sock.sendall(raw_frame(b"still there?", opcode=9))
    op, payload = c.next_message()
    while op != 10:  # the Hello's message comes first
        op, payload = c.next_message()
    check(payload == b"still there?", "a ping before the key answered")
    # A message that says it is 60 MiB, holding a frame that says so too:
    # closed as soon as the frame's length is read, nothing buffered.
    n = 60 << 20
    mask = os.urandom(4)
    prefix = bytes(b ^ mask[i & 3] for i, b in enumerate(struct.pack("!I", n)))
    c.sock.sendall(struct.pack("!BBQ", 0x82, 0xFF, n + 4) + mask + prefix)
    check(c.closed(5), "a 60 MiB message before the key closed")


def protocol_errors():
    for name, frame, want in (
            ("unmasked", raw_frame(b"\0\0\0\1x", masked=False), 1002),
            ("text", raw_frame(b"hello", opcode=1), 1003),
            ("reserved bits", raw_frame(b"x", rsv=0x40), 1002),
            ("a long ping", raw_frame(b"p" * 200, opcode=9), 1002),
            ("a lone continuation", raw_frame(b"x", opcode=0), 1002)):
        c = Conn().upgrade()
        c.sock.sendall(frame)
        got = c.close_code()
        check(got == want and c.closed(5), "%s: closed %s" % (name, got))


def fragments():
    """The Auth in three fragments with a ping among them, a ping request
    split over two messages: frames are bytes, whatever the messages."""
    c = Conn().upgrade()
    orig = c.send_frame

    def split_send(msg):
        data = struct.pack("!I", len(msg)) + msg
        a, b = len(data) // 3, 2 * len(data) // 3
        c.sock.sendall(raw_frame(data[:a], opcode=2, fin=False)
                       + raw_frame(data[a:b], opcode=0, fin=False)
                       + raw_frame(b"mid", opcode=9)
                       + raw_frame(data[b:], opcode=0, fin=True))
    c.send_frame = split_send
    sid = authenticate(c, KEY, b"python fragments")
    c.send_frame = orig
    ping = field(1, 0, 7)
    data = struct.pack("!I", len(ping)) + ping
    c.sock.sendall(raw_frame(data[:3]) + raw_frame(data[3:]))
    reply = parse(c.recv_frame())
    check(reply.get(1) == 7 and unzigzag(reply.get(2, 0)) == 0,
          "fragments: authenticated as session %d, ping ok" % sid)
    c.sock.sendall(raw_frame(b"", opcode=8))
    got = c.close_code()
    check(got is None and c.closed(5), "a close without a code answered")


def pong_ignored():
    c = Conn().upgrade()
    c.sock.sendall(raw_frame(b"unasked", opcode=10))
    authenticate(c, KEY, b"python pong")
    check(True, "an unasked pong ignored")


if __name__ == "__main__":
    refusals()
    half_upgrade()
    before_the_key()
    protocol_errors()
    fragments()
    pong_ignored()
    print("all cases held")
