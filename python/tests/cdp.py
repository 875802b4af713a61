"""A small Chrome DevTools Protocol client for driving the dashboard in
headless Chromium: navigate, evaluate, wait for a condition, click an
element with real mouse events, type. Its WebSocket is the mgr
package's own (mgr.transport), speaking text messages."""
import json
import os
import subprocess
import time
import urllib.request

from mgr import transport

WAIT_S = 30


class Browser:
    def __init__(self, chromium, profile):
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--remote-debugging-port=0",
             "--user-data-dir=" + profile, "--window-size=1280,800",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        active = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                with open(active) as f:
                    port = int(f.read().split("\n")[0])
                break
            except (OSError, ValueError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("chromium did not start")
                time.sleep(0.05)
        with urllib.request.urlopen(
                "http://127.0.0.1:%d/json/list" % port, timeout=WAIT_S) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        self.ws = transport.dial(pages[0]["webSocketDebuggerUrl"], {},
                                 WAIT_S)
        self.ws.settimeout(WAIT_S)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.sock.sendall(self.ws._message(1, json.dumps(
            {"id": mid, "method": method, "params": params}).encode()))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def _holds(self, expr):
        try:
            return self.eval(expr)
        except RuntimeError:  # the page not there yet (a load under way)
            return False

    def wait_for(self, expr, what=None):
        deadline = time.monotonic() + WAIT_S
        while not self._holds(expr):
            if time.monotonic() > deadline:
                # What the page shows, for the failure's message.
                seen = self._holds("document.querySelector('main')"
                                   ".innerText.slice(0, 1500)")
                raise AssertionError("not in %d s: %s\nthe page: %s"
                                     % (WAIT_S, what or expr, seen))
            time.sleep(0.05)

    def click(self, selector):
        """A left click at the middle of the element (scrolled into
        view first), as a person's mouse makes it."""
        # Where it is once the layout holds still (a refresh of the page
        # may move it): the same place two frames apart.
        where = ("new Promise(done => requestAnimationFrame(() =>"
                 " requestAnimationFrame(() => {"
                 " const e = document.querySelector(%s);"
                 " if (!e) return done(null);"
                 " e.scrollIntoView({block: 'center'});"
                 " const r = e.getBoundingClientRect();"
                 " done([r.left + r.width / 2, r.top + r.height / 2]); })))"
                 % json.dumps(selector))
        box, deadline = self.eval(where), time.monotonic() + WAIT_S
        while box is not None and time.monotonic() < deadline:
            again = self.eval(where)
            if again == box:
                break
            box = again
        if box is None:
            raise AssertionError("nothing to click: " + selector)
        x, y = box
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y,
                      button="left", clickCount=1)

    def type(self, selector, text):
        self.click(selector)
        self.eval("document.querySelector(%s).select()"
                  % json.dumps(selector))
        if text:
            self.call("Input.insertText", text=text)
            return
        for kind in ("keyDown", "keyUp"):  # the selection deleted
            self.call("Input.dispatchKeyEvent", type=kind, key="Backspace",
                      code="Backspace", windowsVirtualKeyCode=8)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
