# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the LAG tests; sourced, never run. On top of tests/lib/netns.sh
# (its pair's namespaces, cleanup on any exit, in_ns), joins NS_A and NS_B
# with two veth pairs, m1 and m2 on both sides, each side carrying one
# address on both members as a bond's slaves do, and makes them one LAG
# device, uroce_lag0, through a uroce.conf of the test's own.
#   LAG_RATE   a tbf rate for every member (e.g. 500mbit), none if empty
#   LAG_MTU    the members' MTU (9000)
# shellcheck source=../lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

LAG_DEV=uroce_lag0
LAG_MTU=${LAG_MTU:-9000}
LAG_RATE=${LAG_RATE:-}

# lag_in_ns NS CMD ARGS...: in_ns with the LAG's configuration.
lag_in_ns() {
	NS_CONF="$TMP/uroce.conf" in_ns "$@"
}

# lag_rate NS IF RATE: a token bucket of RATE on IF's egress.
lag_rate() {
	ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate "$3" \
		burst 256kb latency 20ms || fail "tc tbf on $2"
}

lag_setup() {
	local ns i

	pair_setup
	# pair_setup's single pair is not used: the LAG has its own.
	ip -n "$NS_A" link del "dpa$$" 2>/dev/null || true
	for i in 1 2; do
		ip -n "$NS_A" link add "m$i" type veth peer name "m$i" \
			netns "$NS_B" || fail "veth m$i"
		ip -n "$NS_A" link set "m$i" mtu "$LAG_MTU"
		ip -n "$NS_B" link set "m$i" mtu "$LAG_MTU"
		ip -n "$NS_A" addr add "$ADDR_A/24" dev "m$i"
		ip -n "$NS_B" addr add "$ADDR_B/24" dev "m$i"
	done
	for ns in "$NS_A" "$NS_B"; do
		# Equal routes by both members: the reverse path check would
		# drop what arrives by the second.
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.m1.rp_filter=0 \
			net.ipv4.conf.m2.rp_filter=0
		ip -n "$ns" link set m1 up
		ip -n "$ns" link set m2 up
		if [[ -n $LAG_RATE ]]; then
			lag_rate "$ns" m1 "$LAG_RATE"
			lag_rate "$ns" m2 "$LAG_RATE"
		fi
	done
	# veth reports carrier a moment after both ends are up.
	for i in $(seq 50); do
		ip -n "$NS_B" link show m1 | grep -q 'state UP' &&
			ip -n "$NS_B" link show m2 | grep -q 'state UP' && break
		sleep 0.1
	done
	echo "lag $LAG_DEV m1,m2" >"$TMP/uroce.conf"
	LAG_PROG=${UROCE_TEST_LAG_TRAFFIC:-${BUILD:+$BUILD/tests/lag/lag_traffic}}
	[[ -x $LAG_PROG ]] || fail "no lag_traffic (set BUILD)"
}

# lag_traffic MODE ARGS...: lag_traffic from A to B, output in $TMP/out.
lag_traffic() {
	lag_in_ns "$NS_A" "$LAG_PROG" "$LAG_DEV" "/run/netns/$NS_B" \
		"$LAG_DEV" "$@" >"$TMP/out" 2>&1
}

# result KEY: the value of KEY= on the result line of $TMP/out.
result() {
	sed -n "s/^result.* $1=\([^ ]*\).*/\1/p" "$TMP/out" | tail -1
}

# tx_bytes NS IF: bytes IF has sent.
tx_bytes() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_bytes"
}
