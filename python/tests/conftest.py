"""A real managerd for the tests: started with a random key on an ipc
socket, a TCP port and a WebSocket port (ports chosen by the kernel, read
from --ready-fd), stopped with SIGTERM at the end (and, through
--lifeline-fd, if pytest dies first). $MGR_MANAGERD names the binary."""
import os
import select
import secrets
import shutil
import signal
import subprocess
import time

import pytest

import mgr


def managerd_path():
    path = os.environ.get("MGR_MANAGERD") or shutil.which("managerd")
    if not path:
        pytest.fail("no managerd: set MGR_MANAGERD")
    return path


class Managerd:
    def __init__(self, tmp, *extra, listen=None, key=None, prefix=()):
        self.dir = tmp
        self.key = key or secrets.token_hex(16)
        keyfile = os.path.join(tmp, "authkey")
        fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, self.key.encode())
        os.close(fd)
        if listen is None:
            listen = ["ipc://%s/mgr.sock" % tmp, "tcp://127.0.0.1:0",
                      "ws://127.0.0.1:0/mgr"]
        ready_r, ready_w = os.pipe()
        self._life_r, self._life_w = os.pipe()
        # prefix: what runs it (ip netns exec NS: it execs, same pid).
        args = list(prefix) + [
            managerd_path(), "--authkey-file", keyfile,
            "--ready-fd", str(ready_w), "--lifeline-fd", str(self._life_r)]
        for url in listen:
            args += ["--listen", url]
        args += list(extra)
        self.log = os.path.join(tmp, "managerd.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                args, pass_fds=(ready_w, self._life_r), stdout=log,
                stderr=log)
        os.close(ready_w)
        os.close(self._life_r)
        out, deadline = b"", time.monotonic() + 30
        while not out.endswith(b"ready\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([ready_r], [], [], left)[0]:
                self.stop()
                pytest.fail("managerd not ready in 30 s: %s"
                            % self.log_text())
            chunk = os.read(ready_r, 4096)
            if not chunk:
                pytest.fail("managerd exited at start: %s"
                            % self.log_text())
            out += chunk
        os.close(ready_r)
        self.urls = out.decode().split("\n")[:-2]

    def url(self, scheme):
        return next(u for u in self.urls if u.startswith(scheme + "://"))

    def connect(self, scheme="ipc", **kw):
        return mgr.connect(self.url(scheme), self.key, **kw)

    def log_text(self):
        return self.log_text_all()[-4000:]

    def log_text_all(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._life_w is not None:
            os.close(self._life_w)
            self._life_w = None
        return self.proc.returncode


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    d = Managerd(str(tmp_path_factory.mktemp("managerd")))
    yield d
    assert d.stop() == 0, d.log_text()


@pytest.fixture
def m(server):
    """A connection over the ipc socket, closed after the test."""
    with server.connect() as manager:
        yield manager


@pytest.fixture
def own_server(tmp_path):
    """Starts a managerd of the test's own (own options)."""
    started = []

    def start(*extra, **kw):
        d = Managerd(str(tmp_path), *extra, **kw)
        started.append(d)
        return d
    yield start
    for d in started:
        assert d.stop() == 0, d.log_text()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """The tests' certificates (tests/make_certs.sh): ca.crt signed
    server.crt (localhost, 127.0.0.1); other-ca.crt signed untrusted.crt
    for the same names."""
    d = str(tmp_path_factory.mktemp("certs") / "set")
    subprocess.run(["sh", os.path.join(os.environ["MGR_SOURCE_DIR"],
                                       "tests", "make_certs.sh"), d],
                   check=True)
    return d
