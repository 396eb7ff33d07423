#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# dp_verbs in a namespace of its own: READ and atomics exact, remote and
# local errors with untouched memory, forged packets, retry exhaustion.
source "$(dirname "$0")/lib.sh"

DP_VERBS=${UROCE_TEST_DP_VERBS:-${BUILD:+$BUILD/tests/dp/dp_verbs}}
[[ -x $DP_VERBS ]] || fail "no dp_verbs (set BUILD or UROCE_TEST_DP_VERBS)"
wrap=()
if [[ ${1:-} == valgrind ]]; then
	TEST_NAME=verbs.valgrind
	command -v valgrind >/dev/null || skip "no valgrind"
	[[ -z $(sanitizer_env) ]] || skip "a sanitizer build"
	wrap=(env DP_VERBS_READ=131072 valgrind -q --error-exitcode=9
		--leak-check=full --errors-for-leak-kinds=definite)
fi
dp_setup
in_ns "$NS_A" "${wrap[@]}" "$DP_VERBS" "$DEV_A" || fail "dp_verbs failed"
