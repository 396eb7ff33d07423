#!/usr/bin/env python3
"""ABI comparison of uroce's public headers with the installed rdma-core's.

Two header sets are checked, one per run (--set): "verbs", uroce's
<infiniband/*.h> (libibverbs/) against libibverbs-dev's, and "rdmacm",
uroce's <rdma/rdma_cma.h>, <rdma/rdma_verbs.h> and <rdma/rsocket.h>
(librdmacm/, which include uroce's <infiniband/*.h>) against
librdmacm-dev's.

What is compared is derived from the system headers, never listed by hand:

  * clang's JSON AST of a translation unit including the system headers
    gives every struct/union (with members, recursing into anonymous and
    unnamed nested records), every enum and enum constant, every typedef
    and every function declared in them;
  * the preprocessor (-E -dD) gives every macro they leave defined.

From that a C probe is generated that prints one "key<TAB>value" line per
fact: sizeof/alignof of each record, offsetof and sizeof of each member,
each enum constant's value, sizeof and signedness of each named enum, each
macro's presence and, for macros with an integer value, that value.  The
probe is built once against the system headers and once with uroce's
include directory first, and both outputs are compared.  Member types and
function prototypes (including static/inline) are compared from the two
ASTs.  Anything present in the system headers and absent, different or
not compiling with uroce's counts as one difference.

Exit status: 0 no differences, 1 differences (or a broken header set),
77 the system headers of the set are not installed (ctest skip),
2 usage/tool error.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

# The headers rdma-core installs under infiniband/ that uroce provides.
VERBS_HEADERS = [
    "verbs.h",
    "verbs_api.h",
    "ib_user_ioctl_verbs.h",
    "opcode.h",
    "sa.h",
    "sa-kern-abi.h",
    "tm_types.h",
    "ib.h",
    "arch.h",
]


class HeaderSet:
    """One set of public headers: where the system and uroce keep them."""

    def __init__(self, name, subdir, headers, package, marker, extra=()):
        self.name = name
        self.subdir = subdir            # infiniband or rdma
        self.headers = headers          # the ones compared
        self.sysdir = "/usr/include/" + subdir
        self.package = package
        self.marker = marker            # macro only uroce's first header sets
        self.extra = list(extra)        # uroce-only headers, compile check


SETS = {
    "verbs": HeaderSet("verbs", "infiniband", VERBS_HEADERS,
                       "libibverbs-dev", "UROCE_VERBS_H",
                       ["uroce_private.h"]),
    "rdmacm": HeaderSet("rdmacm", "rdma",
                        ["rdma_cma.h", "rdma_verbs.h", "rsocket.h"],
                        "librdmacm-dev", "UROCE_RDMA_CMA_H"),
}

# The set being checked (chosen in main())
CUR = SETS["verbs"]

# Identifiers that may appear in an integer-valued macro's expansion
# besides enum constants.
C_TYPE_WORDS = {
    "void", "char", "short", "int", "long", "signed", "unsigned",
    "_Bool", "const", "volatile", "__extension__",
    "int8_t", "int16_t", "int32_t", "int64_t",
    "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "uintptr_t", "intptr_t", "size_t",
    "__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64",
}


def die(msg, code=2):
    print("abi: " + msg, file=sys.stderr)
    sys.exit(code)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kw)


def tu_text(extra=""):
    lines = ["#include <%s/%s>" % (CUR.subdir, h) for h in CUR.headers]
    return "\n".join(lines) + "\n" + extra


def include_args(ours):
    """ours: None (the system headers) or uroce's include directories."""
    args = []
    for d in ours or []:
        args += ["-I", d]
    return args


# ---------------------------------------------------------------------------
# AST extraction
# ---------------------------------------------------------------------------

def annotate_files(node, state):
    """Give every location dict a '_file' key.

    clang's JSON dumper prints a location's file only when it differs from
    the previously printed one, so the file has to be tracked in document
    order (dict order is preserved by json.load)."""
    if isinstance(node, dict):
        if "file" in node and ("offset" in node or "line" in node
                               or "col" in node):
            state[0] = node["file"]
        if "offset" in node or "line" in node or "col" in node:
            node["_file"] = state[0]
        for key, val in node.items():
            if key in ("includedFrom", "_file"):
                continue
            if isinstance(val, (dict, list)):
                annotate_files(val, state)
    elif isinstance(node, list):
        for val in node:
            annotate_files(val, state)


def decl_file(node):
    loc = node.get("loc") or {}
    if "expansionLoc" in loc:
        loc = loc["expansionLoc"]
    elif "spellingLoc" in loc:
        loc = loc["spellingLoc"]
    return loc.get("_file")


