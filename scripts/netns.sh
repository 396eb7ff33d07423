# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Network namespace helpers shared by the benchmarks and the namespace
# tests; sourced, never run.

# netns_del NS...: deletes each NS, killing first whatever still runs in
# it (a process left there would keep it alive). Quiet about namespaces
# that are already gone; always succeeds (under
# set -e too), for cleanup on any exit.
netns_del() {
	local ns pid

	for ns in "$@"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

# netns_pair NS_A NS_B IF_A IF_B ADDR_A ADDR_B MTU: two namespaces joined
# by a veth pair, each end with its /24 address and MTU, lo up; waits
# (5 s at most) until B's end has its carrier.
netns_pair() {
	local ns

	ip netns add "$1"
	ip netns add "$2"
	ip -n "$1" link add "$3" type veth peer name "$4" netns "$2"
	ip -n "$1" addr add "$5/24" dev "$3"
	ip -n "$2" addr add "$6/24" dev "$4"
	for ns in "$1" "$2"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$1" link set "$3" mtu "$7" up
	ip -n "$2" link set "$4" mtu "$7" up
	for _ in $(seq 50); do
		ip -n "$2" link show "$4" | grep -q 'state UP' && break
		sleep 0.1
	done
}

# netns_listening NS tcp|udp PORT: something in NS listens on PORT (a TCP
# listener, or a bound UDP socket such as an RDMA CM listener's).
netns_listening() {
	local opt=-Hltn

	[[ $2 == udp ]] && opt=-Hlun
	timeout 5 ip netns exec "$1" ss "$opt" "sport = :$3" | grep -q .
}
