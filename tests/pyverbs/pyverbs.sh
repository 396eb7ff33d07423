#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# rdma-core's Python test suite on uroce. Debian ships it with
# python3-pyverbs in /usr/share/doc/rdma-core/tests, partly gzip-compressed:
# a copy is unpacked in the test's temporary directory and run with
# Debian's /usr/bin/python3 (pyverbs is built for it) under `uroce run`,
# in a namespace whose veth (the peer in a second namespace gives it a
# carrier) carries an IPv4 address, GID 0, for the RDMA CM tests. Without
# namespaces (not root) it runs on uroce_lo of the caller's namespace.
# run_pyverbs.py prints the Ran/skipped line and every skip with its
# reason, and fails on a failure, an error or a skip off its allow-list.
#
# PYVERBS_MODULES overrides the list of modules (e.g. one module to debug).

# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"

TESTS_SRC=/usr/share/doc/rdma-core/tests
PYTHON=/usr/bin/python3
MODULES=${PYVERBS_MODULES:-"test_device test_pd test_mr test_cq \
test_cq_events test_cqex test_qp test_qpex test_atomic test_addr \
test_shared_pd test_rdmacm test_odp test_relaxed_ordering \
test_parent_domain test_fork"}

[[ -x $PYTHON ]] || skip "no $PYTHON"
"$PYTHON" -c 'import pyverbs' 2>/dev/null ||
	skip "python3-pyverbs is not installed"
[[ -e $TESTS_SRC/run_tests.py ]] || skip "no $TESTS_SRC"
[[ -n $LIBDIR && -e $LIBDIR/libibverbs.so.1 ]] ||
	fail "no libibverbs.so.1 in '$LIBDIR' (set BUILD or UROCE_TEST_LIBDIR)"
[[ -x $BINDIR/uroce ]] || fail "no uroce tool in '$BINDIR'"

# here CMD...: runs CMD as in_ns does, in the caller's namespace.
here() {
	timeout "$CMD_TIMEOUT" env -u UROCE_INCLUDE -u UROCE_EXCLUDE \
		-u UROCE_LO -u UROCE_RENAME -u UROCE_PROVIDER_DIR UROCE_CONF= \
		LD_LIBRARY_PATH="$LIBDIR" "$@"
}

if ns_available; then
	test_init
	ns_new A a
	ns_new B b
	veth "$A" va "$B" vb
	ip -n "$A" addr add 10.99.14.1/24 dev va
	ip -n "$B" addr add 10.99.14.2/24 dev vb
	ip -n "$A" link set va up
	ip -n "$B" link set vb up
	wait_state "$A" uroce_va PORT_ACTIVE
	dev=uroce_va
	run=(in_ns "$A")
else
	test_init
	log "$NS_WHY: on uroce_lo of this namespace"
	dev=uroce_lo
	run=(here)
fi
# The huge-page tests need 2 MiB pages reserved; reserve a few for the
# run where none are (and the sysctl is writable), and give them back.
hp=/proc/sys/vm/nr_hugepages
if [[ $(cat $hp 2>/dev/null) == 0 ]] && echo 8 2>/dev/null >$hp; then
	CLEAN_CMDS+=("echo 0 >$hp")
	log "reserved $(cat $hp) huge pages for the run"
fi
cp -r "$TESTS_SRC" "$TMP/tests"
find "$TMP/tests" -name '*.gz' -exec gunzip -f {} +

mapfile -t san < <(sanitizer_env)
log "device $dev, modules: $MODULES"
rc=0
# shellcheck disable=SC2086 # MODULES is a list of words
CMD_TIMEOUT=540 "${run[@]}" "${san[@]}" "$BINDIR/uroce" run "$PYTHON" \
	"$(dirname "$0")/run_pyverbs.py" "$TMP/tests" --dev "$dev" --gid 0 \
	$MODULES >"$TMP/out" 2>&1 || rc=$?
# The verbose per-test lines, then the summary of run_pyverbs.py.
cat "$TMP/out"
((rc == 0)) || fail "rdma-core's tests: exit status $rc (see above)"
grep -q '^Ran [0-9]* tests, failures=0, errors=0' "$TMP/out" ||
	fail "no summary line"
