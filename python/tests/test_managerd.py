"""managerd as a service sees it: SIGHUP reads the command line and its
config file again (limits, the log level and the TLS certificate change
in the running manager, for new connections the certificate; what needs
a restart is said and kept; a config with an error changes nothing), and
log lines carry syslog priorities when stderr is the journal."""
import os
import signal
import subprocess
import time

import pytest

import mgr
from conftest import managerd_path


def await_log(srv, text, after=0):
    deadline = time.monotonic() + 20
    while text not in srv.log_text_all()[after:]:
        assert time.monotonic() < deadline, srv.log_text()
        time.sleep(0.02)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_sighup_reloads(own_server, certs, tmp_path):
    conf = str(tmp_path / "managerd.conf")
    write(conf, "# limits\nmax-items 10\nlog-level info\n"
          "tls-cert %s/server.crt\ntls-key %s/server.key\n" % (certs, certs))
    srv = own_server("--config", conf,
                     listen=["tcp://127.0.0.1:0", "tls+tcp://127.0.0.1:0"])
    m = srv.connect("tcp")
    with pytest.raises(mgr.TooBig):
        m.list(range(15))
    with pytest.raises(mgr.ConnectionLost):
        srv.connect("tls+tcp", tls_ca_file=certs + "/other-ca.crt",
                    tls_server_name="localhost")

    mark = len(srv.log_text_all())
    write(conf, "max-items 20\nlog-level debug\nmax-message 1m\n"
          "tls-cert %s/untrusted.crt\ntls-key %s/untrusted.key\n"
          % (certs, certs))
    os.kill(srv.proc.pid, signal.SIGHUP)
    await_log(srv, "SIGHUP: reloaded", mark)
    log = srv.log_text_all()[mark:]
    assert "--max-items 10 -> 20" in log
    assert "kept until a restart: --max-message" in log
    # the limit holds for the session that was there before
    assert len(m.list(range(15))) == 15
    # new TLS connections get the new certificate; the old CA fails now
    with srv.connect("tls+tcp", tls_ca_file=certs + "/other-ca.crt",
                    tls_server_name="localhost") as t:
        t.ping()
    with pytest.raises(mgr.ConnectionLost):
        srv.connect("tls+tcp", tls_ca_file=certs + "/ca.crt",
                    tls_server_name="localhost")
    # debug: each request is logged now
    mark = len(srv.log_text_all())
    m.ping()
    await_log(srv, "debug", mark)

    # an error in the file: nothing changes
    mark = len(srv.log_text_all())
    write(conf, "max-items 30\nfrob 1\n")
    os.kill(srv.proc.pid, signal.SIGHUP)
    await_log(srv, "nothing reloaded", mark)
    with pytest.raises(mgr.TooBig):
        m.list(range(25))
    m.close()


def test_journal_priorities(tmp_path):
    """systemd's JOURNAL_STREAM names the journal's stream (its device and
    inode): lines to it start with their priority, not a time."""
    key = tmp_path / "key"
    key.write_text("k" * 16)
    key.chmod(0o600)
    logf = tmp_path / "log"
    for journal in (True, False):
        with open(logf, "wb") as err:
            st = os.fstat(err.fileno())
            env = dict(os.environ)
            env.pop("JOURNAL_STREAM", None)
            if journal:
                env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            p = subprocess.Popen(
                [managerd_path(), "--listen", "ipc://%s/s" % tmp_path,
                 "--authkey-file", str(key), "--listen", "bogus://x"],
                env=env, stdout=subprocess.DEVNULL, stderr=err)
            assert p.wait(30) == 2  # the bad URL: usage, with a log line
        text = logf.read_text()
        line = next(x for x in text.splitlines() if "cannot listen" in x)
        if journal:
            assert line.startswith("<3>managerd error: "), text
        else:
            assert line[:4].isdigit() and " managerd error: " in line, text


def test_cluster_membership_needs_a_cluster(m):
    # A single manager has no group to change: refused, saying why, and
    # it goes on serving.
    with pytest.raises(mgr.BadState) as e:
        m.cluster_add(4, "127.0.0.1:7304")
    assert "no member of a cluster" in e.value.detail
    with pytest.raises(mgr.BadState):
        m.cluster_remove(2)
    with pytest.raises(mgr.InvalidArgument):
        m.cluster_remove(0)
    m.ping()
