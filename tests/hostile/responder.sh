#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The responder's rules against a peer that crafts its packets
# (responder.c): the victim's RC QPs in A, connected to a UDP port the
# peer owns in B.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

PROG=${UROCE_TEST_RESPONDER:-${BUILD:+$BUILD/tests/hostile/responder}}
[[ -x $PROG ]] || fail "no responder (set BUILD or UROCE_TEST_RESPONDER)"
pair_setup
d=$TMP/rdv
mkdir "$d"
in_ns "$NS_A" "$PROG" victim "$DEV_A" "$d" "$ADDR_A" "$ADDR_B" \
	>"$TMP/victim" 2>&1 &
vpid=$!
BG_PIDS+=("$vpid")
rc=0
in_ns "$NS_B" "$PROG" peer "$d" "$ADDR_A" "$ADDR_B" >"$TMP/peer" 2>&1 ||
	rc=$?
vrc=0
wait "$vpid" || vrc=$?
cat "$TMP/peer" "$TMP/victim"
((rc == 0)) || fail "the peer's checks failed ($rc)"
((vrc == 0)) || fail "the victim failed ($vrc)"