ANON_RE = re.compile(r"\((anonymous|unnamed)( (struct|union|enum))? at [^)]*\)")


def norm_type(qt):
    qt = ANON_RE.sub(r"(\1)", qt)
    return re.sub(r"\s+", " ", qt).strip()


def is_inline_type(qt):
    return "(anonymous" in qt or "(unnamed" in qt


class Model:
    def __init__(self):
        self.records = {}      # "struct x" -> [(path, type, bitfield)]
        self.enums = []        # (name or None, [constants])
        self.typedefs = {}     # name -> type
        self.functions = {}    # name -> "type|storage|inline"


def record_members(rec, prefix, out):
    last_rec = None
    for ch in rec.get("inner", []):
        kind = ch.get("kind")
        if kind == "RecordDecl":
            last_rec = ch
            continue
        if kind != "FieldDecl":
            continue
        qt = ch["type"]["qualType"]
        name = ch.get("name")
        nested = last_rec if (last_rec is not None and
                              is_inline_type(qt)) else None
        if not name:
            if nested is not None:
                record_members(nested, prefix, out)
            continue
        path = prefix + name
        out.append((path, norm_type(qt), bool(ch.get("isBitfield"))))
        if nested is not None:
            record_members(nested, path + ".", out)


def extract(ast, wanted):
    """Collect the declarations whose location satisfies wanted(path)."""
    m = Model()

    def visit(node, top):
        kind = node.get("kind")
        f = decl_file(node)
        mine = f is not None and wanted(f)
        if kind == "RecordDecl" and mine and node.get("completeDefinition"):
            if node.get("name"):
                key = "%s %s" % (node["tagUsed"], node["name"])
                mem = []
                record_members(node, "", mem)
                m.records[key] = mem
        elif kind == "EnumDecl" and mine:
            consts = [c["name"] for c in node.get("inner", [])
                      if c.get("kind") == "EnumConstantDecl"]
            if consts:
                m.enums.append((node.get("name"), consts))
        elif kind == "TypedefDecl" and mine and top:
            m.typedefs[node["name"]] = norm_type(node["type"]["qualType"])
        elif kind == "FunctionDecl" and mine and top:
            sig = "%s|%s|%s" % (norm_type(node["type"]["qualType"]),
                                node.get("storageClass", "extern"),
                                "inline" if node.get("inline") else "")
            m.functions[node["name"]] = sig
        # named records may be defined inside others; enums too
        if kind in ("RecordDecl", "TranslationUnitDecl"):
            for ch in node.get("inner", []):
                visit(ch, kind == "TranslationUnitDecl")

    visit(ast, True)
    return m


def ast_model(clang, ours, workdir, wanted, tag):
    src = os.path.join(workdir, "ast_%s.c" % tag)
    with open(src, "w") as fp:
        fp.write(tu_text())
    cmd = [clang, "-std=gnu11", "-Wno-#warnings", "-Wno-cpp",
           "-fsyntax-only", "-Xclang", "-ast-dump=json"] + \
        include_args(ours) + [src]
    res = run(cmd)
    if res.returncode != 0:
        print(res.stderr, file=sys.stderr)
        return None
    ast = json.loads(res.stdout)
    annotate_files(ast, [None])
    return extract(ast, wanted)


# ---------------------------------------------------------------------------
# Macro extraction
# ---------------------------------------------------------------------------

LINEMARK_RE = re.compile(r'^# \d+ "([^"]*)"')
DEFINE_RE = re.compile(r"^#define ([A-Za-z_]\w*)(\(?)(.*)$")
UNDEF_RE = re.compile(r"^#undef ([A-Za-z_]\w*)")


def macros(cc, ours, workdir, wanted, tag):
    """Macros the headers leave defined: name -> function-like?"""
    src = os.path.join(workdir, "macros_%s.c" % tag)
    with open(src, "w") as fp:
        fp.write(tu_text())
    res = run([cc, "-std=gnu11", "-E", "-dD", "-Wno-cpp"] +
              include_args(ours) + [src])
    if res.returncode != 0:
        print(res.stderr, file=sys.stderr)
        return None
    cur = None
    found = {}
    for line in res.stdout.splitlines():
        lm = LINEMARK_RE.match(line)
        if lm:
            cur = lm.group(1)
            continue
        dm = DEFINE_RE.match(line)
        if dm:
            if cur and wanted(cur):
                found[dm.group(1)] = dm.group(2) == "("
            else:
                found.pop(dm.group(1), None)
            continue
        um = UNDEF_RE.match(line)
        if um:
            found.pop(um.group(1), None)
    return found


