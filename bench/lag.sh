#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The RoCE LAG benchmark (scripts/bench.sh lag): builds ./build if needed,
# joins two network namespaces with two veth pairs, m1 and m2 (MTU 9000),
# each side carrying one address on both as a bond does, each member
# limited by tbf to the same rate R on both sides, and makes them one LAG
# device, uroce_lag0, on each side. It measures uroce_bench rc-bw (64 KiB
# RC WRITEs, client in B, server in A) on 1, 2 and 8 QPs, then on 8 QPs
# with m2 down, and prints the aggregate and each member's share (from
# its byte counter) as Gbit/s and as multiples of R.
#
# Environment: BENCH_LAG_RATE (R, tc's syntax, default 1gbit), BENCH_SECS
# (seconds per trial, default 2), BUILD_DIR (./build).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
build=${BUILD_DIR:-$top/build}
rate=${BENCH_LAG_RATE:-1gbit}
secs=${BENCH_SECS:-2}
bench=$build/bin/uroce_bench
port=18516
ns_a=uroce-lagb-$$-a
ns_b=uroce-lagb-$$-b
net=10.78.$(($$ % 200 + 20))
dev=uroce_lag0
tmp=
spid=

cleanup() {
	local rc=$?

	set +e
	[[ -n $spid ]] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	netns_del "$ns_a" "$ns_b"
	if ((rc == 0)) && [[ -n $tmp ]]; then
		rm -rf "$tmp"
	elif [[ -n $tmp ]]; then
		echo "logs: $tmp"
	fi
	exit "$rc"
}

die() {
	echo "bench lag: $*" >&2
	exit 1
}

(($(id -u) == 0)) || die "needs root, for network namespaces"
command -v tc >/dev/null || die "needs iproute2's tc"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
tmp=$(mktemp -d /tmp/uroce-bench-lag.XXXXXX)
if [[ ! -x $bench ]]; then
	echo "building $build ..."
	"$top/scripts/build.sh" >"$tmp/build.log" 2>&1 ||
		die "build failed, see $tmp/build.log"
fi
r=$(awk -v s="$rate" 'BEGIN {
	n = s + 0; u = tolower(substr(s, length(n "") + 1))
	m = u == "gbit" ? 1e9 : u == "mbit" ? 1e6 : u == "kbit" ? 1e3 : 1
	print n * m }')

ip netns add "$ns_a"
ip netns add "$ns_b"
for i in 1 2; do
	ip -n "$ns_a" link add "m$i" type veth peer name "m$i" netns "$ns_b"
done
echo "lag $dev m1,m2" >"$tmp/uroce.conf"
for ns in "$ns_a" "$ns_b"; do
	addr=$net.1
	[[ $ns == "$ns_b" ]] && addr=$net.2
	ip -n "$ns" link set lo up
	# Equal routes by both members: no reverse path check.
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	for i in 1 2; do
		ip netns exec "$ns" sysctl -qw "net.ipv4.conf.m$i.rp_filter=0"
		ip -n "$ns" addr add "$addr/24" dev "m$i"
		ip -n "$ns" link set "m$i" mtu 9000 up
		ip netns exec "$ns" tc qdisc replace dev "m$i" root tbf \
			rate "$rate" burst 256kb latency 20ms
	done
done
sleep 0.5

in_ns() {
	local ns=$1

	shift
	timeout -k 2 60 ip netns exec "$ns" env -u UROCE_INCLUDE \
		-u UROCE_EXCLUDE -u UROCE_PROVIDER_DIR -u UROCE_LOG \
		UROCE_CONF="$tmp/uroce.conf" LD_LIBRARY_PATH="$build/lib" "$@"
}

# tx NS: the bytes m1 and m2 of NS have sent.
tx() {
	ip netns exec "$1" cat /sys/class/net/m1/statistics/tx_bytes \
		/sys/class/net/m2/statistics/tx_bytes | tr '\n' ' '
}

# run NAME QPS: one rc-bw trial; prints its line of the table.
run() {
	local name=$1 q=$2 before after gbps

	in_ns "$ns_a" "$bench" rc-bw server -p "$port" -d "$dev" \
		>"$tmp/$name.server" 2>&1 &
	spid=$!
	sleep 0.3
	before=$(tx "$ns_b")
	in_ns "$ns_b" "$bench" rc-bw client -a "$net.1" -p "$port" -d "$dev" \
		-o write -q "$q" -s 64K -t "$secs" -r 1 >"$tmp/$name" 2>&1 ||
		echo "  $name: client failed: $(head -2 "$tmp/$name")"
	after=$(tx "$ns_b")
	wait "$spid" || true
	spid=
	gbps=$(sed -n 's/^result.* gbps=\([0-9.]*\).*/\1/p' "$tmp/$name" |
		head -1)
	# Member shares: bytes on the wire (headers included) over the
	# trial, its setup included, so only their split is exact.
	awk -v n="$name" -v g="${gbps:--}" -v r="$r" -v b="$before" \
		-v a="$after" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		d1 = y[1] - x[1]; d2 = y[2] - x[2]
		if (g == "-") { printf "  %-22s FAILED\n", n; exit }
		printf "  %-22s %7.3f Gbit/s = %.2f x R   m1 %3.0f%%  m2 %3.0f%%  (%.3f / %.3f Gbit/s)\n",
			n, g, g * 1e9 / r, 100 * d1 / (d1 + d2 + 1),
			100 * d2 / (d1 + d2 + 1), g * d1 / (d1 + d2 + 1),
			g * d2 / (d1 + d2 + 1) }'
}

echo "=== uroce LAG benchmark: $(nproc) CPUs, two veth pairs, each member limited to R = $rate ==="
echo "RC WRITE 64 KiB, $secs s per trial: aggregate, and each member's share of the bytes"
run "1 QP" 1
run "2 QPs" 2
run "8 QPs" 8
ip -n "$ns_a" link set m2 down
sleep 0.3
run "8 QPs, m2 down" 8
