#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The rsockets benchmark (scripts/bench.sh rsockets): rsockets on uroce
# beside plain TCP over the same veth pair (MTU 9000) between two network
# namespaces, in one run, server in A and client in B:
#
#   rstream latency    Debian's rstream -S 64 -C 1 (usec/xfer), on
#                      uroce's rsockets (`uroce run rstream`) and with
#                      -T s (its own TCP sockets, no uroce)
#   rstream bandwidth  rstream -S 65536 -C 5000 (Gb/sec), the same two ways
#   iperf3             iperf3 -t 3, 1 and 4 streams (receiver Gbit/s),
#                      under the shim (`uroce run --rsockets`) on both
#                      ends and plain
#
# Each figure is the median of BENCH_REPS runs (default 3) with its
# range; the last column is rsockets / TCP. BENCH_ITERS sets rstream's
# round trips (default 5000). Every command is bounded by timeout.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
reps=${BENCH_REPS:-3}
iters=${BENCH_ITERS:-5000}
uroce=$build/bin/uroce
port=18600
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
# shellcheck source=lib.sh
source "$top/bench/lib.sh"

ns_a=uroce-rs-$$-a
ns_b=uroce-rs-$$-b
if_a=urs$$a
if_b=urs$$b
addr_a=10.79.$(($$ % 200 + 20)).1
addr_b=${addr_a%.1}.2
tmp=
spid=

(($(id -u) == 0)) || die "needs root, for network namespaces"
for p in rstream iperf3; do
	command -v "$p" >/dev/null ||
		die "no $p (scripts/deps.sh installs rdmacm-utils, iperf3)"
done
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP
bench_start uroce-rs
nm -D --defined-only "$build/lib/librdmacm.so.1" | grep -qw rsocket ||
	die "uroce's librdmacm has no rsockets"

netns_pair "$ns_a" "$ns_b" "$if_a" "$if_b" "$addr_a" "$addr_b" 9000

# run NS MODE CMD...: CMD in NS, bounded, no host config; MODE uroce
# (uroce run), shim (uroce run --rsockets) or plain.
run() {
	local ns=$1 mode=$2
	local -a pre=()

	shift 2
	case $mode in
	uroce) pre=("$uroce" run) ;;
	shim) pre=("$uroce" run --rsockets) ;;
	esac
	timeout -k 2 60 ip netns exec "$ns" env -u UROCE_INCLUDE \
		-u UROCE_EXCLUDE -u UROCE_LOG -u UROCE_RSPRELOAD_CONFIG \
		UROCE_CONF= "${pre[@]}" "$@"
}

# listening PROTO PORT: something in A listens there (an rsocket's
# connection manager port is UDP).
listening() {
	local opt=-Hltn

	[[ $1 == udp ]] && opt=-Hlun
	ip netns exec "$ns_a" ss "$opt" "sport = :$2" | grep -q .
}

# pair OUT MODE PROTO SERVER_CMD -- CLIENT_CMD: the server in A, once it
# listens the client in B; the client's output goes to OUT.
pair() {
	local out=$1 mode=$2 proto=$3 i
	local -a srv=()

	shift 3
	while [[ $1 != -- ]]; do
		srv+=("$1")
		shift
	done
	shift
	port=$((port + 1))
	run "$ns_a" "$mode" "${srv[@]//@PORT@/$port}" >"$tmp/server" 2>&1 &
	spid=$!
	for i in $(seq 50); do
		listening "$proto" "$port" && break
		sleep 0.1
	done
	run "$ns_b" "$mode" "${@//@PORT@/$port}" >"$out" 2>&1 || true
	wait "$spid" 2>/dev/null || true
	spid=
}

# median VALUES...: the median alone, or "-".
median() {
	stats "$@" | awk '{ print $1 }'
}

declare -A fig
add() {
	[[ -n $2 ]] && fig[$1]+="$2 "
	return 0
}

rstream_col() {
	awk -v c="$1" '$1 == "custom" { print $c }' "$tmp/o"
}

# The receiver's Gbit/s: the last receiver line, the [SUM] of several.
iperf_gbits() {
	awk '/receiver/ { for (i = 1; i < NF; i++)
		if ($(i + 1) == "Gbits/sec") v = $i }
		END { if (v != "") print v }' "$tmp/o"
}

for ((i = 0; i < reps; i++)); do
	echo "round $((i + 1))/$reps" >&2
	for m in rs tcp; do
		mode=uroce
		proto=udp
		opt=()
		if [[ $m == tcp ]]; then
			mode=plain
			proto=tcp
			opt=(-T s)
		fi
		pair "$tmp/o" "$mode" "$proto" rstream "${opt[@]}" -p @PORT@ \
			-S 64 -C 1 -I "$iters" -- rstream "${opt[@]}" \
			-s "$addr_a" -p @PORT@ -S 64 -C 1 -I "$iters"
		add "lat_$m" "$(rstream_col 8)"
		pair "$tmp/o" "$mode" "$proto" rstream "${opt[@]}" -p @PORT@ \
			-S 65536 -C 5000 -- rstream "${opt[@]}" -s "$addr_a" \
			-p @PORT@ -S 65536 -C 5000
		add "bw_$m" "$(rstream_col 7)"
	done
	for m in shim plain; do
		proto=tcp
		[[ $m == shim ]] && proto=udp
		for p in 1 4; do
			pair "$tmp/o" "$m" "$proto" iperf3 -s -1 -B "$addr_a" \
				-p @PORT@ -- iperf3 -c "$addr_a" -p @PORT@ \
				-t 3 -P "$p" -f g
			add "iperf${p}_$m" "$(iperf_gbits)"
		done
	done
done

# row LABEL RSOCKETS_KEY TCP_KEY: the two figures and their ratio.
row() {
	local a b r=-

	# shellcheck disable=SC2086 # the figures are a list of words
	a=$(median ${fig[$2]:-}) b=$(median ${fig[$3]:-})
	if [[ $a != - && $b != - ]]; then
		r=$(awk -v a="$a" -v b="$b" 'BEGIN {
			printf (b > 0 ? "%.2f" : "-"), (b > 0 ? a / b : 0) }')
	fi
	# shellcheck disable=SC2086
	printf '%-38s %-24s %-24s %s\n' "$1" "$(stats ${fig[$2]:-})" \
		"$(stats ${fig[$3]:-})" "$r"
}

echo
echo "median (range) of $reps runs; veth MTU 9000, two namespaces;"
echo "ratio: rsockets / TCP (for latency, below 1 is faster)"
printf '%-38s %-24s %-24s %s\n' "" "rsockets on uroce" "TCP" "ratio"
row "rstream 64 B latency (usec/xfer)" lat_rs lat_tcp
row "rstream 64 KiB bandwidth (Gb/sec)" bw_rs bw_tcp
row "iperf3 1 stream (Gbit/s receiver)" iperf1_shim iperf1_plain
row "iperf3 4 streams (Gbit/s receiver)" iperf4_shim iperf4_plain
