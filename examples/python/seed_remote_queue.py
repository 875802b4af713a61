"""A remote manager over TCP: managerd serves (`managerd --listen
tcp://0.0.0.0:50000 --authkey-file key`), one process puts on the named
queue, another, on any host, gets. Python's register('get_queue') is a
name here, shared with C programs (examples/seed_remote_queue.c).
usage: MGR_URL=tcp://host:50000 MGR_AUTHKEY=... seed_remote_queue.py put|get
"""
import sys

import mgr

if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in ('put', 'get'):
        sys.exit(__doc__.strip().splitlines()[-1])
    with mgr.connect() as m:
        queue = m.named('remote-queue', m.Queue)
        if sys.argv[1] == 'put':
            queue.put('hello')
        else:
            print(queue.get(timeout=30))
