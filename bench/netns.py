"""Network namespaces for C (replicated writes): each server process in a
namespace of its own, joined to the others and to the clients by a veth
each on one bridge, as hosts on one switch would be. The processes still
share this machine's CPUs and disk. Made only as root with ip(8); torn
down at the end of the run (and by the next one if it was killed)."""

import os
import shutil
import subprocess


def _sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True,
                          timeout=30).returncode == 0


class Netns:
    """n namespaces, on a bridge here at 10.217.K.254; namespace i
    (0-based) has 10.217.K.(i+1)."""

    def __init__(self, n=3):
        self.id = os.getpid() % 10000
        self.bridge = f"mgbb{self.id}"
        self.names = []
        k = os.getpid() % 200 + 20
        # A subnet no interface here has (a killed run may have left one).
        for _ in range(200):
            if _sh(f"! ip -o -4 addr show | grep -q ' 10\\.217\\.{k}\\.'"):
                break
            k = (k - 20 + 1) % 200 + 20
        self.subnet = k
        ok = _sh(f"ip link add {self.bridge} type bridge && "
                 f"ip addr add 10.217.{k}.254/24 dev {self.bridge} && "
                 f"ip link set {self.bridge} up")
        for i in range(n):
            if not ok:
                break
            ns, host, peer = (f"mgb{self.id}-{i + 1}", f"mgb{self.id}h{i + 1}",
                              f"mgb{self.id}n{i + 1}")
            self.names.append(ns)
            ok = _sh(f"ip netns add {ns} && "
                     f"ip link add {host} type veth peer name {peer} && "
                     f"ip link set {peer} netns {ns} && "
                     f"ip link set {host} master {self.bridge} up && "
                     f"ip -n {ns} addr add {self.ip(i)}/24 dev {peer} && "
                     f"ip -n {ns} link set {peer} up && "
                     f"ip -n {ns} link set lo up")
        if not ok:
            self.close()
            raise OSError("the network namespaces could not be made")

    @staticmethod
    def available():
        return os.geteuid() == 0 and shutil.which("ip") is not None

    def ip(self, i):
        return f"10.217.{self.subnet}.{i + 1}"

    def link(self, i, up):
        """Cuts namespace i off from the bridge (up False: every packet
        to and from it dropped, as a pulled cable) or joins it again."""
        if not _sh(f"ip link set mgb{self.id}h{i + 1} {'up' if up else 'down'}"):
            raise OSError(f"the link of namespace {i + 1} could not be set")

    def prefix(self, i):
        """What runs a command in namespace i (it execs: the same pid)."""
        return ["ip", "netns", "exec", self.names[i]]

    def close(self):
        for i, ns in enumerate(self.names):
            # The veth first: a namespace outlives its name while an
            # orphaned socket in it still retransmits to a cut peer,
            # and its veth with it.
            _sh(f"ip link del mgb{self.id}h{i + 1} 2>/dev/null; true")
            _sh(f"ip netns del {ns} 2>/dev/null; true")
        _sh(f"ip link del {self.bridge} 2>/dev/null; true")
        self.names = []
