#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# perftest.sh: Debian's unmodified ib_write_bw -q 4 on the LAG device,
# each member limited to LAG_RATE (R, 500mbit by default): at least
# 1.8 x R.
LAG_RATE=${LAG_RATE:-500mbit}
source "$(dirname "$0")/lib.sh"

TEST_NAME=ib_write_bw
[[ -x /usr/bin/ib_write_bw ]] || skip "no ib_write_bw (perftest)"
lag_setup
r=$(echo "$LAG_RATE" | sed 's/mbit$/e6/; s/gbit$/e9/')
args=(-d "$LAG_DEV" -x 0 -F -q 4 -s 65536 -D 3 --report_gbits)
lag_in_ns "$NS_A" /usr/bin/ib_write_bw "${args[@]}" >"$TMP/server" 2>&1 &
BG_PIDS+=($!)
for i in $(seq 50); do
	lag_in_ns "$NS_B" /usr/bin/ib_write_bw "${args[@]}" "$ADDR_A" \
		>"$TMP/client" 2>&1 && break
	grep -q "Couldn't connect\|Unable to" "$TMP/client" || break
	sleep 0.2
done
cat "$TMP/client"
bw=$(awk '$1 == 65536 { print $4 }' "$TMP/client")
[[ -n $bw ]] || fail "no result line"
awk -v b="$bw" -v r="$r" 'BEGIN {
	printf "ib_write_bw -q 4: %.3f Gbit/s = %.2f x R\n", b, b * 1e9 / r
	exit !(b * 1e9 >= 1.8 * r) }' || fail "below 1.8 x R"
