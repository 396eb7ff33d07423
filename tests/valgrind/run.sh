#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# run.sh PROGRAM...: runs each verbs test program under valgrind, then, when
# network namespaces can be made, the ev_wait helper through link and
# address changes and Debian's ibv_devices and ibv_devinfo -v inside a
# namespace. Any valgrind error or leak (definite, indirect or possible)
# fails the test (vg.sh). The data path and the CM under valgrind, between
# two namespaces, are pair.sh's and dp.verbs_valgrind's.

# Variables such as A, B and ev are set by tests/lib's helpers (printf -v).
# shellcheck disable=SC2154
set -euo pipefail
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"
# shellcheck source=vg.sh
. "$(dirname "$0")/vg.sh"

vg_usable
[[ -n $LIBDIR && -e $LIBDIR/libibverbs.so.1 ]] ||
	fail "no libibverbs.so.1 in '$LIBDIR'"
(($#)) || fail "usage: run.sh PROGRAM..."
test_init

CMD_TIMEOUT=600
failed=0

# vg NAME CMD...: runs CMD under valgrind, its log in $TMP/NAME.vg.
vg() {
	local name=$1 rc=0

	shift
	timeout "$CMD_TIMEOUT" "${VG[@]}" --log-file="$TMP/$name.vg" "$@" \
		>"$TMP/$name.out" 2>&1 || rc=$?
	report "$name" "$rc"
}

# report NAME RC: says how the run went; counts a failure. A program that
# failed its own checks (exit 1) with a clean valgrind log is left to its
# own ctest test: this one is about memory errors and leaks.
report() {
	local errors

	errors=$(vg_errors "$TMP/$1.vg")
	if (($2 == 0)) && [[ $errors == 0 ]]; then
		log "$1: no errors, no leaks"
		return
	fi
	if (($2 == 1)) && [[ $errors == 0 ]]; then
		log "$1: no errors, no leaks (but its own checks failed:" \
			"$(tail -1 "$TMP/$1.out"))"
		return
	fi
	failed=$((failed + 1))
	echo "[$TEST_NAME] $1 failed (exit $2); output:" >&2
	cat "$TMP/$1.out" >&2 || true
	echo "[$TEST_NAME] valgrind log:" >&2
	cat "$TMP/$1.vg" >&2 || true
}

export UROCE_CONF=
unset UROCE_INCLUDE UROCE_EXCLUDE UROCE_LO UROCE_RENAME

for prog in "$@"; do
	vg "$(basename "$prog")" "$prog"
done

if ! ns_available; then
	log "namespace part skipped: $NS_WHY"
elif [[ ! -x $EV_WAIT ]]; then
	fail "no ev_wait helper at '$EV_WAIT'"
else
	ns_new A vg
	ns_new B vgpeer
	veth "$A" vgA "$B" vgB
	ip -n "$A" addr add 10.99.9.1/24 dev vgA
	ip -n "$B" addr add 10.99.9.2/24 dev vgB
	ip -n "$A" link set vgA up
	ip -n "$B" link set vgB up
	wait_state "$A" uroce_vgA PORT_ACTIVE

	# The provider's monitor thread, under valgrind, through changes.
	EV_READY_TIMEOUT=120 ev_start ev "$A" uroce_vgA \
		GID_CHANGE,PORT_ERR,PORT_ACTIVE 120000 \
		"${VG[@]}" --log-file="$TMP/ev_wait.vg"
	ip -n "$A" addr add 10.99.9.11/24 dev vgA
	ev_seen "$ev" "^event GID_CHANGE"
	ip -n "$B" link set vgB down
	ev_seen "$ev" "^event PORT_ERR"
	ip -n "$B" link set vgB up
	rc=0
	pid=${ev%%:*}
	wait "$pid" || rc=$?
	cp "${ev#*:}" "$TMP/ev_wait.out"
	report ev_wait "$rc"

	# Also a context whose netdev leaves the namespace.
	EV_READY_TIMEOUT=120 ev_start ev "$A" uroce_vgA \
		PORT_ERR,DEVICE_FATAL 120000 \
		"${VG[@]}" --log-file="$TMP/ev_wait_fatal.vg"
	ip -n "$A" link set vgA netns "$B"
	rc=0
	pid=${ev%%:*}
	wait "$pid" || rc=$?
	cp "${ev#*:}" "$TMP/ev_wait_fatal.out"
	report ev_wait_fatal "$rc"
	ip -n "$B" addr add 10.99.9.1/24 dev vgA
	ip -n "$B" link set vgA up

	# Debian's tools, unmodified, on uroce's library.
	for tool in ibv_devices "ibv_devinfo -v"; do
		name=${tool// /_}
		rc=0
		# shellcheck disable=SC2086
		in_ns "$B" "${VG[@]}" --log-file="$TMP/$name.vg" \
			/usr/bin/$tool >"$TMP/$name.out" 2>&1 || rc=$?
		report "$name" "$rc"
	done
	grep -q "uroce_vgA" "$TMP/ibv_devinfo_-v.out" ||
		fail "ibv_devinfo -v under valgrind did not list uroce_vgA"
fi

((failed == 0)) || fail "$failed program(s) with valgrind errors"
