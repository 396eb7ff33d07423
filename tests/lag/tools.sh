#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tools.sh: under traffic on 4 QPs, uroce link shows both members up with
# two QPs each, then m1 down with none and m2 with four; uroce stat shows
# per-member packets and bytes on both; uroce res qp shows each QP's
# member. uroce link add writes a LAG into a uroce.conf it creates, and
# refuses a second LAG of the same name.
source "$(dirname "$0")/lib.sh"

lag_setup
TOOL=${UROCE_TEST_TOOL:-${BUILD:+$BUILD/bin/uroce}}
[[ -x $TOOL ]] || fail "no uroce tool (set BUILD)"
# The test, not a timer, takes m1 down: on a loaded machine the tools
# themselves may take seconds, and each snapshot must see one state.
lag_traffic steady -q 4 -t 8 -e "0.5:touch $TMP/started" &
BG_PIDS+=($!)
for ((i = 0; i < 300; i++)); do
	[[ -e $TMP/started ]] && break
	sleep 0.1
done
[[ -e $TMP/started ]] || fail "traffic did not start: $(cat "$TMP/out")"
lag_in_ns "$NS_A" "$TOOL" link show "$LAG_DEV" >"$TMP/link1"
lag_in_ns "$NS_A" "$TOOL" stat show dev "$LAG_DEV" >"$TMP/stat"
lag_in_ns "$NS_A" "$TOOL" -j stat show dev "$LAG_DEV" >"$TMP/stat.json"
lag_in_ns "$NS_A" "$TOOL" res qp dev "$LAG_DEV" >"$TMP/res"
lag_in_ns "$NS_A" ip link set m1 down
# Failover moves the QPs at once; the monitor may take a moment to see it.
for ((i = 0; i < 50; i++)); do
	lag_in_ns "$NS_A" "$TOOL" link show "$LAG_DEV" >"$TMP/link2"
	grep -q "member m2 state up qps 4" "$TMP/link2" && break
	sleep 0.1
done
wait "${BG_PIDS[-1]}" || { cat "$TMP/out"; fail "traffic failed"; }
cat "$TMP/link1" "$TMP/stat" "$TMP/res" "$TMP/link2"
grep -q "member m1 state up qps 2" "$TMP/link1" || fail "link: m1 with 2 QPs"
grep -q "member m2 state up qps 2" "$TMP/link1" || fail "link: m2 with 2 QPs"
grep -q "member m1 state down qps 0" "$TMP/link2" || fail "link: m1 down"
grep -q "member m2 state up qps 4" "$TMP/link2" || fail "link: m2 with 4 QPs"
for m in m1 m2; do
	grep -Eq "member $m tx_pkts [1-9][0-9]* tx_bytes [1-9][0-9]* rx_pkts [1-9][0-9]* rx_bytes [1-9]" \
		"$TMP/stat" || fail "stat: $m's packets and bytes"
done
python3 - "$TMP/stat.json" <<'PY' || fail "stat -j: members"
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["ifname"]: x for x in d[0]["members"]}
assert set(m) == {"m1", "m2"} and all(x["tx_bytes"] > 0 for x in m.values())
PY
(($(grep -c " member m1 " "$TMP/res") == 2)) || fail "res qp: 2 QPs on m1"
(($(grep -c " member m2 " "$TMP/res") == 2)) || fail "res qp: 2 QPs on m2"

conf=$TMP/etc/uroce.conf
UROCE_CONF=$conf "$TOOL" link add lag1 lag m1,m2 || fail "link add"
grep -qx "lag lag1 m1,m2" "$conf" || fail "link add: $(cat "$conf")"
UROCE_CONF=$conf "$TOOL" link add lag1 lag m1,m2 2>/dev/null &&
	fail "link add: a second lag1 accepted"
UROCE_CONF=$conf "$TOOL" link add lag2 lag m1 2>/dev/null &&
	fail "link add: one member accepted"
UROCE_CONF=$conf lag_in_ns "$NS_A" env UROCE_CONF="$conf" "$TOOL" link show lag1 |
	grep -q "^link lag1/1 state ACTIVE" || fail "link add: no device lag1"
log "uroce link, stat, res and link add"
