"""Containers over the manager's --max-op-elements: reading one whole is
refused with TooBig naming the option; iterating a list goes by slices."""
import pytest

import mgr


def test_over_max_op_elements(own_server):
    srv = own_server("--max-op-elements", "1000")
    m = srv.connect()
    big = m.list(range(2500))
    d = m.dict({i: i for i in range(1001)})
    with pytest.raises(mgr.TooBig, match="--max-op-elements 1000"):
        big[:]
    with pytest.raises(mgr.TooBig):
        big.sort()
    with pytest.raises(mgr.TooBig):
        d.items()
    assert big[1000:1500] == list(range(1000, 1500))  # a slice may
    assert list(big) == list(range(2500))  # iterated in slices
    assert sum(1 for _ in big) == 2500
    small = m.list(range(10))
    assert list(small) == list(range(10))
    m.close()
