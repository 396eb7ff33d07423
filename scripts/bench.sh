#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce's benchmark: builds ./build if needed, joins two network namespaces
# with a veth pair (MTU 9000) and measures, server in A and client in B:
#   - the limits of the path: a UDP ping-pong with both ends busy-polling,
#     a UDP stream of 4 KiB datagrams (one per send), streams of 64 B
#     datagrams (32 per sendmmsg; 64 per UDP GSO send), one TCP stream;
#   - uroce's RC WRITE and SEND bandwidth, 64 B to 1 MiB, 1 and 4 QPs;
#   - uroce's 2-byte RC SEND and WRITE ping-pong round trips;
#   - Debian's perftest (ib_write_lat, ib_send_lat, ib_write_bw at 64 KiB,
#     ib_write_bw and ib_send_bw at 64 B) on uroce, if it runs;
# then prints a table and uroce's ratios to the limits. Every run is
# bounded by timeout; the namespaces go on any exit; logs stay in /tmp.
#
# Environment: BENCH_SECS (seconds per bandwidth trial, default 0.5),
# BENCH_REPS (trials per point, the median shown, default 3), BENCH_ITERS
# (timed round trips, default 20000), BUILD_DIR (./build).
#
# "bench.sh lag" is the RoCE LAG benchmark instead (bench/lag.sh): two
# veth pairs, each limited to the same rate, 1, 2 and 8 QPs.
# "bench.sh middleware" is Debian's UCX and libfabric on uroce beside the
# same programs over TCP and perftest, in one run (bench/middleware.sh).
# "bench.sh rsockets" is Debian's rstream on uroce's rsockets and iperf3
# under the rsockets shim, beside plain TCP in one run (bench/rsockets.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
if [[ ${1:-} == lag ]]; then
	exec bash "$top/bench/lag.sh"
fi
if [[ ${1:-} == middleware ]]; then
	exec bash "$top/bench/middleware.sh"
fi
if [[ ${1:-} == rsockets ]]; then
	exec bash "$top/bench/rsockets.sh"
fi
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
secs=${BENCH_SECS:-0.5}
reps=${BENCH_REPS:-3}
stream_secs=3
iters=${BENCH_ITERS:-20000}
bench=$build/bin/uroce_bench
sizes=64,256,1K,4K,16K,64K,256K,1M
nsizes=8
port=18515

ns_a=uroce-bench-$$-a
ns_b=uroce-bench-$$-b
# Interface names are at most 15 bytes.
if_a=ubn$$a
if_b=ubn$$b
dev_a=uroce_$if_a
dev_b=uroce_$if_b
net=10.77.$(($$ % 200 + 20))
addr_a=$net.1
addr_b=$net.2
tmp=
pids=()

cleanup() {
	local rc=$? pid

	set +e
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	netns_del "$ns_a" "$ns_b"
	# Logs are kept only when something failed.
	if ((rc == 0 && !failed)) && [[ -n $tmp ]]; then
		rm -rf "$tmp"
	elif [[ -n $tmp ]]; then
		echo "logs: $tmp"
	fi
	exit "$rc"
}

