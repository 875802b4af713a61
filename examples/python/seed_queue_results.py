"""Four processes each put a result in a queue; the parent collects them.
Prints [0, 1, 4, 9]."""
from multiprocessing import Process

import mgr


def work(q, i):
    q.put(i * i)


if __name__ == '__main__':
    with mgr.start() as manager:
        q = manager.Queue()
        ps = [Process(target=work, args=(q, i)) for i in range(4)]
        for p in ps:
            p.start()
        print(sorted(q.get(timeout=30) for _ in ps))
        for p in ps:
            p.join()
