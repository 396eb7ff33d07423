#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""jcheck.py FILE EXPR [NAME=VALUE...]: exits 0 if the Python expression
EXPR is true for d, the JSON document in FILE, with each NAME bound to
VALUE (an int if it is one); else prints the document and exits 1."""
import json
import sys


def main():
    with open(sys.argv[1]) as f:
        text = f.read()
    env = {"d": json.loads(text)}
    for arg in sys.argv[3:]:
        name, _, val = arg.partition("=")
        env[name] = int(val) if val.lstrip("-").isdigit() else val
    if eval(sys.argv[2], env):
        return 0
    print("jcheck: false: %s\n%s" % (sys.argv[2], text), file=sys.stderr)
    return 1


sys.exit(main())