def integer_macros(cc, names, enum_consts, workdir):
    """The object-like macros whose expansion is an integer expression."""
    src = os.path.join(workdir, "expand.c")
    with open(src, "w") as fp:
        fp.write(tu_text())
        for n in names:
            fp.write("\"@@@%s\" %s\n" % (n, n))
    res = run([cc, "-std=gnu11", "-E", "-P", "-Wno-cpp", src])
    if res.returncode != 0:
        print(res.stderr, file=sys.stderr)
        return set()
    ok = set()
    for line in res.stdout.splitlines():
        mm = re.match(r'^"@@@(\w+)" (.*)$', line)
        if not mm:
            continue
        name, exp = mm.group(1), mm.group(2).strip()
        if not exp:
            continue
        idents = re.findall(r"[A-Za-z_]\w*", re.sub(
            r"\b0[xX][0-9a-fA-F]+[uUlL]*\b|\b\d+[uUlL]*\b", " ", exp))
        if all(i in C_TYPE_WORDS or i in enum_consts for i in idents):
            ok.add(name)
    return ok


# ---------------------------------------------------------------------------
# Probe
# ---------------------------------------------------------------------------

class Item:
    def __init__(self, key, code):
        self.key = key
        self.code = code


def probe_items(model, macro_names, int_macros):
    items = []
    for rec in sorted(model.records):
        items.append(Item("sizeof %s" % rec,
                          "P(\"sizeof %s\", sizeof(%s));" % (rec, rec)))
        items.append(Item("alignof %s" % rec,
                          "P(\"alignof %s\", __alignof__(%s));"
                          % (rec, rec)))
        for path, _, bitfield in model.records[rec]:
            if bitfield:
                continue
            items.append(Item(
                "offsetof %s.%s" % (rec, path),
                "P(\"offsetof %s.%s\", offsetof(%s, %s));"
                % (rec, path, rec, path)))
            items.append(Item(
                "membersize %s.%s" % (rec, path),
                "P(\"membersize %s.%s\", sizeof(((%s *)0)->%s));"
                % (rec, path, rec, path)))
    for name, consts in model.enums:
        if name:
            items.append(Item("enumsize enum %s" % name,
                              "P(\"enumsize enum %s\", sizeof(enum %s));"
                              % (name, name)))
            items.append(Item("enumsigned enum %s" % name,
                              "P(\"enumsigned enum %s\", "
                              "(enum %s)-1 < (enum %s)0);"
                              % (name, name, name)))
        for c in consts:
            items.append(Item("enum %s" % c,
                              "P(\"enum %s\", %s);" % (c, c)))
    for typ in sorted(model.typedefs):
        items.append(Item("sizeof typedef %s" % typ,
                          "P(\"sizeof typedef %s\", sizeof(%s));"
                          % (typ, typ)))
    for name in sorted(macro_names):
        items.append(Item(
            "defined %s" % name,
            "\n#ifdef %s\nP(\"defined %s\", 1);\n#else\n"
            "P(\"defined %s\", 0);\n#endif\n" % (name, name, name)))
        if name in int_macros:
            items.append(Item("macro %s" % name,
                              "P(\"macro %s\", (long long)(%s));"
                              % (name, name)))
    return items


PROBE_HEAD = r"""/* generated by abi_check.py - do not edit */
#include <stddef.h>
#include <stdio.h>
%(includes)s
%(marker)s
static void P(const char *key, long long val)
{
	printf("%%s\t%%lld\n", key, val);
}

int main(void)
{
"""


def write_probe(path, items, expect_uroce):
    first = CUR.headers[0]
    marker = ("#ifndef %s\n#error \"not uroce's %s\"\n#endif"
              % (CUR.marker, first) if expect_uroce else
              "#ifdef %s\n#error \"uroce's %s shadows the "
              "system one\"\n#endif" % (CUR.marker, first))
    head = PROBE_HEAD % {"includes": tu_text(), "marker": marker}
    lines = head.split("\n")
    owner = {}
    for idx, it in enumerate(items):
        start = len(lines) + 1
        code = it.code.split("\n")
        for off in range(len(code)):
            owner[start + off] = idx
        lines.extend(code)
    lines.append("\treturn 0;\n}\n")
    with open(path, "w") as fp:
        fp.write("\n".join(lines))
    return owner


ERR_RE = re.compile(r"^([^:\s]+):(\d+):\d+: (?:fatal )?error:")


