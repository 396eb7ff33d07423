#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
run_pyverbs.py TESTDIR --dev DEV --gid 0 MODULE...: runs rdma-core's Python
test modules from TESTDIR (an unpacked copy of /usr/share/doc/rdma-core/
tests) as its run_tests.py does, then prints

    Ran N tests, failures=F, errors=E, skipped=M
    SKIP <test id>: <reason>            (allowed: <why>)

and exits 1 on any failure or error, or on a skip that ALLOWED below does
not list. Each entry names the test ids it covers (a regular expression),
the skip reason it expects (another), and why that skip is acceptable: a
feature that kernel soft-RoCE (rxe) lacks too, or one that has no meaning
without hardware. A listed test that skips for another reason fails.
"""
import os
import re
import sys
import unittest
from importlib.machinery import SourceFileLoader

ALLOWED = [
    # XRC: rxe has no XRC domains either (ibv_open_xrcd is EOPNOTSUPP).
    (r'.*xrc.*', r'Create XRCD is not supported',
     'XRC: kernel soft-RoCE has no XRC either'),
    # Device memory is on-chip memory of an HCA.
    (r'tests\.test_mr\.DeviceMemory.*|tests\.test_device\.(Shared)?DMTest\..*',
     r'Device memory is not supported',
     'device memory (ibv_alloc_dm): on-device memory, no meaning without '
     'hardware; rxe lacks it too'),
    # dma-buf MRs need a GPU exporter (/dev/dri) and DMA.
    (r'tests\.test_mr\.DmaBuf.*', r'dmabuf',
     'dma-buf MRs: need a GPU exporter and DMA, no meaning without '
     'hardware; rxe lacks them too'),
    # Raw Ethernet QPs send frames below IP; uroce is UDP sockets.
    (r'tests\.test_qp\..*raw.*', r'Raw Packet QP|To Create RAW QP',
     'raw packet QPs: rxe has none either'),
    # ibv_import_device/pd/mr share kernel objects through the uverbs fd
    # of another process; uroce keeps every object in the process, so
    # importing has no meaning (EOPNOTSUPP, as issue 14 asks).
    (r'tests\.test_shared_pd\..*', r'Importing a device is not supported',
     'importing a device/PD/MR: shares kernel-held objects, which uroce '
     'does not have'),
    # Huge pages: pyverbs.sh reserves some where it may; where the
    # sysctl is not writable (a container) none are, and the tests skip.
    (r'.*huge.*', r'There are no huge pages',
     'no 2 MiB huge pages reserved on this host (an environment limit, '
     'the same for rxe); the tests run where vm.nr_hugepages > 0'),
]


def allowed(test_id, reason):
    for ids, why_re, why in ALLOWED:
        if re.fullmatch(ids, test_id) and re.search(why_re, reason):
            return why
    return None


def main():
    testdir = sys.argv[1]
    sys.path.insert(0, testdir)
    sys.argv = [os.path.join(testdir, 'run_tests.py')] + sys.argv[2:]
    from args_parser import parser
    tests = SourceFileLoader('tests', os.path.join(testdir, '__init__.py')) \
        .load_module()
    parser.parse_args()  # takes --dev, --gid...; leaves the module names
    names = [a for a in sys.argv[1:] if not a.startswith('-')]
    suite = unittest.defaultTestLoader.loadTestsFromNames(names, tests)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout) \
        .run(suite)

    print('Ran {} tests, failures={}, errors={}, skipped={}'.format(
        result.testsRun, len(result.failures), len(result.errors),
        len(result.skipped)))
    bad = []
    for test, reason in result.skipped:
        why = allowed(test.id(), reason)
        print('SKIP {}: {}{}'.format(test.id(), reason,
                                      '  (allowed: {})'.format(why)
                                      if why else '  (NOT ALLOWED)'))
        if not why:
            bad.append(test.id())
    for test, _ in result.failures + result.errors:
        print('FAIL {}'.format(test.id()))
    if bad:
        print('skips not on the allow-list: {}'.format(' '.join(bad)))
    return 0 if result.wasSuccessful() and not bad else 1


if __name__ == '__main__':
    sys.exit(main())
