#!/usr/bin/env python3
"""A WebSocket client that is not nng: Python's standard library only.

Speaks managerd's protocol over ws://HOST:PORT/PATH: the upgrade, the
authkey handshake (Hello, Auth, Welcome), a ping, a request that fails
(a name that does not exist), a WebSocket ping answered by a pong, and a
close; then, on fresh connections, a request with the close frame right
behind it in one write: the manager must end each of those connections
(nng's WebSocket loses a close frame that arrives while no receive is
queued, and a receive queued after it never completes). The key comes
from MGR_AUTHKEY; MGR_WS_ORIGIN, when set, goes in an Origin header (as a
web page's browser sends it). Prints one line per step; exits 0 when
every step went as the protocol says.
usage: ws_client.py URL [ROUNDS]
"""
import base64, hashlib, hmac, os, socket, struct, sys
from urllib.parse import urlparse


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, wire, value):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(value)
    return key + varint(len(value)) + value


def parse(msg):
    """protobuf fields: {num: value} (varints as int, bytes as bytes)."""
    out, i = {}, 0
    while i < len(msg):
        key, i = read_varint(msg, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            out[num], i = read_varint(msg, i)
        elif wire == 2:
            n, i = read_varint(msg, i)
            out[num], i = msg[i:i + n], i + n
        elif wire == 1:
            out[num], i = msg[i:i + 8], i + 8
        elif wire == 5:
            out[num], i = msg[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
    return out


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def unzigzag(n):
    return (n >> 1) ^ -(n & 1)


class WS:
    def __init__(self, url):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n%s\r\n"
            % (u.path or "/", u.hostname, u.port, key,
               "Origin: %s\r\n" % os.environ["MGR_WS_ORIGIN"]
               if os.environ.get("MGR_WS_ORIGIN") else "")).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit("closed during the upgrade")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise SystemExit("upgrade refused: " + lines[0])
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        accept = [l.split(":", 1)[1].strip() for l in lines[1:]
                  if l.lower().startswith("sec-websocket-accept:")]
        if accept != [want.decode()]:
            raise SystemExit("bad Sec-WebSocket-Accept")
        self.stream = b""  # payload bytes of data messages

    def send_message(self, payload, opcode=2):
        self.sock.sendall(self.message_bytes(payload, opcode))

    @staticmethod
    def message_bytes(payload, opcode=2):
        """One masked, final WebSocket frame, as a client sends it."""
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        return head + mask + body

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def next_message(self):
        """(opcode, payload) of the next WebSocket message."""
        self._need(2)
        op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
        if self.buf[1] & 0x80:
            raise SystemExit("the server masked a frame")
        h = 2
        if n == 126:
            self._need(4)
            n, h = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, h = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(h + n)
        payload, self.buf = self.buf[h:h + n], self.buf[h + n:]
        return op, payload

    def send_frame(self, msg):
        """One of managerd's frames (length + message) in one message."""
        self.send_message(struct.pack("!I", len(msg)) + msg)

    def await_end(self):
        """Reads until the manager closes the connection."""
        try:
            while True:
                self.next_message()
        except (EOFError, ConnectionResetError):
            pass

    def recv_frame(self):
        """One of managerd's frames, whatever the message boundaries."""
        while True:
            if len(self.stream) >= 4:
                n = struct.unpack("!I", self.stream[:4])[0]
                if len(self.stream) >= 4 + n:
                    f, self.stream = self.stream[4:4 + n], self.stream[4 + n:]
                    return f
            op, payload = self.next_message()
            if op in (0, 2):
                self.stream += payload
            elif op == 8:
                raise EOFError
            elif op != 10:  # a pong (to a ping sent among frames)
                raise SystemExit("unexpected opcode %d" % op)


def authenticate(ws, key, name):
    """The authkey handshake; returns the session id."""
    hello = parse(ws.recv_frame())
    if hello.get(1) != 1 or len(hello.get(2, b"")) != 32:
        raise SystemExit("bad Hello %r" % hello)
    mine = os.urandom(32)
    digest = hmac.new(key, b"mgr-client" + hello[2], hashlib.sha256).digest()
    ws.send_frame(field(1, 0, 1) + field(2, 2, digest) + field(3, 2, mine)
                  + field(4, 2, name))
    welcome = parse(ws.recv_frame())
    if unzigzag(welcome.get(1, 0)) != 0:
        raise SystemExit("refused: %r" % welcome.get(5))
    if welcome.get(2) != hmac.new(key, b"mgr-server" + mine,
                                  hashlib.sha256).digest():
        raise SystemExit("the manager does not know our key")
    return welcome[3]


def main():
    url = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    key = os.environ["MGR_AUTHKEY"].encode()
    ws = WS(url)
    print("upgraded")
    print("authenticated as session %d"
          % authenticate(ws, key, b"python ws client"))
    ws.send_frame(field(1, 0, 1))  # OP_PING is 0: no op field
    reply = parse(ws.recv_frame())
    if reply.get(1) != 1 or unzigzag(reply.get(2, 0)) != 0:
        raise SystemExit("bad ping reply %r" % reply)
    print("ping ok")
    ws.send_frame(field(1, 0, 2) + field(2, 0, 5) + field(8, 2, b"nosuch"))
    reply = parse(ws.recv_frame())
    status = unzigzag(reply.get(2, 0))
    if reply.get(1) != 2 or status == 0 or not reply.get(3):
        raise SystemExit("bad name_get reply %r" % reply)
    print("name_get 'nosuch' -> status %d: %s" % (status, reply[3].decode()))
    ws.send_message(b"are you there", opcode=9)
    op, payload = ws.next_message()
    if op != 10 or payload != b"are you there":
        raise SystemExit("no pong: %d %r" % (op, payload))
    print("pong")
    ws.send_message(struct.pack("!H", 1000), opcode=8)
    op, payload = ws.next_message()
    if op != 8 or payload != struct.pack("!H", 1000):
        raise SystemExit("close not answered: %d %r" % (op, payload))
    print("close answered")
    ws.await_end()
    print("closed")
    for _ in range(rounds):
        ws = WS(url)
        authenticate(ws, key, b"python ws closer")
        ping = field(1, 0, 1)
        ws.sock.sendall(WS.message_bytes(struct.pack("!I", len(ping)) + ping)
                        + WS.message_bytes(struct.pack("!H", 1000), 8))
        ws.await_end()  # a lost close frame times out here
        ws.sock.close()
    if rounds:
        print("closed right behind a request: %d of %d" % (rounds, rounds))


if __name__ == "__main__":
    main()