def build_probe(cc, ours, items, workdir, tag):
    """Build and run the probe; items that do not compile are dropped.

    Returns (values, broken_keys) or (None, message) on a hard failure."""
    items = list(items)
    broken = []
    src = os.path.join(workdir, "probe_%s.c" % tag)
    exe = os.path.join(workdir, "probe_%s" % tag)
    for _ in range(20):
        owner = write_probe(src, items, ours is not None)
        res = run([cc, "-std=gnu11", "-w", "-o", exe] +
                  include_args(ours) + [src])
        if res.returncode == 0:
            break
        bad = set()
        hard = []
        for line in res.stderr.splitlines():
            em = ERR_RE.match(line)
            if not em:
                continue
            if os.path.basename(em.group(1)) == os.path.basename(src):
                ln = int(em.group(2))
                if ln in owner:
                    bad.add(owner[ln])
                    continue
            hard.append(line)
        if not bad:
            return None, "probe does not build (%s):\n%s" % (
                tag, "\n".join(hard) or res.stderr)
        broken.extend(items[i].key for i in sorted(bad))
        items = [it for i, it in enumerate(items) if i not in bad]
    else:
        return None, "probe does not build (%s) after retries" % tag
    # check which headers were used: every infiniband/ or rdma/ header that
    # uroce provides must come from uroce's directories (the kernel's
    # <rdma/*.h> uapi headers stay the system's), and none of them from
    # uroce's in the system probe
    res = run([cc, "-std=gnu11", "-M", "-w"] + include_args(ours) + [src])
    deps = re.findall(r"\S*(?:infiniband|rdma)/[\w.-]+\.h", res.stdout)
    for dep in deps:
        d = os.path.realpath(dep)
        rel = os.path.join(os.path.basename(os.path.dirname(d)),
                           os.path.basename(d))
        if ours:
            homes = [os.path.realpath(o) for o in ours
                     if os.path.exists(os.path.join(o, rel))]
            if homes and not any(d.startswith(h + os.sep) for h in homes):
                return None, "%s is not shadowed by uroce's headers" % d
        elif not d.startswith("/usr/include/"):
            return None, "system probe picked up %s" % d
    res = run([exe])
    if res.returncode != 0:
        return None, "probe (%s) failed to run: %s" % (tag, res.stderr)
    vals = {}
    for line in res.stdout.splitlines():
        key, _, val = line.partition("\t")
        vals[key] = val
    return (vals, broken), None


# ---------------------------------------------------------------------------
# Static comparisons (types, prototypes)
# ---------------------------------------------------------------------------

def static_facts(model):
    facts = {}
    for rec, mem in model.records.items():
        facts["record %s" % rec] = "defined"
        for path, qt, bitfield in mem:
            facts["membertype %s.%s" % (rec, path)] = qt + (
                " (bitfield)" if bitfield else "")
    for name, consts in model.enums:
        if name:
            facts["enumtype enum %s" % name] = "defined"
    for typ, qt in model.typedefs.items():
        facts["typedef %s" % typ] = qt
    for fn, sig in model.functions.items():
        facts["function %s" % fn] = sig
    return facts


# ---------------------------------------------------------------------------

