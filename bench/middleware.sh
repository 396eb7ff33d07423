#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The middleware benchmark (scripts/bench.sh middleware): Debian's
# unmodified UCX and libfabric on uroce, beside the same programs over
# TCP (the software peers a user would pick instead) and beside Debian's
# perftest on uroce, all in one run between two network namespaces joined
# by a veth pair (MTU 9000). Each figure is the median of BENCH_REPS runs
# (default 5) with its range. The programs run through `uroce run`, the
# UCX ones with UCX_NET_DEVICES naming the veth (README "UCX").
#
#   perftest  ib_send_lat -s 8 (t_avg), ib_write_bw -s 65536 (BW average)
#   UCX       ucx_perftest tag_lat 8 B (average), ucp_put_bw 64 KiB,
#             tag_bw 1 MiB: rc_verbs,ud_verbs on uroce against UCX_TLS=tcp
#   libfabric fi_pingpong -e msg, 8 B (usec/xfer) and 64 KiB (MB/s):
#             provider verbs on uroce against provider tcp
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
reps=${BENCH_REPS:-5}
uroce=$build/bin/uroce
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
# shellcheck source=lib.sh
source "$top/bench/lib.sh"

ns_a=uroce-mw-$$-a
ns_b=uroce-mw-$$-b
if_a=umw$$a
if_b=umw$$b
addr_a=10.78.$(($$ % 200 + 20)).1
addr_b=${addr_a%.1}.2
tmp=

cleanup() {
	local rc=$?

	set +e
	pkill -f "ip netns exec $ns_a" 2>/dev/null
	netns_del "$ns_a" "$ns_b"
	[[ -n $tmp ]] && rm -rf "$tmp"
	exit "$rc"
}

(($(id -u) == 0)) || die "needs root, for network namespaces"
for p in ib_send_lat ucx_perftest fi_pingpong; do
	command -v "$p" >/dev/null ||
		die "no $p (scripts/deps.sh installs perftest, ucx-utils, libfabric-bin)"
done
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
bench_start uroce-mw

netns_pair "$ns_a" "$ns_b" "$if_a" "$if_b" "$addr_a" "$addr_b" 9000

# run NS CMD...: CMD in NS through uroce run, bounded, no host config.
run() {
	local ns=$1

	shift
	timeout -k 2 60 ip netns exec "$ns" env -u UROCE_INCLUDE \
		-u UROCE_EXCLUDE -u UROCE_LOG UROCE_CONF= "$uroce" run "$@"
}

# pair OUT SETUP_SECS CMD...: server CMD in A, client CMD plus A's
# address in B, @DEV@ in CMD the side's uroce device; the client's output
# goes to OUT.
pair() {
	local out=$1 wait=$2 spid

	shift 2
	run "$ns_a" "${@//@DEV@/uroce_$if_a}" >"$tmp/server" 2>&1 &
	spid=$!
	sleep "$wait"
	run "$ns_b" "${@//@DEV@/uroce_$if_b}" "$addr_a" >"$out" 2>&1 || true
	wait "$spid" 2>/dev/null || true
}

declare -A fig
add() {
	[[ -n $2 ]] && fig[$1]+="$2 "
	return 0
}

ucx_dev="UCX_NET_DEVICES=@DEV@:1,$if_a,$if_b"
for ((i = 0; i < reps; i++)); do
	echo "round $((i + 1))/$reps" >&2
	pair "$tmp/o" 1 ib_send_lat -d @DEV@ -x 0 -s 8 -n 20000
	add ib_send_lat "$(awk '$1 == 8 { print $6 }' "$tmp/o")"
	pair "$tmp/o" 1 ib_write_bw -d @DEV@ -x 0 -s 65536 -D 2
	add ib_write_bw "$(awk '$1 == 65536 { print $4 }' "$tmp/o")"
	for t in "rc_verbs,ud_verbs:uroce" "tcp:tcp"; do
		tls=${t%%:*}
		k=${t#*:}
		pair "$tmp/o" 1 env UCX_TLS="$tls" "$ucx_dev" \
			ucx_perftest -t tag_lat -s 8 -n 20000
		add "ucx_tag_lat_$k" "$(awk '/^Final:/ { print $4 }' "$tmp/o")"
		pair "$tmp/o" 1 env UCX_TLS="$tls" "$ucx_dev" \
			ucx_perftest -t ucp_put_bw -s 65536 -n 20000
		add "ucx_put_bw_$k" "$(awk '/^Final:/ { print $6 }' "$tmp/o")"
		pair "$tmp/o" 1 env UCX_TLS="$tls" "$ucx_dev" \
			ucx_perftest -t tag_bw -s 1048576 -n 2000
		add "ucx_tag_bw_$k" "$(awk '/^Final:/ { print $6 }' "$tmp/o")"
	done
	for p in verbs tcp; do
		pair "$tmp/o" 0.5 fi_pingpong -p "$p" -e msg -S 8 -I 20000
		add "fi_lat_$p" "$(awk '/^[0-9]/ { print $7 }' "$tmp/o")"
		pair "$tmp/o" 0.5 fi_pingpong -p "$p" -e msg -S 65536 -I 5000
		add "fi_bw_$p" "$(awk '/^[0-9]/ { print $6 }' "$tmp/o")"
	done
done

row() {
	# shellcheck disable=SC2086 # the figures are a list of words
	printf '%-44s %-24s %s\n' "$1" "$(stats ${fig[$2]:-})" \
		"$(stats ${fig[$3]:-})"
}

echo
echo "median (range) of $reps runs; veth MTU 9000, two namespaces;"
echo "MB/s as each tool reports it"
printf '%-44s %-24s %s\n' "" "uroce" "TCP peer"
row "perftest ib_send_lat 8 B, t_avg (us)" ib_send_lat none
row "perftest ib_write_bw 64 KiB (MB/s)" ib_write_bw none
row "UCX tag_lat 8 B, average (us)" ucx_tag_lat_uroce ucx_tag_lat_tcp
row "UCX ucp_put_bw 64 KiB (MB/s)" ucx_put_bw_uroce ucx_put_bw_tcp
row "UCX tag_bw 1 MiB (MB/s)" ucx_tag_bw_uroce ucx_tag_bw_tcp
row "libfabric fi_pingpong msg 8 B (usec/xfer)" fi_lat_verbs fi_lat_tcp
row "libfabric fi_pingpong msg 64 KiB (MB/s)" fi_bw_verbs fi_bw_tcp
