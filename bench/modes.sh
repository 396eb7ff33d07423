#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The two wire modes side by side (scripts/bench.sh modes): Debian's
# perftest on uroce between two namespaces (veth, MTU 9000), server in A,
# client in B, once in the default direct mode and once with
# UROCE_WIRE=roce (RoCE v2 at UDP 4791, uroce(7)), the modes interleaved
# trial by trial so that the machine's load falls on both alike. Each
# figure is the median (range) of BENCH_REPS trials (default 5), with
# /proc/loadavg at each trial, and CPU seconds of both ends per million
# messages (GNU time), then the ratio roce / direct.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
reps=${BENCH_REPS:-5}
# shellcheck disable=SC2034 # read by tests/lib/netns.sh
BUILD=$build
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
# shellcheck disable=SC2034 # read by tests/lib/netns.sh
CMD_TIMEOUT=60
# shellcheck source=lib.sh
source "$top/bench/lib.sh"

ns_a=uroce-mo-$$-a
ns_b=uroce-mo-$$-b
if_a=umo$$a
if_b=umo$$b
addr_a=10.81.$(($$ % 200 + 20)).1
addr_b=${addr_a%.1}.2
port=18515
tmp=
spid=

(($(id -u) == 0)) || die "needs root, for network namespaces"
for p in ib_write_bw /usr/bin/time; do
	command -v "$p" >/dev/null ||
		die "no $p (scripts/deps.sh installs perftest and time)"
done
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP
bench_start uroce-modes
netns_pair "$ns_a" "$ns_b" "$if_a" "$if_b" "$addr_a" "$addr_b" 9000

# pair MODE OUT TOOL ARGS...: TOOL through uroce run in MODE (direct or
# roce), both ends under GNU time (OUT.s.time, OUT.c.time); the client's
# output in OUT.out.
pair() {
	local mode=$1 out=$2 tool=$3 rc=0
	local -a env=()

	shift 3
	[[ $mode == roce ]] && env=(UROCE_WIRE=roce)
	uroce_run "$ns_a" "${env[@]}" time -f '%U %S' -o "$out.s.time" \
		"/usr/bin/$tool" -d "uroce_$if_a" -x 0 -F "$@" \
		>"$out.srv" 2>&1 &
	spid=$!
	if [[ " $* " == *" -R "* ]]; then
		# An RDMA CM listener: in the roce mode it holds no port of
		# its own (its service ID is steered on 4791).
		sleep 1.5
	else
		wait_listen "$ns_a" tcp "$port" "$spid"
	fi
	uroce_run "$ns_b" "${env[@]}" time -f '%U %S' -o "$out.c.time" \
		"/usr/bin/$tool" -d "uroce_$if_b" -x 0 -F "$@" "$addr_a" \
		>"$out.out" 2>&1 || rc=$?
	wait "$spid" || true
	spid=
	return "$rc"
}

# NAME|LABEL|MESSAGES|COMMAND
tests=(
	"wbw64k|ib_write_bw 64 KiB|20000|ib_write_bw -s 65536 -n 20000"
	"wbw64|ib_write_bw 64 B|300000|ib_write_bw -s 64 -n 300000"
	"sbw64|ib_send_bw 64 B|300000|ib_send_bw -s 64 -n 300000"
	"rbw64k|ib_read_bw 64 KiB|20000|ib_read_bw -s 65536 -n 20000"
	"wlat|ib_write_lat 2 B|5000|ib_write_lat -s 2 -n 5000"
	"slat|ib_send_lat 2 B|5000|ib_send_lat -s 2 -n 5000"
	"rlat|ib_read_lat 2 B|5000|ib_read_lat -s 2 -n 5000"
	"cm|ib_write_bw -R 64 KiB (RDMA CM)|20000|ib_write_bw -R -s 65536 -n 20000"
)

# figure NAME FILE: MB/s (64 KiB), M msg/s (64 B), t_typical us (latency).
figure() {
	case $1 in
	*lat) awk '/#bytes/ { getline; print $5; exit }' "$2" ;;
	*64) awk '/#bytes/ { getline; print $5; exit }' "$2" ;;
	*) awk '/#bytes/ { getline; print $4; exit }' "$2" ;;
	esac
}

unit() {
	case $1 in
	*lat) echo "us t_typical" ;;
	*64) echo "M msg/s" ;;
	*) echo "MB/s" ;;
	esac
}

# cpu OUT MSGS: CPU seconds of both ends per million messages.
cpu() {
	cat "$1.s.time" "$1.c.time" 2>/dev/null |
		awk -v m="$2" '{ s += $1 + $2 } END { if (NR == 2)
			printf "%.2f\n", s * 1e6 / m }'
}

echo "=== uroce wire modes: $(nproc) CPUs, $(uname -r), commit" \
	"$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo -) ==="
for t in "${tests[@]}"; do
	IFS='|' read -r name label msgs cmd <<<"$t"
	read -ra args <<<"$cmd"
	for ((r = 1; r <= reps; r++)); do
		for mode in direct roce; do
			o=$tmp/$name.$mode.$r
			cut -d' ' -f1 /proc/loadavg >"$o.load"
			pair "$mode" "$o" "${args[@]}" ||
				echo "  $label $mode trial $r failed:" \
					"$(tail -1 "$o.out")" >&2
			echo "  $label $mode trial $r: $(figure "$name" "$o.out")" \
				"$(unit "$name"), load $(cat "$o.load")" >&2
		done
	done
done

# over NAME MODE FUNC: FUNC's value over the trials, median (range).
over() {
	local r v=() x

	for ((r = 1; r <= reps; r++)); do
		x=$("$3" "$1" "$tmp/$1.$2.$r")
		[[ -n $x ]] && v+=("$x")
	done
	stats "${v[@]}"
}
fig() { figure "$1" "$2.out"; }
cpu_of() { cpu "$2" "$msgs"; }

echo
echo "median (range) of $reps trials each, modes interleaved; CPU: both"
echo "ends' user + system seconds per million messages; load: 1-minute"
echo "average at the trials ($(cat "$tmp"/*.load | sort -g | sed -n '1p;$p' |
	paste -sd-))"
printf '%-40s %-28s %-28s %s\n' "" direct "wire roce" "roce/direct"
for t in "${tests[@]}"; do
	IFS='|' read -r name label msgs cmd <<<"$t"
	d=$(over "$name" direct fig)
	w=$(over "$name" roce fig)
	ratio=$(awk -v a="${d%% *}" -v b="${w%% *}" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "-" }')
	printf '%-40s %-28s %-28s %s\n' "$label ($(unit "$name"))" "$d" "$w" \
		"$ratio"
	printf '%-40s %-28s %-28s\n' "  CPU s per M messages" \
		"$(over "$name" direct cpu_of)" "$(over "$name" roce cpu_of)"
done
