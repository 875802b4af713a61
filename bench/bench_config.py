"""What bench/run measures: the systems, the workloads' parameters per mode,
and the time limits. Shared by driver.py and report.py."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# (system, transport): ours on ipc:// is a unix socket too.
SYSTEMS = [
    ("ours", "unix"),
    ("python", "unix"),
    ("redis", "unix"),
    ("ours", "tcp"),
    ("python", "tcp"),
    ("redis", "tcp"),
]
# The other transports, for the latency and throughput workloads (W1, W2):
# ours over nng's tcp (--listen-nng), TLS (mbedTLS in the loops), WebSocket
# plain and over TLS; Redis over TLS (its --tls-port; the bench's client
# speaks RESP over mbedTLS, bench/resp_tls.c, since Debian's hiredis 0.14
# has no TLS). Python's Manager has no TLS.
EXTRA_SYSTEMS = [("ours", "nngtcp"), ("ours", "tls"), ("ours", "ws"), ("ours", "wss"),
                 ("redis", "tls")]
EXTRA_CASES = ("W1", "W2")
# Our Python client (python/mgr) against managerd, running bench_py.py's
# own W1 and W2 script (--client mgr): the same Python calls as against
# Python's Manager, so the two compare as Python programs see them.
PY_CLIENT_SYSTEMS = [("pyours", "unix"), ("pyours", "tcp")]
# H, new connections: connect, one round trip, close, over plain tcp and
# over TLS (a full handshake each time), ours and Redis, and ours over
# WebSocket plain and over TLS (the upgrade too); R, a dropped connection
# to the next completed call, on the first four.
HANDSHAKE_SYSTEMS = [("ours", "tcp"), ("ours", "tls"), ("redis", "tcp"), ("redis", "tls")]
HANDSHAKE_WS_SYSTEMS = [("ours", "ws"), ("ours", "wss")]

# D, durable writes: ours with --data-dir and Redis with its append-only
# file, each under the same fsync policy (the "transport" slot names it;
# both on a unix socket): W1's calls and W2 with 8 clients.
DURABLE_SYSTEMS = [("ours", "no"), ("redis", "no"),
                   ("ours", "everysec"), ("redis", "everysec"),
                   ("ours", "always"), ("redis", "always")]
DURABLE_POLICIES = ("no", "everysec", "always")
DURABLE_CLIENTS = 8
# C, replicated writes: ours alone (in memory, and "synced": --data-dir
# --fsync always, the durability each member of a cluster gives) and as a
# 3-member managerd --cluster (as root each server process in a network
# namespace of its own, netns.py; else on tcp loopback; all on this
# machine), Redis alone and with a replica, each write followed by WAIT 1 0
# (acknowledged once the replica has it): W1's dict set one at a time and
# W2 with 8 clients.
CLUSTER_SYSTEMS = [("ours", "one"), ("ours", "synced"), ("ours", "three"),
                   ("redis", "one"), ("redis", "replica")]
CLUSTER_CLIENTS = 8
# DR, a restart of a full store (dr_entries of int -> int, written 1,000
# at a time): killed -9 and started again on its files, from the log alone
# (ours' --data-dir log, Redis's AOF), then after a rewrite (ours'
# snapshot, managerctl save; Redis's BGREWRITEAOF, an RDB preamble): the
# time from the start until it serves.
RESTART_SYSTEMS = [("ours", "everysec"), ("redis", "everysec")]
RESTART_BATCH = 1000

# The systems compared with ours. bench/run --baseline REV puts "base"
# (managerd and its client built from REV) in front, so a change is
# measured against what it changed in the same run.
PEERS = ["python", "redis"]

W1_OPS = [
    ("dict_set", "dict set"),
    ("dict_get", "dict get"),
    ("queue_putget", "queue put+get"),
    ("lock_acqrel", "lock acquire+release"),
    ("list_append", "list append"),
]
W2_CLIENTS = [1, 2, 4, 8, 16]

# Counts per mode. Python gets fewer operations where it would take minutes
# (its rates are per operation, so they compare all the same).
PARAMS = {
    "full": {
        "reps": 5,
        "w1_n": 3000,
        "w1_warmup": 300,
        "w2_ms": 1000,
        "w3_n": 200000,
        "w3_n_python": 20000,
        "w4_items": 200000,
        "w4_items_python": 20000,
        "w4p_items": 200000,
        "w5_entries": 1000000,
        "w5_conns": 1000,
        "w5_reps": 3,
        "w6_tasks": 20000,
        "w6_big": 200,
        "w7_ms": 1000,
        "h_n": 300,
        "r_n": 30,
        "dr_entries": 1000000,
        "l_n": 1000000,
        "l_reps": 3,
    },
    "quick": {
        "reps": 1,
        "w1_n": 200,
        "w1_warmup": 20,
        "w2_ms": 100,
        "w3_n": 2000,
        "w3_n_python": 400,
        "w4_items": 2000,
        "w4_items_python": 800,
        "w4p_items": 4000,
        "w5_entries": 20000,
        "w5_conns": 50,
        "w5_reps": 1,
        "w6_tasks": 500,
        "w6_big": 10,
        "w7_ms": 100,
        "h_n": 20,
        "r_n": 5,
        "dr_entries": 20000,
        "l_n": 20000,
        "l_reps": 1,
    },
}

CLIENT_TIMEOUT = 300  # seconds, any one client run
START_TIMEOUT = 30  # seconds, a server getting ready
