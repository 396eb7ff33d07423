#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Prints the loops of calls between the provider's files.

From the object files of a build (default ./build): file A calls file B
when A.o uses a uroce_* symbol that B.o defines. Prints each strongly
connected component of that graph with the symbols behind its edges, or
"no cycles". Usage: scripts/file_cycles.py [BUILD_DIR]
"""
import collections
import glob
import os
import subprocess
import sys

build = sys.argv[1] if len(sys.argv) > 1 else 'build'
objs = sorted(glob.glob(os.path.join(
    build, 'providers/uroce/CMakeFiles/uroce*.dir/*.o')))
if not objs:
    sys.exit('no provider objects under %s: build first' % build)
defs, uses = {}, collections.defaultdict(set)
for o in objs:
    name = os.path.basename(o).replace('.c.o', '')
    out = subprocess.run(['nm', o], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == 'U' and f[1].startswith('uroce_'):
            uses[name].add(f[1])
        elif len(f) == 3 and f[1] in 'TDBR':
            defs[f[2]] = name
edges = collections.defaultdict(set)
for a, syms in uses.items():
    edges[a] |= {defs[s] for s in syms if s in defs and defs[s] != a}

# Tarjan's strongly connected components.
index, low, stack, on, comps = {}, {}, [], set(), []
sys.setrecursionlimit(10000)


def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comps.append(sorted(comp))


for v in sorted(set(defs.values()) | set(uses)):
    if v not in index:
        visit(v)
for comp in comps:
    print('cycle (%d): %s' % (len(comp), ' '.join(comp)))
    for a in comp:
        for b in sorted(edges[a] & set(comp)):
            why = sorted(s for s in uses[a] if defs.get(s) == b)
            print('   %s -> %s: %s' % (a, b, ' '.join(why)))
if not comps:
    print('no cycles')
