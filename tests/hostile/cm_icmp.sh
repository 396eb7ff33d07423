#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Forged ICMP port unreachables (cm_icmp.c) at a client whose request waits
# for a server that accepts 2.5 s after it came (cm_flood.c): the forger
# knows the addresses and ports, not the request's communication ID, and
# the client must connect all the same. (cm.nolistener checks that a
# genuine port unreachable still refuses a request at once.)
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

ICMP=${UROCE_TEST_CM_ICMP:-${BUILD:+$BUILD/tests/hostile/cm_icmp}}
FLOOD=${UROCE_TEST_CM_FLOOD:-${BUILD:+$BUILD/tests/hostile/cm_flood}}
[[ -x $ICMP && -x $FLOOD ]] ||
	fail "no cm_icmp or cm_flood (set BUILD or UROCE_TEST_CM_ICMP/FLOOD)"
pair_setup
port=$((20000 + $$ % 20000))

in_ns "$NS_A" "$FLOOD" server "$ADDR_A" "$port" 4 8 2500 \
	>"$TMP/server" 2>&1 &
spid=$!
BG_PIDS+=("$spid")
wait_listen "$NS_A" udp "$port" "$spid"
in_ns "$NS_A" "$ICMP" "dpa$$" 3000 >"$TMP/icmp" 2>&1 &
ipid=$!
BG_PIDS+=("$ipid")
for _ in $(seq 100); do
	grep -q watching "$TMP/icmp" && break
	sleep 0.1
done
grep -q watching "$TMP/icmp" || fail "the forger does not watch"
crc=0
in_ns "$NS_B" "$FLOOD" client "$ADDR_A" "$port" >"$TMP/client" 2>&1 || crc=$?
wait "$ipid" || true
wait "$spid" || true
cat "$TMP/icmp" "$TMP/client" "$TMP/server"
grep -q "^icmp: sent [1-9]" "$TMP/icmp" || fail "no ICMP was forged"
((crc == 0)) || fail "a forged port unreachable ended the connection request"
