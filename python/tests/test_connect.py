"""Connecting: every scheme (TLS with the tests' certificates), wrong
keys, wrong ports, bad URLs: each a clear exception, never a hang."""
import os
import socket
import subprocess
import time

import pytest

import mgr


def test_every_plain_scheme(server):
    for scheme in ("ipc", "tcp", "ws"):
        with server.connect(scheme) as m:
            d = m.dict(via=scheme)
            assert d["via"] == scheme and m.session > 0


def test_wrong_key(server):
    with pytest.raises(mgr.AuthenticationError) as e:
        mgr.connect(server.url("tcp"), "not the key")
    assert "authkey" in str(e.value) or "authentication" in str(e.value)


def test_no_key(server, monkeypatch):
    monkeypatch.delenv("MGR_AUTHKEY", raising=False)
    with pytest.raises(mgr.InvalidArgument, match="MGR_AUTHKEY"):
        mgr.connect(server.url("ipc"))


def test_environment(server, monkeypatch):
    monkeypatch.setenv("MGR_URL", server.url("tcp"))
    monkeypatch.setenv("MGR_AUTHKEY", server.key)
    with mgr.connect() as m:
        m.ping()


def test_bad_urls(server):
    with pytest.raises(mgr.InvalidArgument, match="ipc://, tcp://"):
        mgr.connect("http://localhost:1", "k")
    with pytest.raises(mgr.InvalidArgument, match="host and a port"):
        mgr.connect("tcp://localhost", "k")
    with pytest.raises(mgr.InvalidArgument, match="absolute path"):
        mgr.connect("ipc://relative.sock", "k")
    with pytest.raises(mgr.InvalidArgument, match="TLS options"):
        mgr.connect(server.url("tcp"), server.key, tls_ca_file="/x")


def test_empty_variable_trap():
    with pytest.raises(mgr.ConnectionLost, match="XDG_RUNTIME_DIR"):
        mgr.connect("ipc:///mgr-no-such.sock", "k")


def test_nothing_there(tmp_path):
    with pytest.raises(mgr.ConnectionLost, match="is managerd running"):
        mgr.connect("ipc://%s/none.sock" % tmp_path, "k")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(mgr.ConnectionLost):
        mgr.connect("tcp://127.0.0.1:%d" % port, "k")


def test_mixed_up_schemes(server):
    # a WebSocket client on the plain port, a plain one on the WebSocket
    # port, TLS on a plain port: each an error that says so, bounded
    tcp, ws = server.url("tcp"), server.url("ws")
    with pytest.raises(mgr.ConnectionLost, match="is it a ws:// port"):
        mgr.connect("ws://" + tcp[len("tcp://"):] + "/mgr", server.key,
                    connect_timeout=10)
    # the WebSocket port waits for an upgrade, the client for a greeting
    with pytest.raises(mgr.ConnectionLost, match="said nothing.*ws://"):
        mgr.connect("tcp://" + ws[len("ws://"):].split("/")[0], server.key,
                    connect_timeout=0.5)
    with pytest.raises(mgr.ConnectionLost, match="is it a TLS port"):
        mgr.connect("tls+tcp://" + tcp[len("tcp://"):], server.key,
                    connect_timeout=10)
    # and the manager's log says what came in
    want = ["HTTP where a frame was due", "a TLS record where a frame was "
            "due"]
    deadline = time.monotonic() + 20
    while not all(w in server.log_text() for w in want):
        assert time.monotonic() < deadline, server.log_text()
        time.sleep(0.05)


def test_tls_and_wss(own_server, certs):
    srv = own_server("--tls-cert", certs + "/server.crt",
                     "--tls-key", certs + "/server.key",
                     listen=["tls+tcp://127.0.0.1:0",
                             "wss://127.0.0.1:0/mgr"])
    for scheme in ("tls+tcp", "wss"):
        with srv.connect(scheme, tls_ca_file=certs + "/ca.crt") as m:
            q = m.Queue()
            q.put(scheme)
            assert q.get() == scheme
    # a CA that did not sign the manager's certificate: refused, saying
    # where the trust comes from
    with pytest.raises(mgr.ConnectionLost, match="MGR_TLS_CA_FILE"):
        srv.connect("tls+tcp", tls_ca_file=certs + "/other-ca.crt")
    # the name must match: localhost is in the certificate, this is not
    with pytest.raises(mgr.ConnectionLost, match="MGR_TLS_SERVER_NAME"):
        srv.connect("tls+tcp", tls_ca_file=certs + "/ca.crt",
                    tls_server_name="elsewhere.example")
