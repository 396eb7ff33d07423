#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# stress.sh MODE [N]: N (default 100000) mixed RC SENDs, WRITEs, READs and
# FETCH_ADDs, every byte and every atomic result verified, with packets
#   fault: reordered and duplicated (1% each) by UROCE_FAULT;
#   drop:  dropped (1%) by UROCE_FAULT;
#   nft:   dropped (1%) by an nftables rule in the namespace.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

mode=$1
n=${2:-100000}
DP_VERBS=${UROCE_TEST_DP_VERBS:-${BUILD:+$BUILD/tests/dp/dp_verbs}}
[[ -x $DP_VERBS ]] || fail "no dp_verbs (set BUILD or UROCE_TEST_DP_VERBS)"
TEST_NAME="stress.$mode"
# tests/lib/netns.sh set its default of 60 s: at least ours.
CMD_TIMEOUT=$((CMD_TIMEOUT > 600 ? CMD_TIMEOUT : 600))
pair_setup
case $mode in
fault)
	env=(UROCE_FAULT=reorder=0.01,dup=0.01)
	;;
drop)
	env=(UROCE_FAULT=drop=0.01)
	;;
nft)
	command -v nft >/dev/null || skip "no nft"
	env=()
	ip netns exec "$NS_A" nft -f - <<-'NFT' || skip "nftables unusable"
		table inet uroce_dp {
			chain out {
				type filter hook output priority 0;
				meta l4proto udp numgen random mod 100 < 1 counter drop
			}
		}
	NFT
	;;
*)
	fail "unknown mode $mode"
	;;
esac
in_ns "$NS_A" env "${env[@]}" "$DP_VERBS" "$DEV_A" stress "$n" ||
	fail "stress $mode failed"
if [[ $mode == nft ]]; then
	log "nftables: $(ip netns exec "$NS_A" nft list ruleset | grep -o 'counter packets [0-9]*')"
fi
