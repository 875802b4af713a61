"""Targets of the processes test_processes.py starts (importable by a
spawned child)."""


def fill(d, l):
    d["child"] = True
    l.append("from the child")


def take_lock_and_count(lock, d, n):
    for _ in range(n):
        with lock:
            d["count"] = d["count"] + 1
