#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# dp_verbs in a namespace of its own: READ and atomics exact, remote and
# local errors with untouched memory, forged packets, retry exhaustion.
# verbs.sh valgrind: the same under valgrind memcheck (tests/valgrind/vg.sh:
# any error or leak fails), with a READ of 128 KiB instead of 1 MiB and
# time bounds stretched for valgrind's pace (vg.sh).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

DP_VERBS=${UROCE_TEST_DP_VERBS:-${BUILD:+$BUILD/tests/dp/dp_verbs}}
[[ -x $DP_VERBS ]] || fail "no dp_verbs (set BUILD or UROCE_TEST_DP_VERBS)"
vg=false
if [[ ${1:-} == valgrind ]]; then
	vg=true
	TEST_NAME=verbs.valgrind
	# shellcheck source=../valgrind/vg.sh
	source "$(dirname "$0")/../valgrind/vg.sh"
	vg_usable
	# Seconds at valgrind's pace; the bound is for one that is stuck.
	CMD_TIMEOUT=300
fi
pair_setup
wrap=()
if $vg; then
	wrap=(env DP_VERBS_READ=131072 "${VG[@]}"
		--log-file="$TMP/dp_verbs.vg")
fi
if ! in_ns "$NS_A" "${wrap[@]}" "$DP_VERBS" "$DEV_A"; then
	if $vg; then
		vg_clean "$TMP/dp_verbs.vg" || true
	fi
	fail "dp_verbs failed"
fi
if $vg; then
	vg_clean "$TMP/dp_verbs.vg" || fail "valgrind errors or leaks"
fi
