"""Ports for servers that must be told theirs before they start (a
cluster's members name each other): shared by bench/driver.py and the
Python client's cluster tests."""

import socket


def free_ports(n):
    """n ports nobody listens on now, all different: each socket is let go
    only once all are chosen (one let go before the next is asked may be
    given again)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
