"""Ten processes printing under one shared lock: each line whole (the
order is the scheduler's)."""
from multiprocessing import Process

import mgr


def f(lock, i):
    lock.acquire()
    try:
        print('hello world', i, flush=True)
    finally:
        lock.release()


if __name__ == '__main__':
    with mgr.start() as manager:
        lock = manager.Lock()
        ps = [Process(target=f, args=(lock, num)) for num in range(10)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
