#!/usr/bin/env python3
"""Prove that abi_check.py notices ABI changes.

Copies uroce's headers to a scratch directory, plants a set of deliberate
ABI breaks in the copy (one of each kind the checker claims to cover),
runs abi_check.py against the copy and passes only if every planted break
is reported and the checker exits with status 1.

Then does the same with logic-only breaks of the inlines, which must be
caught by inline_check.py.

Exit status: 0 all breaks detected, 1 something went unnoticed (or the
mutation no longer applies), 77 the system headers are absent (skip).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# (file, pattern, replacement, substring the checker must report)
MUTATIONS = [
    # an enum constant changes value
    ("verbs.h", r"IBV_WC_RECV = 1 << 7,", "IBV_WC_RECV = 1 << 6,",
     "enum IBV_WC_RECV:"),
    # a member is inserted: everything after it moves
    ("verbs.h", r"(struct ibv_port_attr \{\n)",
     r"\1\tuint32_t uroce_abi_mutation;\n",
     "offsetof struct ibv_port_attr.max_mtu:"),
    # a member changes type but not offset (last member)
    ("verbs.h", r"uint16_t port_cap_flags2;", "uint32_t port_cap_flags2;",
     "membertype struct ibv_port_attr.port_cap_flags2:"),
    # an object-like macro changes value
    ("verbs.h", r"#define ETHERNET_LL_SIZE 6", "#define ETHERNET_LL_SIZE 8",
     "macro ETHERNET_LL_SIZE:"),
    # a prototype changes
    ("verbs.h", r"int ibv_fork_init\(void\);", "long ibv_fork_init(void);",
     "function ibv_fork_init:"),
    # an enum constant disappears from another header
    ("opcode.h", r"\tIBV_OPCODE\(UD, SEND_ONLY_WITH_IMMEDIATE\)\n", "",
     "enum IBV_OPCODE_UD_SEND_ONLY_WITH_IMMEDIATE:"),
    # a member of an anonymous union is renamed
    ("verbs.h", r"uint32_t invalidated_rkey;", "uint32_t invalidated_key;",
     "offsetof struct ibv_wc.invalidated_rkey:"),
]


# Logic-only breaks (no layout change) that the inline trace must catch:
# (file, pattern, replacement)
INLINE_MUTATIONS = [
    # ENOSYS from query_device_ex no longer falls back to ibv_query_device
    ("verbs.h", r"ret != EOPNOTSUPP && ret != ENOSYS", "ret != EOPNOTSUPP"),
    # the verbs_context.sz bound is off by one
    ("verbs.h", r"__vctx->sz < sizeof\(\*__vctx\) -",
     "__vctx->sz <= sizeof(*__vctx) -"),
]


def mutate(ours, tmp, muts):
    shutil.copytree(os.path.join(ours, "infiniband"),
                    os.path.join(tmp, "infiniband"))
    for mut in muts:
        fname, pat, rep = mut[0], mut[1], mut[2]
        path = os.path.join(tmp, "infiniband", fname)
        with open(path) as fp:
            text = fp.read()
        new, n = re.subn(pat, rep, text, count=1)
        if n != 1:
            print("abi_detects_change: mutation %r no longer applies to "
                  "%s; update the test" % (pat, fname))
            return False
        with open(path, "w") as fp:
            fp.write(new)
    return True


def inline_phase(ours, extra):
    """A logic-only break: the layout check passes, the trace check fails."""
    tmp = tempfile.mkdtemp(prefix="uroce-abi-inl-")
    try:
        if not mutate(ours, tmp, INLINE_MUTATIONS):
            return False
        cc = []
        if "--cc" in extra:
            cc = ["--cc", extra[extra.index("--cc") + 1]]
        res = subprocess.run([sys.executable,
                              os.path.join(HERE, "inline_check.py"),
                              "--ours", tmp] + cc,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        if res.returncode != 1 or "0 differences" in res.stdout:
            print("MISSED: inline logic breaks not detected (exit %d)"
                  % res.returncode)
            print(res.stdout)
            return False
        last = res.stdout.strip().splitlines()[-1]
        print("detected: inline logic breaks (%s)" % last)
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        print("usage: abi_detects_change.py OURS_INCLUDE_DIR [checker args]")
        return 2
    ours = os.path.realpath(sys.argv[1])
    extra = sys.argv[2:]
    if not os.path.exists("/usr/include/infiniband/verbs.h"):
        print("abi_detects_change: system headers absent; skipping")
        return 77

    tmp = tempfile.mkdtemp(prefix="uroce-abi-mut-")
    try:
        if not mutate(ours, tmp, MUTATIONS):
            return 1

        res = subprocess.run([sys.executable,
                              os.path.join(HERE, "abi_check.py"),
                              "--ours", tmp] + extra,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        out = res.stdout
        if res.returncode == 77:
            print(out)
            return 77
        ok = True
        if res.returncode != 1:
            print("abi_detects_change: checker exited %d, expected 1"
                  % res.returncode)
            ok = False
        m = re.search(r"abi: (\d+) differences", out)
        if not m or int(m.group(1)) == 0:
            print("abi_detects_change: checker reported no differences")
            ok = False
        for _, pat, _, expect in MUTATIONS:
            hit = [ln for ln in out.splitlines()
                   if ln.startswith("DIFF " + expect)]
            if hit:
                print("detected: %s" % hit[0])
            else:
                print("MISSED: %s (planted with %r)" % (expect, pat))
                ok = False
        if not inline_phase(ours, extra):
            ok = False
        if not ok:
            print("---- checker output ----")
            print(out)
            return 1
        print("abi_detects_change: all %d planted breaks detected (%s)"
              % (len(MUTATIONS), m.group(0)))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
