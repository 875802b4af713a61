"""A producer and two consumers over a bounded queue: the consumers mark
each item done, the producer joins the queue until all are. Prints the
squares the consumers computed, sorted."""
from multiprocessing import Process

import mgr


def consumer(q, results):
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            return
        results.append(item * item)
        q.task_done()


if __name__ == '__main__':
    with mgr.start() as manager:
        q = manager.JoinableQueue(3)
        results = manager.list()
        cs = [Process(target=consumer, args=(q, results)) for _ in range(2)]
        for c in cs:
            c.start()
        for i in range(10):
            q.put(i)
        q.join()
        print(sorted(results))
        for _ in cs:
            q.put(None)
        for c in cs:
            c.join()
