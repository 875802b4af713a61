"""A list shared with a child that appends 'c'. Prints ['a', 'b', 'c']."""
from multiprocessing import Process

import mgr


def f(l):
    l.append('c')


if __name__ == '__main__':
    with mgr.start() as manager:
        l = manager.list(['a', 'b'])
        p = Process(target=f, args=(l,))
        p.start()
        p.join()
        print(l)
