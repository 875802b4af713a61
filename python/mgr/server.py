"""A managerd of this program's own, as Python's Manager() starts its
server process: a random key, an ipc socket in a private directory, and
a lifeline, so that it ends with this process however that ends."""
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time

from . import errors


def find_managerd(managerd=None):
    """managerd: the argument, $MGR_MANAGERD, or PATH."""
    for p in (managerd, os.environ.get("MGR_MANAGERD")):
        if p and os.access(p, os.X_OK):
            return p
    p = shutil.which("managerd")
    if p is None:
        raise errors.error(errors.EINVAL, "no managerd (give managerd=, "
                           "set MGR_MANAGERD, or put it on PATH)")
    return p


class LocalServer:
    """A running managerd started by start(); stop() ends it."""

    def __init__(self, managerd=None, args=(), ready_timeout=30.0):
        base = os.environ.get("XDG_RUNTIME_DIR")
        if not base or not os.path.isdir(base):
            base = tempfile.gettempdir()
        self.dir = tempfile.mkdtemp(prefix="mgr-", dir=base)  # 0700
        # Hex, as libmgr's embedded manager: managerd strips one trailing
        # newline from a key file, so raw bytes would fail 1 start in 256.
        self.key = secrets.token_hex(32).encode()
        keyfile = os.path.join(self.dir, "authkey")
        fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, self.key)
        os.close(fd)
        self.url = "ipc://%s/mgr.sock" % self.dir
        ready_r, ready_w = os.pipe()
        life_r, self._life_w = os.pipe()
        os.set_inheritable(self._life_w, False)
        cmd = [find_managerd(managerd), "--listen", self.url,
               "--authkey-file", keyfile, "--ready-fd", str(ready_w),
               "--lifeline-fd", str(life_r), "--log-level", "warn"]
        cmd += list(args)
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=(ready_w, life_r),
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL)
        finally:
            os.close(ready_w)
            os.close(life_r)
        try:
            self._await_ready(ready_r, ready_timeout)
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(ready_r)

    def _await_ready(self, fd, timeout):
        out, deadline = b"", time.monotonic() + timeout
        while not out.endswith(b"ready\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise errors.error(errors.ETIMEDOUT, "managerd was not "
                                   "ready in %g s" % timeout)
            chunk = os.read(fd, 4096)
            if not chunk:
                raise errors.error(errors.ECONN, "managerd exited at start "
                                   "(status %s)" % self.proc.wait())
            out += chunk

    def stop(self, timeout=20.0):
        """Ends managerd (SIGTERM, then SIGKILL after timeout); its exit
        status."""
        if self._life_w is not None:
            os.close(self._life_w)  # the lifeline: managerd shuts down
            self._life_w = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode
