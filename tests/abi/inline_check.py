#!/usr/bin/env python3
"""Compare the behaviour of the header inlines with rdma-core's.

--set verbs (default): inline_probe.c drives the inlines of verbs.h/ib.h;
--set rdmacm: cm_inline_probe.c drives those of rdma_cma.h/rdma_verbs.h.
The probe is built against the system headers and against uroce's (at
-O0 and -O2, since __builtin_constant_p in the ibv_reg_mr macros can
depend on it), the four programs are run and the traces diffed.

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

# set -> (probe source, system headers it needs, their package)
SETS = {
    "verbs": ("inline_probe.c", ["/usr/include/infiniband/verbs.h"],
              "libibverbs-dev"),
    "rdmacm": ("cm_inline_probe.c", ["/usr/include/infiniband/verbs.h",
                                     "/usr/include/rdma/rdma_cma.h",
                                     "/usr/include/rdma/rdma_verbs.h"],
               "librdmacm-dev"),
}


def build_and_run(cc, probe, incs, opt, workdir, tag):
    exe = os.path.join(workdir, "inline_probe_%s%s" % (tag, opt))
    cmd = [cc, "-std=gnu11", opt, "-Wall", "-Wextra", "-Wno-cpp", "-o", exe]
    for inc in incs or []:
        cmd += ["-I", inc]
    cmd += [os.path.join(HERE, probe), "-lpthread"]
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
    ap.add_argument("--set", default="verbs", choices=sorted(SETS))
    ap.add_argument("--ours", required=True, action="append",
                    help="uroce include dir; repeat as needed "
                    "(librdmacm, then libibverbs)")
    ap.add_argument("--cc", default=os.environ.get("CC") or "cc")
    args = ap.parse_args()

    probe, needed, package = SETS[args.set]
    for h in needed:
        if not os.path.exists(h):
            print("abi_inlines: %s absent (%s); skipping" % (h, package))
            return 77
    workdir = tempfile.mkdtemp(prefix="uroce-inl-")
    total = 0
    try:
        for opt in ("-O0", "-O2"):
            sys_out, err = build_and_run(args.cc, probe, None, opt, workdir,
                                         "sys")
            if err:
                print("abi_inlines: " + err)
                return 1
            our_out, err = build_and_run(args.cc, probe, args.ours, opt,
                                         workdir, "uroce")
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
