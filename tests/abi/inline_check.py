#!/usr/bin/env python3
"""Compare the behaviour of the verbs.h/ib.h inlines with rdma-core's.

Builds inline_probe.c against the system headers and against uroce's
(at -O0 and -O2, since __builtin_constant_p in the ibv_reg_mr macros can
depend on it), runs the four programs and diffs the traces.

Exit status: 0 identical, 1 different or broken, 77 system headers absent.
"""

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def build_and_run(cc, inc, opt, workdir, tag):
    exe = os.path.join(workdir, "inline_probe_%s%s" % (tag, opt))
    cmd = [cc, "-std=gnu11", opt, "-Wall", "-Wextra", "-Wno-cpp", "-o", exe]
    if inc:
        cmd += ["-I", inc]
    cmd += [os.path.join(HERE, "inline_probe.c"), "-lpthread"]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    if res.returncode != 0:
        return None, "build (%s %s) failed:\n%s" % (tag, opt, res.stderr)
    res = subprocess.run([exe], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    if res.returncode != 0:
        return None, "probe (%s %s) exited %d:\n%s" % (
            tag, opt, res.returncode, res.stderr)
    return res.stdout.splitlines(), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--cc", default=os.environ.get("CC") or "cc")
    args = ap.parse_args()

    if not os.path.exists("/usr/include/infiniband/verbs.h"):
        print("abi_inlines: system headers absent; skipping")
        return 77
    workdir = tempfile.mkdtemp(prefix="uroce-inl-")
    total = 0
    try:
        for opt in ("-O0", "-O2"):
            sys_out, err = build_and_run(args.cc, None, opt, workdir, "sys")
            if err:
                print("abi_inlines: " + err)
                return 1
            our_out, err = build_and_run(args.cc, args.ours, opt, workdir,
                                         "uroce")
            if err:
                print("abi_inlines: " + err)
                total += 1
                continue
            diff = list(difflib.unified_diff(sys_out, our_out, "rdma-core",
                                             "uroce", lineterm="", n=3))
            ndiff = sum(1 for d in diff if d.startswith("+")
                        and not d.startswith("+++"))
            ndiff += sum(1 for d in diff if d.startswith("-")
                         and not d.startswith("---"))
            print("abi_inlines %s: %d trace lines, %d differing"
                  % (opt, len(sys_out), ndiff))
            for d in diff[:200]:
                print(d)
            total += ndiff
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("abi_inlines: %d differences" % total)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