# forget PID: PID has been waited for; cleanup must not kill it.
forget() {
	local -a keep=()
	local p

	for p in "${pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

die() {
	echo "bench: $*" >&2
	exit 1
}

(($(id -u) == 0)) || die "needs root, for network namespaces"
command -v ip >/dev/null || die "needs iproute2's ip"
failed=0
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
tmp=$(mktemp -d /tmp/uroce-bench.XXXXXX)

echo "building $build ..."
if ! "$top/scripts/build.sh" >"$tmp/build.log" 2>&1; then
	tail -20 "$tmp/build.log"
	failed=1
	die "build failed (scripts/deps.sh installs what it needs)"
fi
[[ -x $bench ]] || die "no $bench after the build"

netns_pair "$ns_a" "$ns_b" "$if_a" "$if_b" "$addr_a" "$addr_b" 9000

# in_ns NS SECS CMD...: CMD in NS on uroce's libraries, at most SECS long,
# with no uroce configuration from the host.
in_ns() {
	local ns=$1 t=$2

	shift 2
	timeout -k 2 "$t" ip netns exec "$ns" env -u UROCE_INCLUDE \
		-u UROCE_EXCLUDE -u UROCE_PROVIDER_DIR -u UROCE_LOG \
		UROCE_CONF= LD_LIBRARY_PATH="$build/lib" "$@"
}

# pair NAME SECS MODE [SERVER ARGS] -- [CLIENT ARGS]: one measurement;
# the client's result lines land in $tmp/NAME.
pair() {
	local name=$1 t=$2 mode=$3 spid rc=0 src=0
	local -a srv=() cli=()

	shift 3
	while (($#)) && [[ $1 != -- ]]; do
		srv+=("$1")
		shift
	done
	(($#)) && shift
	cli=("$@")
	in_ns "$ns_a" "$t" "$bench" "$mode" server -p "$port" -d "$dev_a" \
		"${srv[@]}" >"$tmp/$name.server" 2>&1 &
	spid=$!
	pids+=("$spid")
	in_ns "$ns_b" "$t" "$bench" "$mode" client -a "$addr_a" -p "$port" \
		-d "$dev_b" "${cli[@]}" >"$tmp/$name" 2>&1 || rc=$?
	wait "$spid" || src=$?
	forget "$spid"
	if ((rc || src)); then
		failed=1
		echo "  $name: FAILED (client $rc, server $src):" \
			"$(grep -v '^result' "$tmp/$name" "$tmp/$name.server" |
				head -2 | tr '\n' ' ')"
	fi
	return 0
}

# get NAME KEY [SIZE [MODE]]: KEY's value on NAME's first result line
# (for SIZE, of MODE).
get() {
	local v

	v=$(awk -v k="$2" -v s="${3:-}" -v m="${4:-}" '
		$1 == "result" && (m == "" || $2 == m) &&
		(s == "" || index($0, " size=" s " ")) {
			for (i = 2; i <= NF; i++) {
				split($i, a, "=")
				if (a[1] == k) { print a[2]; exit }
			}
		}' "$tmp/$1" 2>/dev/null)
	echo "${v:--}"
}

# ratio A B: A / B to 2 decimals, or - when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"
		else printf "%.2f\n", a / b }'
}

bw_secs=$(awk -v n=$((nsizes * reps)) -v s="$secs" \
	'BEGIN { printf "%d\n", n * (s + 2) + 30 }')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "measuring (logs in $tmp) ..."
echo "  path limits"
pair udp_pp 60 udp-pingpong -- -n "$iters"
pair udp_stream 40 udp-stream -- -t $stream_secs
pair tcp_stream 40 tcp-stream -- -t $stream_secs
# 64 B datagrams: 32 per sendmmsg, and 64 per UDP GSO send received
# with UDP_GRO, as uroce's transmit batches send them.
pair udp_mmsg 40 udp-stream -- -s 64 -l 32 -t $stream_secs
pair udp_gso 40 udp-stream -- -s 64 -l 64 -G -t $stream_secs
echo "  uroce latency"
pair lat_send 60 rc-lat -- -o send -n "$iters"
# ib_write_lat's pattern: the spinning end leaves the receiving to
# uroce's engine thread, which is slow to wake; fewer round trips keep the
# run bounded.
pair lat_write 90 rc-lat -- -o write -n $((iters / 40)) -W 20
pair lat_write_poll 60 rc-lat -- -o write -P -n "$iters"
echo "  uroce bandwidth"
for op in write send; do
	for q in 1 4; do
		pair "bw_${op}_$q" "$bw_secs" rc-bw -- -o "$op" -q "$q" \
			-s "$sizes" -t "$secs" -r "$reps"
	done
done
pair bw_write_ev 60 rc-bw -e -- -o write -s 64K -t "$secs" -r "$reps"

# perftest TOOL ARGS...: Debian's TOOL on uroce; sets pt_out or pt_why.
perftest() {
	local tool=$1 probe spid rc t=60

	shift
	pt_out='' pt_why=''
	if [[ ! -x /usr/bin/$tool ]]; then
		pt_why="no /usr/bin/$tool (Debian's perftest package)"
		return
	fi
	probe=$(in_ns "$ns_a" 10 env LD_BIND_NOW=1 "/usr/bin/$tool" -h 2>&1 ||
		true)
	if grep -q "symbol lookup error\|undefined symbol" <<<"$probe"; then
		pt_why="it cannot start: $(grep -m1 'symbol' <<<"$probe")"
		return
	fi
	in_ns "$ns_a" "$t" stdbuf -oL "/usr/bin/$tool" -d "$dev_a" -x 0 -F \
		"$@" >"$tmp/$tool.server" 2>&1 &
	spid=$!
	pids+=("$spid")
	# The client gives up at once while the server is not listening.
	for _ in $(seq 20); do
		rc=0
		in_ns "$ns_b" "$t" stdbuf -oL "/usr/bin/$tool" -d "$dev_b" \
			-x 0 -F "$@" "$addr_a" >"$tmp/$tool" 2>&1 || rc=$?
		((rc)) && grep -q "Couldn't connect\|Unable to" "$tmp/$tool" &&
			{ sleep 0.2; continue; }
		break
	done
	# The client's figures are what counts; its status says it all.
	wait "$spid" || true
	forget "$spid"
	if ((rc == 124)); then
		pt_why="timed out after $t s"
	elif ((rc)); then
		pt_why="exit $rc: $(grep -v '^ *$' "$tmp/$tool" | tail -1)"
	fi
	# The figures follow the header that starts with #bytes.
	pt_out=$(awk '/#bytes/ { getline; print; exit }' "$tmp/$tool")
	[[ -n $pt_out || -n $pt_why ]] || pt_why="no result line"
	[[ -z $pt_why ]] || pt_out=
}

echo "  perftest"
perftest ib_write_lat -s 2 -n 500
lat_out=$pt_out lat_why=$pt_why
perftest ib_write_bw -s 65536 -n 5000 --report_gbits
bw_out=$pt_out bw_why=$pt_why
perftest ib_send_lat -s 2 -n 5000
slat_out=$pt_out slat_why=$pt_why
perftest ib_write_bw -s 64 -n 200000
wr64_out=$pt_out wr64_why=$pt_why
perftest ib_send_bw -s 64 -n 200000
sd64_out=$pt_out sd64_why=$pt_why

# The table.
echo
echo "=== uroce benchmark: $(nproc) CPUs, $(uname -r)," \
	"veth MTU 9000 between two namespaces ==="
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "net.core.rmem_max $(cat /proc/sys/net/core/rmem_max)," \
	"wmem_max $(cat /proc/sys/net/core/wmem_max)" \
	"(uroce and the UDP stream ask for 4 MiB socket buffers)"
echo
echo "Limits of the path (no uroce)"
printf '  %-44s RTT median %s us, p99 %s us\n' \
	"UDP ping-pong, 20 B datagrams, busy polling" \
	"$(get udp_pp rtt_med_us)" "$(get udp_pp rtt_p99_us)"
printf '  %-44s %s Gbit/s received (%s sent)\n' \
	"UDP stream, 4 KiB datagrams, 1 per send" \
	"$(get udp_stream gbps 4096 udp-stream)" \
	"$(get udp_stream gbps 4096 udp-stream-sent)"
printf '  %-44s %s Gbit/s\n' "TCP stream, one connection" \
	"$(get tcp_stream gbps)"
printf '  %-44s %s k datagrams/s received\n' \
	"UDP stream, 64 B datagrams, 32 per sendmmsg" \
	"$(get udp_mmsg kmsgs_s 64 udp-stream)"
printf '  %-44s %s k datagrams/s received\n' \
	"UDP stream, 64 B, 64 per GSO send, UDP_GRO" \
	"$(get udp_gso kmsgs_s 64 udp-stream)"
echo
echo "uroce RC latency, 2-byte messages, one QP: round trip in us"
echo "(half the round trip in brackets, as perftest's t_typical)"
for t in "lat_send:SEND ping-pong, both ends poll the CQ" \
	"lat_write_poll:WRITE ping-pong, spin on memory + poll CQ" \
	"lat_write:WRITE ping-pong as ib_write_lat (spin)"; do
	n=${t%%:*}
	printf '  %-44s median %7s (%s), p99 %7s\n' "${t#*:}" \
		"$(get "$n" rtt_med_us)" "$(get "$n" half_rtt_med_us)" \
		"$(get "$n" rtt_p99_us)"
done
echo
echo "uroce RC bandwidth, Gbit/s of payload: median of $reps trials of" \
	"$secs s; up to 128 WRs or 8 MiB outstanding per QP"
printf '  %8s %11s %11s %11s %11s\n' size "WRITE 1 QP" "WRITE 4 QPs" \
	"SEND 1 QP" "SEND 4 QPs"
for s in 64 256 1024 4096 16384 65536 262144 1048576; do
	printf '  %8s %11s %11s %11s %11s\n' "$s" \
		"$(get bw_write_1 gbps "$s")" "$(get bw_write_4 gbps "$s")" \
		"$(get bw_send_1 gbps "$s")" "$(get bw_send_4 gbps "$s")"
done
printf '  64 KiB WRITE, 1 QP, target sleeping in ibv_get_cq_event: %s\n' \
	"$(get bw_write_ev gbps 65536)"
echo
echo "perftest (Debian's binaries on uroce's libibverbs)"
if [[ -n $lat_out ]]; then
	# bytes iters t_min t_max t_typical t_avg t_stdev p99 p99.9
	read -r -a f <<<"$lat_out"
	echo "  ib_write_lat -s 2 -n 500: t_typical ${f[4]} us," \
		"t_avg ${f[5]} us, 99% ${f[7]} us (half round trips)"
else
	echo "  ib_write_lat: not available ($lat_why)"
fi
if [[ -n $bw_out ]]; then
	# bytes iters bw_peak bw_avg msg_rate
	read -r -a f <<<"$bw_out"
	echo "  ib_write_bw -s 65536 -n 5000: ${f[3]} Gbit/s average"
else
	echo "  ib_write_bw: not available ($bw_why)"
fi
if [[ -n $slat_out ]]; then
	read -r -a f <<<"$slat_out"
	echo "  ib_send_lat -s 2 -n 5000: t_typical ${f[4]} us," \
		"t_avg ${f[5]} us, 99% ${f[7]} us (half round trips)"
else
	echo "  ib_send_lat: not available ($slat_why)"
fi
# rate TOOL OUT WHY: a 64 B message rate line.
rate() {
	if [[ -n $2 ]]; then
		read -r -a f <<<"$2"
		echo "  $1 -s 64 -n 200000: ${f[4]} M messages/s"
	else
		echo "  $1 -s 64: not available ($3)"
	fi
}
rate ib_write_bw "$wr64_out" "$wr64_why"
rate ib_send_bw "$sd64_out" "$sd64_why"
echo
udp_gbps=$(get udp_stream gbps 4096 udp-stream)
tcp_gbps=$(get tcp_stream gbps)
w64=$(get bw_write_1 gbps 65536)
send_rtt=$(get lat_send rtt_med_us)
udp_rtt=$(get udp_pp rtt_med_us)
echo "Ratios (uroce / limit of the path)"
printf '  %-44s %5s = %s / %s Gbit/s  (target >= 1.0)\n' \
	"64 KiB RC WRITE, 1 QP / UDP 4 KiB stream" \
	"$(ratio "$w64" "$udp_gbps")" "$w64" "$udp_gbps"
printf '  %-44s %5s = %s / %s Gbit/s  (target >= 1.0)\n' \
	"64 KiB RC WRITE, 1 QP / TCP stream" \
	"$(ratio "$w64" "$tcp_gbps")" "$w64" "$tcp_gbps"
printf '  %-44s %5s = %s / %s us  (target <= 1.5, aim 1.2)\n' \
	"2 B RC SEND ping-pong / UDP ping-pong, RTT" \
	"$(ratio "$send_rtt" "$udp_rtt")" "$send_rtt" "$udp_rtt"
echo "  (64 KiB RC WRITE, 1 QP: trials from $(get bw_write_1 gbps_min 65536)" \
	"to $(get bw_write_1 gbps_max 65536) Gbit/s)"
((!failed)) || exit 1
