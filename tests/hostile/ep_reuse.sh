#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# PID reuse against a query endpoint's admin check (ep_reuse.c): in a PID
# namespace of its own, a client that connected as nobody, or as root
# without CAP_SYS_ADMIN, hands its socket on and exits, and a root process
# with every capability takes its PID before the endpoint serves it. The
# endpoint must judge the process that connected and refuse.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

REUSE=${UROCE_TEST_EP_REUSE:-${BUILD:+$BUILD/tests/hostile/ep_reuse}}
[[ -x $REUSE ]] || fail "no ep_reuse (set BUILD or UROCE_TEST_EP_REUSE)"
command -v unshare >/dev/null || skip "no unshare"
pair_setup
rc=0
in_ns "$NS_A" unshare --pid --fork --mount-proc bash -c '
	"$1" victim 6000 20 >"$2/victim" 2>&1 &
	for _ in $(seq 100); do
		grep -q registered "$2/victim" && break
		sleep 0.1
	done
	cat "$2/victim"
	rc=0
	"$1" attack nobody || rc=$?
	((rc == 0)) && { "$1" attack nocap || rc=$?; }
	kill %1
	exit $rc' ep_reuse "$REUSE" "$TMP" || rc=$?
((rc == 77)) && skip "the PID was not reused"
((rc == 0)) || fail "a process that took a client's PID was taken for it"