def compile_check(cc, cxx, ours, workdir):
    """Every header compiles alone, as C and as C++, warning-free."""
    bad = []
    for h in CUR.headers + CUR.extra:
        if not os.path.exists(os.path.join(ours[0], CUR.subdir, h)):
            continue
        for lang, comp, std in (("c", cc, "gnu11"), ("c", cc, "gnu99"),
                                ("c++", cxx, "c++11"),
                                ("c++", cxx, "c++20")):
            if not comp:
                continue
            src = os.path.join(workdir, "hdr.%s" % ("c" if lang == "c"
                                                      else "cc"))
            with open(src, "w") as fp:
                fp.write("#include <%s/%s>\n" % (CUR.subdir, h))
            res = run([comp, "-x", lang, "-std=%s" % std, "-Wall",
                       "-Wextra", "-Werror", "-Wno-cpp", "-fsyntax-only"] +
                      include_args(ours) + [src])
            if res.returncode != 0:
                bad.append("%s (%s):\n%s" % (h, lang, res.stderr))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default="verbs", choices=sorted(SETS),
                    help="header set to compare (default verbs)")
    ap.add_argument("--ours", required=True, action="append",
                    help="uroce include dir holding the set's directory "
                    "(infiniband/ or rdma/); repeat for the include dirs "
                    "those headers need (librdmacm, then libibverbs)")
    ap.add_argument("--cc", default=os.environ.get("CC") or "cc")
    ap.add_argument("--cxx", default=None,
                    help="C++ compiler for the header compile check")
    ap.add_argument("--clang", default=None)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    global CUR
    CUR = SETS[args.set]
    # the reference: rdma-core's headers in the compiler's default path
    sysdir = CUR.sysdir
    for h in CUR.headers:
        if not os.path.exists(os.path.join(sysdir, h)):
            print("abi: %s/%s not installed (%s); skipping"
                  % (sysdir, h, CUR.package))
            return SKIP
    ours = [os.path.realpath(o) for o in args.ours]
    first = os.path.join(CUR.subdir, CUR.headers[0])
    if not os.path.exists(os.path.join(ours[0], first)):
        die("no %s under %s" % (first, ours[0]))
    clang = args.clang or shutil.which("clang") or shutil.which("clang-14")
    if not clang:
        die("clang is needed to read the system headers' AST "
            "(apt-get install clang)")
    cc = shutil.which(args.cc) or die("compiler %s not found" % args.cc)
    cxx = args.cxx if args.cxx is not None else (
        shutil.which("c++") or shutil.which("g++") or shutil.which("clang++"))

    workdir = args.workdir or tempfile.mkdtemp(prefix="uroce-abi-")
    os.makedirs(workdir, exist_ok=True)

    sys_real = os.path.realpath(sysdir)
    ours_inc = os.path.join(ours[0], CUR.subdir)

    def sys_wanted(f):
        f = os.path.realpath(f)
        return (os.path.dirname(f) == sys_real and
                os.path.basename(f) in CUR.headers)

    def ours_wanted(f):
        return os.path.dirname(os.path.realpath(f)) == ours_inc

    sysm = ast_model(clang, None, workdir, sys_wanted, "system")
    if sysm is None:
        die("clang cannot parse the system headers")
    ourm = ast_model(clang, ours, workdir, ours_wanted, "uroce")

    sys_macros = macros(cc, None, workdir, sys_wanted, "system")
    if sys_macros is None:
        die("cannot preprocess the system headers")
    enum_consts = {c for _, cs in sysm.enums for c in cs}
    obj_macros = [n for n, fn in sys_macros.items() if not fn]
    int_macros = integer_macros(cc, obj_macros, enum_consts, workdir)

    items = probe_items(sysm, sys_macros.keys(), int_macros)
    res, err = build_probe(cc, None, items, workdir, "system")
    if err:
        die(err)
    sys_vals, sys_broken = res
    if sys_broken:
        # not a uroce problem: the generator produced something that the
        # system headers themselves reject; leave those facts out
        if args.verbose:
            print("abi: ignoring %d probe items the system headers reject: "
                  "%s" % (len(sys_broken), ", ".join(sys_broken)))
        items = [it for it in items if it.key not in set(sys_broken)]

    diffs = []
    problems = []
    if ourm is None:
        problems.append("clang cannot parse uroce's headers")
        ourm = Model()
    res, err = build_probe(cc, ours, items, workdir, "uroce")
    if err:
        problems.append(err)
        our_vals, our_broken = {}, [it.key for it in items]
    else:
        our_vals, our_broken = res
    our_broken = set(our_broken)

    for key in sorted(sys_vals):
        if key in our_broken:
            diffs.append("%s: system %s, uroce: does not compile"
                         % (key, sys_vals[key]))
        elif key not in our_vals:
            diffs.append("%s: system %s, uroce: missing"
                         % (key, sys_vals[key]))
        elif our_vals[key] != sys_vals[key]:
            diffs.append("%s: system %s, uroce %s"
                         % (key, sys_vals[key], our_vals[key]))

    sf, of = static_facts(sysm), static_facts(ourm)
    for key in sorted(sf):
        if key not in of:
            diffs.append("%s: system %s, uroce: missing" % (key, sf[key]))
        elif of[key] != sf[key]:
            diffs.append("%s: system %s, uroce %s" % (key, sf[key], of[key]))

    bad_hdrs = compile_check(cc, cxx, ours, workdir)
    for b in bad_hdrs:
        problems.append("header does not compile warning-free: " + b)

    nmembers = sum(len(v) for v in sysm.records.values())
    nconsts = sum(len(c) for _, c in sysm.enums)
    print("abi: %s: compared %d structs/unions (%d members), %d enums "
          "(%d constants), %d macros (%d with integer values), "
          "%d functions, %d typedefs; %d probe values"
          % (CUR.name, len(sysm.records), nmembers, len(sysm.enums), nconsts,
             len(sys_macros), len(int_macros), len(sysm.functions),
             len(sysm.typedefs), len(sys_vals)))
    for d in diffs:
        print("DIFF " + d)
    for p in problems:
        print("ERROR " + p)
    total = len(diffs) + len(problems)
    print("abi: %d differences" % total)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
