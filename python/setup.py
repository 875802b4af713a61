"""Builds the package with its generated modules: manager_pb2.py from the
repository's schema/manager.proto (protoc, Debian's protobuf-compiler)
and _codes.py from include/mgr.h's error list (gen_codes.py), so the
client speaks the one schema and the one list of codes. Run from the
repository (pip install ./python)."""
import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(HERE, "..", "schema")
HEADER = os.path.join(HERE, "..", "include", "mgr.h")


class BuildWithWire(build_py):
    def run(self):
        super().run()
        out = os.path.join(self.build_lib, "mgr")
        self.mkpath(out)
        if not os.path.exists(os.path.join(SCHEMA_DIR, "manager.proto")):
            sys.exit("setup.py: ../schema/manager.proto not found: install "
                     "from the repository (pip install ./python)")
        subprocess.check_call(["protoc", "--python_out=" + out,
                               "-I", SCHEMA_DIR,
                               os.path.join(SCHEMA_DIR, "manager.proto")])
        subprocess.check_call([sys.executable,
                               os.path.join(HERE, "gen_codes.py"), HEADER,
                               os.path.join(out, "_codes.py")])


setup(cmdclass={"build_py": BuildWithWire})
