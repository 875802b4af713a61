#!/usr/bin/env python3
"""Writes mgr/_codes.py from mgr.h's MGR_ERRORS list, so that the Python
client's error codes are the C library's, from the one list of them.
usage: gen_codes.py path/to/mgr.h path/to/_codes.py"""
import re
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    text = open(src, encoding="utf-8").read()
    block = text.split("#define MGR_ERRORS(X)", 1)[1].split("\n\n", 1)[0]
    codes = re.findall(r'X\((MGR_[A-Z]+), "([^"]*)"\)', block)
    if not codes or codes[0][0] != "MGR_OK":
        sys.exit("gen_codes.py: no MGR_ERRORS list in %s" % src)
    with open(out, "w", encoding="utf-8") as f:
        f.write("# Generated from mgr.h's MGR_ERRORS by gen_codes.py: do "
                "not edit.\n")
        f.write("CODES = [\n")
        for name, what in codes:
            f.write("    (%r, %r),\n" % (name[4:], what))
        f.write("]\n")


if __name__ == "__main__":
    main()
