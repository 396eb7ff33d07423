#!/usr/bin/env python3
"""Prove that abi_check.py notices ABI changes.

Copies uroce's headers of one set (--set verbs: libibverbs/infiniband;
--set rdmacm: librdmacm/rdma) to a scratch directory, plants a set of
deliberate ABI breaks in the copy (one of each kind the checker claims to
cover), runs abi_check.py against the copy and passes only if every
planted break is reported and the checker exits with status 1.

Then plants logic-only breaks of the inlines, one at a time, each of which
must be caught by inline_check.py.

Usage: abi_detects_change.py [--set S] OURS [--include DIR]... [--cc CC]
OURS holds the set's directory; --include adds the include directories its
headers need (libibverbs for the rdmacm set).

Exit status: 0 all breaks detected, 1 something went unnoticed (or the
mutation no longer applies), 77 the system headers are absent (skip).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# (file, pattern, replacement, substring the checker must report)
VERBS_MUTATIONS = [
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


CM_MUTATIONS = [
    # an enum constant changes value
    ("rdma_cma.h", r"RDMA_PS_UDP = 0x0111,", "RDMA_PS_UDP = 0x0112,",
     "enum RDMA_PS_UDP:"),
    # a member is inserted: everything after it moves
    ("rdma_cma.h", r"(struct rdma_cm_id \{\n)",
     r"\1\tvoid *uroce_abi_mutation;\n",
     "offsetof struct rdma_cm_id.route:"),
    # a member changes type but not size or offset
    ("rdma_cma.h", r"uint8_t srq;", "int8_t srq;",
     "membertype struct rdma_conn_param.srq:"),
    # a member of an anonymous union is renamed
    ("rdma_cma.h", r"struct sockaddr_in6 dst_sin6;",
     "struct sockaddr_in6 dst_in6;", "offsetof struct rdma_addr.dst_sin6:"),
    # an object-like macro changes value
    ("rdma_cma.h", r"#define RDMA_UDP_QKEY 0x01234567",
     "#define RDMA_UDP_QKEY 0x01234568", "macro RDMA_UDP_QKEY:"),
    # a prototype changes
    ("rdma_cma.h", r"int rdma_listen\(", "long rdma_listen(",
     "function rdma_listen:"),
    # a static inline's prototype changes
    ("rdma_verbs.h", r"static inline int rdma_post_sendv\(",
     "static inline long rdma_post_sendv(", "function rdma_post_sendv:"),
]


# Logic-only breaks (no layout change) that the inline trace must catch,
# each on its own: (file, pattern, replacement)
VERBS_INLINE_MUTATIONS = [
    # ENOSYS from query_device_ex no longer falls back to ibv_query_device
    ("verbs.h", r"ret != EOPNOTSUPP && ret != ENOSYS", "ret != EOPNOTSUPP"),
    # the verbs_context.sz bound is off by one
    ("verbs.h", r"__vctx->sz < sizeof\(\*__vctx\) -",
     "__vctx->sz <= sizeof(*__vctx) -"),
]

CM_INLINE_MUTATIONS = [
    # UD sends lose the CM's Q_Key
    ("rdma_verbs.h", r"remote_qkey = RDMA_UDP_QKEY;", "remote_qkey = 0;"),
    # the receive completion's event is never acknowledged
    ("rdma_verbs.h", r"ibv_ack_cq_events\(id->recv_cq, 1\);", "(void)0;"),
    # a failed arm of the send CQ leaks the verbs error code
    ("rdma_verbs.h", r"(ibv_req_notify_cq\(id->send_cq, 0\);\n"
     r"\s*if \(ret\)\n\s*)return rdma_seterrno\(ret\);", r"\1return ret;"),
    # remote-read registration asks for remote write instead
    ("rdma_verbs.h", r"IBV_ACCESS_REMOTE_READ\)", "IBV_ACCESS_REMOTE_WRITE)"),
    # the receive buffer bound check is off by one
    ("rdma_verbs.h", r"length <= \(uint8_t \*\)mr->addr",
     "length < (uint8_t *)mr->addr"),
]

# set -> (directory, mutations, inline mutations, a system header)
SETS = {
    "verbs": ("infiniband", VERBS_MUTATIONS, VERBS_INLINE_MUTATIONS,
              "/usr/include/infiniband/verbs.h"),
    "rdmacm": ("rdma", CM_MUTATIONS, CM_INLINE_MUTATIONS,
               "/usr/include/rdma/rdma_cma.h"),
}


def mutate(ours, subdir, tmp, muts):
    shutil.copytree(os.path.join(ours, subdir), os.path.join(tmp, subdir))
    for mut in muts:
        fname, pat, rep = mut[0], mut[1], mut[2]
        path = os.path.join(tmp, subdir, fname)
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


def inline_phase(args, subdir, muts):
    """Logic-only breaks: the layout check passes, the trace check fails."""
    ok = True
    for mut in muts:
        tmp = tempfile.mkdtemp(prefix="uroce-abi-inl-")
        try:
            if not mutate(args.ours, subdir, tmp, [mut]):
                return False
            cmd = [sys.executable, os.path.join(HERE, "inline_check.py"),
                   "--set", args.set, "--ours", tmp]
            for inc in args.include:
                cmd += ["--ours", inc]
            if args.cc:
                cmd += ["--cc", args.cc]
            res = subprocess.run(cmd, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 universal_newlines=True)
            if res.returncode != 1 or "0 differences" in res.stdout:
                print("MISSED: inline logic break %r not detected (exit %d)"
                      % (mut[1], res.returncode))
                print(res.stdout)
                ok = False
                continue
            last = res.stdout.strip().splitlines()[-1]
            print("detected: inline logic break %r (%s)" % (mut[1], last))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return ok


def main():
    ap = argparse.ArgumentParser(
        usage="abi_detects_change.py [--set S] OURS [--include DIR]... "
        "[--cc CC]")
    ap.add_argument("ours")
    ap.add_argument("--set", default="verbs", choices=sorted(SETS))
    ap.add_argument("--include", action="append", default=[])
    ap.add_argument("--cc", default=None)
    args, extra = ap.parse_known_args()
    args.ours = os.path.realpath(args.ours)
    args.include = [os.path.realpath(i) for i in args.include]
    if args.cc:
        extra += ["--cc", args.cc]
    subdir, mutations, inline_mutations, sys_header = SETS[args.set]
    if not os.path.exists(sys_header):
        print("abi_detects_change: system headers absent; skipping")
        return 77

    tmp = tempfile.mkdtemp(prefix="uroce-abi-mut-")
    try:
        if not mutate(args.ours, subdir, tmp, mutations):
            return 1

        cmd = [sys.executable, os.path.join(HERE, "abi_check.py"),
               "--set", args.set, "--ours", tmp]
        for inc in args.include:
            cmd += ["--ours", inc]
        res = subprocess.run(cmd + extra,
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
        for _, pat, _, expect in mutations:
            hit = [ln for ln in out.splitlines()
                   if ln.startswith("DIFF " + expect)]
            if hit:
                print("detected: %s" % hit[0])
            else:
                print("MISSED: %s (planted with %r)" % (expect, pat))
                ok = False
        if not inline_phase(args, subdir, inline_mutations):
            ok = False
        if not ok:
            print("---- checker output ----")
            print(out)
            return 1
        print("abi_detects_change: all %d planted breaks detected (%s)"
              % (len(mutations) + len(inline_mutations), m.group(0)))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
