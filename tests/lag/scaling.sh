#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# scaling.sh: each member limited to LAG_RATE (R, 500mbit by default),
# RC WRITEs of 64 KiB on 8 QPs reach at least 1.8 x R together, and on
# one member alone (the other down) at most 1.05 x R. A busy machine
# lowers a trial's rate, never raises it: the two members' figure is the
# best of up to three trials.
LAG_RATE=${LAG_RATE:-500mbit}
source "$(dirname "$0")/lib.sh"

lag_setup
r=$(echo "$LAG_RATE" | sed 's/mbit$/e6/; s/gbit$/e9/')
two=0
for _ in 1 2 3; do
	lag_traffic bw -q 8 -t 3 || { cat "$TMP/out"; fail "bw, 8 QPs"; }
	two=$(awk -v a="$two" -v b="$(result gbps)" \
		'BEGIN { print (b > a ? b : a) }')
	awk -v t="$two" -v r="$r" 'BEGIN { exit !(t * 1e9 >= 1.8 * r) }' &&
		break
	log "two members: $two Gbit/s, below 1.8 x R; again"
done
lag_in_ns "$NS_A" ip link set m2 down
sleep 0.2
lag_traffic bw -q 8 -t 3 || { cat "$TMP/out"; fail "bw, one member"; }
one=$(result gbps)
log "R = $LAG_RATE: 8 QPs over two members $two Gbit/s, over one $one Gbit/s"
awk -v t="$two" -v o="$one" -v r="$r" 'BEGIN {
	printf "two members %.2f x R, one member %.2f x R\n", t * 1e9 / r, o * 1e9 / r
	exit !(t * 1e9 >= 1.8 * r && o * 1e9 <= 1.05 * r) }' ||
	fail "scaling: want >= 1.8 x R with two members, <= 1.05 x R with one"
