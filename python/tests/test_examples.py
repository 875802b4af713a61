"""examples/python, run as a user would, with their expected output."""
import os
import subprocess
import sys

EXAMPLES = os.path.join(os.environ.get("MGR_SOURCE_DIR", ""), "examples",
                        "python")


def run(name, *args, env=None):
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, name)]
                       + list(args), env=env, capture_output=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def test_seed_dict_list():
    assert run("seed_dict_list.py") == \
        "{1: '1', '2': 2, 0.25: None}\n[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]\n"


def test_seed_list_append():
    assert run("seed_list_append.py") == "['a', 'b', 'c']\n"


def test_seed_lock_hello():
    out = run("seed_lock_hello.py").splitlines()
    assert sorted(out, key=lambda s: int(s.split()[-1])) == \
        ["hello world %d" % i for i in range(10)]


def test_seed_producer_consumer():
    assert run("seed_producer_consumer.py") == \
        "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n"


def test_seed_queue_results():
    assert run("seed_queue_results.py") == "[0, 1, 4, 9]\n"


def test_seed_remote_queue(server):
    env = dict(os.environ, MGR_URL=server.url("tcp"),
               MGR_AUTHKEY=server.key)
    assert run("seed_remote_queue.py", "put", env=env) == ""
    assert run("seed_remote_queue.py", "get", env=env) == "hello\n"
