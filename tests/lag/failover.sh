#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# failover.sh link|blackhole: steady RC WRITE, SEND and READ on 4 QPs with
# every byte compared; at 2 s member m1 of A fails (link: set down;
# blackhole: nftables drops everything through it, link up), at 4 s it
# is back. Every work request must succeed, the longest time without a
# completion must stay under 1 s, and both members must carry traffic
# again at the end.
LAG_RATE=${LAG_RATE:-500mbit}
source "$(dirname "$0")/lib.sh"

how=${1:?usage: failover.sh link|blackhole}
TEST_NAME=failover_$how
lag_setup
case $how in
link)
	down="ip link set m1 down"
	up="ip link set m1 up"
	;;
blackhole)
	command -v nft >/dev/null || skip "no nft"
	ip netns exec "$NS_A" nft -f - <<'NFT' || skip "nftables unusable"
table netdev lagtest {
	chain in { type filter hook ingress device m1 priority 0; policy accept; }
}
NFT
	ip netns exec "$NS_A" nft delete table netdev lagtest
	down="nft -f $TMP/drop.nft"
	up="nft delete table netdev lagtest"
	cat >"$TMP/drop.nft" <<'NFT'
table netdev lagtest {
	chain in { type filter hook ingress device m1 priority 0; drop; }
	chain out { type filter hook egress device m1 priority 0; drop; }
}
NFT
	;;
*) fail "unknown failure $how" ;;
esac
snap="cat /sys/class/net/m1/statistics/tx_bytes /sys/class/net/m2/statistics/tx_bytes"
UROCE_LOG=warn lag_traffic steady -q 4 -t 9 \
	-e "2:$down" -e "4:$up" -e "7:$snap >$TMP/s1" -e "8.5:$snap >$TMP/s2" || {
	cat "$TMP/out"
	fail "steady traffic failed"
}
cat "$TMP/out"
gap=$(result gap_ms)
[[ -n $gap ]] || fail "no result"
((gap < $(scaled 1000))) || fail "throughput gap of $gap ms"
grep -q "failed over\|avoided" "$TMP/out" || fail "no failover logged"
mapfile -t s1 <"$TMP/s1"
mapfile -t s2 <"$TMP/s2"
d1=$((s2[0] - s1[0]))
d2=$((s2[1] - s1[1]))
log "gap $gap ms; afterwards m1 sent $d1 bytes, m2 $d2 in 1.5 s"
((d1 > 1000000 && d2 > 1000000)) || fail "both members not used again"
