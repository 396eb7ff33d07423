#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce's benchmark: builds ./build if needed, joins two network namespaces
# with a veth pair (MTU 9000) and measures, server in A and client in B,
# every figure BENCH_REPS times (the median printed with the range):
#   - the limits of the path: a UDP ping-pong with both ends busy-polling,
#     a UDP stream of 4 KiB datagrams (one per send), streams of 64 B
#     datagrams (32 per sendmmsg; 64 per UDP GSO send), one TCP stream;
#   - uroce's RC WRITE and SEND bandwidth, 64 B to 1 MiB, 1 and 4 QPs;
#   - uroce's 2-byte RC SEND and WRITE ping-pong round trips;
#   - Debian's perftest on uroce: ib_write_bw and ib_send_bw at 64 B and
#     64 KiB, ib_write_bw 64 KiB on 64 and 1000 QPs, ib_read_bw,
#     ib_write_lat, ib_send_lat, ib_read_lat, ib_atomic_lat;
#   - the software peers over TCP: UCX (Debian's ucx_perftest, UCX_TLS=tcp:
#     ucp_put_bw at 64 B and 64 KiB, tag_lat) and libfabric's tcp provider
#     (bench/fi_rma.c's RMA writes at 64 B and 64 KiB; fi_pingpong);
#   - the memory of an idle connected RC QP (bench/qp_mem.c);
# then prints a table, CPU seconds (both ends, user + system, from GNU
# time) per GB and per million messages, and issue 19's target ratios.
# Every run is bounded by timeout; the namespaces go on any exit; logs
# stay in /tmp when something failed.
#
# Environment: BENCH_SECS (seconds per bandwidth trial, default 0.5),
# BENCH_REPS (trials per figure, default 3), BENCH_ITERS (timed round
# trips, default 20000), BUILD_DIR (./build).
#
# "bench.sh lag" is the RoCE LAG benchmark instead (bench/lag.sh): two
# veth pairs, each limited to the same rate, 1, 2 and 8 QPs.
# "bench.sh middleware" is Debian's UCX and libfabric on uroce beside the
# same programs over TCP and perftest, in one run (bench/middleware.sh).
# "bench.sh rsockets" is Debian's rstream on uroce's rsockets and iperf3
# under the rsockets shim, beside plain TCP in one run (bench/rsockets.sh).
# "bench.sh costs" is perftest's costs per message on each end: system
# calls by name, context switches, CPU time and profiles (bench/costs.sh).
# "bench.sh modes" is perftest in the direct and the wire roce mode side by
# side, trials interleaved (bench/modes.sh).
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
if [[ ${1:-} == costs ]]; then
	exec bash "$top/bench/costs.sh"
fi
if [[ ${1:-} == modes ]]; then
	exec bash "$top/bench/modes.sh"
fi
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
# shellcheck source=../bench/lib.sh
source "$top/bench/lib.sh"
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

(($(id -u) == 0)) || die "needs root, for network namespaces"
command -v ip >/dev/null || die "needs iproute2's ip"
[[ -x /usr/bin/time ]] || die "needs GNU time (scripts/deps.sh installs it)"
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

# "${timed[@]}" FILE CMD...: CMD, its user and system CPU seconds in FILE.
timed=(/usr/bin/time -f '%U %S' -o)

# in_plain NS SECS CMD...: CMD in NS without uroce's libraries (the peers).
in_plain() {
	local ns=$1 t=$2

	shift 2
	timeout -k 2 "$t" ip netns exec "$ns" "$@"
}

# cpu NAME: CPU seconds of both ends of run NAME.
cpu() {
	cat "$tmp/$1.cpus" "$tmp/$1.cpuc" 2>/dev/null |
		awk '$1 ~ /^[0-9.]+$/ { s += $1 + $2; n++ }
			END { if (n == 2) printf "%.3f\n", s; else print "-" }'
}

# split_args ARGS...: the caller's srv gets ARGS before --, cli those after.
split_args() {
	srv=()
	while (($#)) && [[ $1 != -- ]]; do
		srv+=("$1")
		shift
	done
	(($#)) && shift
	cli=("$@")
}

# pair NAME SECS MODE [SERVER ARGS] -- [CLIENT ARGS]: one measurement;
# the client's result lines land in $tmp/NAME.
pair() {
	local name=$1 t=$2 mode=$3 spid rc=0 src=0
	local -a srv=() cli=()

	shift 3
	split_args "$@"
	in_ns "$ns_a" "$t" "${timed[@]}" "$tmp/$name.cpus" "$bench" "$mode" \
		server -p "$port" -d "$dev_a" "${srv[@]}" \
		>"$tmp/$name.server" 2>&1 &
	spid=$!
	pids+=("$spid")
	in_ns "$ns_b" "$t" "${timed[@]}" "$tmp/$name.cpuc" "$bench" "$mode" \
		client -a "$addr_a" -p "$port" -d "$dev_b" "${cli[@]}" \
		>"$tmp/$name" 2>&1 || rc=$?
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

# trials NAME KEY [SIZE [MODE]]: KEY of runs NAME.1 .. NAME.reps,
# "median (min - max)".
trials() {
	local r v=()

	for ((r = 1; r <= reps; r++)); do
		v+=("$(get "$1.$r" "$2" "${3:-}" "${4:-}")")
	done
	# shellcheck disable=SC2046 # a list of numbers
	stats $(printf '%s\n' "${v[@]}" | grep -v '^-$' || true)
}

# med "MEDIAN (MIN - MAX)": the median alone, or -.
med() {
	echo "${1%% *}"
}

# per_unit NAME UNITS_KEY SCALE: CPU seconds of run NAME.1 .. NAME.reps
# per SCALE units of UNITS_KEY (bytes, msgs) on its result line.
per_unit() {
	local r c u v=()

	for ((r = 1; r <= reps; r++)); do
		c=$(cpu "$1.$r")
		u=$(get "$1.$r" "$2")
		v+=("$(ratio "$c" "$(awk -v u="$u" -v s="$3" 'BEGIN {
			if (u == "-") print "-"; else print u / s }')")")
	done
	# shellcheck disable=SC2046 # a list of numbers
	stats $(printf '%s\n' "${v[@]}" | grep -v '^-$' || true)
}

bw_secs=$(awk -v n=$((nsizes * reps)) -v s="$secs" \
	'BEGIN { printf "%d\n", n * (s + 2) + 30 }')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "measuring (logs in $tmp) ..."
echo "  path limits"
for ((r = 1; r <= reps; r++)); do
	pair "udp_pp.$r" 60 udp-pingpong -- -n "$iters"
	pair "udp_stream.$r" 40 udp-stream -- -t $stream_secs
	pair "tcp_stream.$r" 40 tcp-stream -- -t $stream_secs
	# 64 B datagrams: 32 per sendmmsg, and 64 per UDP GSO send received
	# with UDP_GRO, as uroce's transmit batches send them.
	pair "udp_mmsg.$r" 40 udp-stream -- -s 64 -l 32 -t $stream_secs
	pair "udp_gso.$r" 40 udp-stream -- -s 64 -l 64 -G -t $stream_secs
done
echo "  uroce latency"
pair lat_send 60 rc-lat -- -o send -n "$iters"
# ib_write_lat's pattern: the spinning end leaves the receiving to
# uroce's engine thread; fewer round trips keep the run bounded.
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

# perftest NAME TOOL ARGS...: Debian's TOOL on uroce, BENCH_REPS times;
# trial R's figures land in $tmp/NAME.R as a "result" line: bytes iters
# and, for a bandwidth tool, gbps mpps, for a latency tool, t_typical
# t_avg p99 (half round trips, us); pt_why says why one failed.
declare -A pt_why
perftest() {
	local name=$1 tool=$2 probe spid rc r t=90 line why

	shift 2
	if [[ ! -x /usr/bin/$tool ]]; then
		pt_why[$name]="no /usr/bin/$tool (Debian's perftest package)"
		return
	fi
	probe=$(in_ns "$ns_a" 10 env LD_BIND_NOW=1 "/usr/bin/$tool" -h 2>&1 ||
		true)
	if grep -q "symbol lookup error\|undefined symbol" <<<"$probe"; then
		pt_why[$name]="it cannot start: $(grep -m1 'symbol' <<<"$probe")"
		return
	fi
	for ((r = 1; r <= reps; r++)); do
		in_ns "$ns_a" "$t" "${timed[@]}" "$tmp/$name.$r.cpus" \
			stdbuf -oL "/usr/bin/$tool" -d "$dev_a" -x 0 -F "$@" \
			>"$tmp/$name.$r.server" 2>&1 &
		spid=$!
		pids+=("$spid")
		# The client gives up at once while the server is not
		# listening.
		for _ in $(seq 20); do
			rc=0
			in_ns "$ns_b" "$t" "${timed[@]}" "$tmp/$name.$r.cpuc" \
				stdbuf -oL "/usr/bin/$tool" -d "$dev_b" -x 0 \
				-F "$@" "$addr_a" >"$tmp/$name.$r.out" 2>&1 ||
				rc=$?
			((rc)) &&
				grep -q "Couldn't connect\|Unable to" \
					"$tmp/$name.$r.out" &&
				{ sleep 0.2; continue; }
			break
		done
		# The client's figures are what counts; its status says it.
		wait "$spid" || true
		forget "$spid"
		why=
		if ((rc == 124)); then
			why="timed out after $t s"
		elif ((rc)); then
			why="exit $rc: $(grep -v '^ *$' "$tmp/$name.$r.out" |
				tail -1)"
		fi
		# The figures follow the header that starts with #bytes.
		line=$(awk '/#bytes/ { getline; print; exit }' \
			"$tmp/$name.$r.out")
		if [[ -n $why || -z $line ]]; then
			pt_why[$name]=${why:-no result line}
			continue
		fi
		awk -v lat="$([[ $tool == *_lat ]] && echo 1)" '{
			if (lat)
				printf "result bytes=%d iters=%d t_typical=%s " \
					"t_avg=%s p99=%s\n", $1 * $2, $2, $5, $6, $8
			else
				printf "result bytes=%d iters=%d gbps=%s " \
					"mpps=%s\n", $1 * $2, $2, $4, $5
		}' <<<"$line" >"$tmp/$name.$r"
	done
}

echo "  perftest"
perftest wbw64 ib_write_bw -s 64 -n 300000 --report_gbits
perftest sbw64 ib_send_bw -s 64 -n 300000 --report_gbits
perftest wbw64k ib_write_bw -s 65536 -n 30000 --report_gbits
perftest sbw64k ib_send_bw -s 65536 -n 30000 --report_gbits
perftest rbw64k ib_read_bw -s 65536 -n 30000 --report_gbits
perftest wbw64k_q64 ib_write_bw -s 65536 -n 500 -q 64 --report_gbits
perftest wbw64k_q1000 ib_write_bw -s 65536 -n 30 -q 1000 --report_gbits
perftest wlat ib_write_lat -s 2 -n 5000
perftest rlat ib_read_lat -s 2 -n 5000
perftest alat ib_atomic_lat -n 5000
perftest slat ib_send_lat -s 2 -n 5000

# peer NAME SECS SERVER_CMD -- CLIENT_CMD: a software peer over TCP,
# without uroce, BENCH_REPS times; trial R's client output in $tmp/NAME.R.
peer() {
	local name=$1 t=$2 r spid
	local -a srv=() cli=()

	shift 2
	split_args "$@"
	for ((r = 1; r <= reps; r++)); do
		in_plain "$ns_a" "$t" "${timed[@]}" "$tmp/$name.$r.cpus" \
			"${srv[@]}" >"$tmp/$name.$r.server" 2>&1 &
		spid=$!
		pids+=("$spid")
		sleep 0.5
		in_plain "$ns_b" "$t" "${timed[@]}" "$tmp/$name.$r.cpuc" \
			"${cli[@]}" >"$tmp/$name.$r.out" 2>&1 || true
		wait "$spid" || true
		forget "$spid"
	done
}

# ucx NAME ARGS...: ucx_perftest over TCP; its figures as a result line:
# bytes msgs lat_med lat_avg (one way, us) mbytes_s mmsgs_s.
ucx() {
	local name=$1 r size

	shift
	size=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-s") print $(i + 1) }' \
		<<<"$*")
	peer "$name" 60 env UCX_TLS=tcp UCX_NET_DEVICES="$if_a" ucx_perftest \
		-p 13337 -- env UCX_TLS=tcp UCX_NET_DEVICES="$if_b" \
		ucx_perftest "$addr_a" -p 13337 -f "$@"
	for ((r = 1; r <= reps; r++)); do
		awk -v s="$size" 'NF == 8 && $1 ~ /^[0-9]+$/ {
			printf "result bytes=%d msgs=%d lat_med=%s lat_avg=%s " \
				"mbytes_s=%s mmsgs_s=%.4f\n", $1 * s, $1, $2, \
				$3, $6, $8 / 1e6 }' "$tmp/$name.$r.out" >"$tmp/$name.$r"
	done
}

echo "  software peers over TCP"
fi_rma=$build/bin/uroce_fi_rma
if command -v ucx_perftest >/dev/null; then
	ucx ucx_put64 -t ucp_put_bw -s 64 -n 1000000
	ucx ucx_put64k -t ucp_put_bw -s 65536 -n 40000
	ucx ucx_lat -t tag_lat -s 2 -n 20000
fi
if [[ -x $fi_rma ]]; then
	for s in 64 65536; do
		peer "fi_rma$s" 30 "$fi_rma" server -a "$addr_a" -p "$port" -- \
			"$fi_rma" client -a "$addr_a" -p "$port" -s "$s" -t 2
		for ((r = 1; r <= reps; r++)); do
			awk '$1 == "result" { split($2, a, "=")
				split($3, b, "=")
				print $0 " bytes=" a[2] * b[2] }' \
				"$tmp/fi_rma$s.$r.out" >"$tmp/fi_rma$s.$r"
		done
	done
fi
if command -v fi_pingpong >/dev/null; then
	peer fi_pp 30 fi_pingpong -p tcp -e msg -S 2 -I 20000 -- \
		fi_pingpong -p tcp -e msg -S 2 -I 20000 "$addr_a"
	# bytes #sent #ack total time MB/sec usec/xfer Mxfers/sec
	for ((r = 1; r <= reps; r++)); do
		awk '$1 == 2 { print "result usec_xfer=" $7 }' \
			"$tmp/fi_pp.$r.out" >"$tmp/fi_pp.$r"
	done
fi
echo "  memory of idle RC QPs"
in_ns "$ns_a" 60 "$build/bin/uroce_qp_mem" -d "$dev_a" -n 512 \
	>"$tmp/qp_mem" 2>&1 || failed=1
in_ns "$ns_a" 60 "$build/bin/uroce_qp_mem" -d "$dev_a" -n 512 -s 1 -r 1 \
	>"$tmp/qp_mem_min" 2>&1 || failed=1

# The table.
echo
echo "=== uroce benchmark: $(nproc) CPUs, $(uname -r)," \
	"veth MTU 9000 between two namespaces ==="
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "net.core.rmem_max $(cat /proc/sys/net/core/rmem_max)," \
	"wmem_max $(cat /proc/sys/net/core/wmem_max)" \
	"(uroce and the UDP stream ask for 4 MiB socket buffers)"
echo "each figure: median (min - max) of $reps trials"
echo
udp_pp=$(trials udp_pp rtt_med_us)
tcp_gbps=$(trials tcp_stream gbps)
echo "Limits of the path (no uroce)"
printf '  %-44s RTT %s us, p99 %s us\n' \
	"UDP ping-pong, 20 B datagrams, busy polling" "$udp_pp" \
	"$(trials udp_pp rtt_p99_us)"
printf '  %-44s %s Gbit/s received\n' \
	"UDP stream, 4 KiB datagrams, 1 per send" \
	"$(trials udp_stream gbps 4096 udp-stream)"
printf '  %-44s %s Gbit/s\n' "TCP stream, one connection" "$tcp_gbps"
printf '  %-44s %s k datagrams/s received\n' \
	"UDP stream, 64 B datagrams, 32 per sendmmsg" \
	"$(trials udp_mmsg kmsgs_s 64 udp-stream)"
printf '  %-44s %s k datagrams/s received\n' \
	"UDP stream, 64 B, 64 per GSO send, UDP_GRO" \
	"$(trials udp_gso kmsgs_s 64 udp-stream)"
echo
echo "uroce's own benchmark: RC latency, 2-byte messages, one QP:" \
	"round trip in us"
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
echo "uroce's own benchmark: RC bandwidth, Gbit/s of payload: median of" \
	"$reps trials of $secs s; up to 128 WRs or 8 MiB outstanding per QP"
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
# fig NAME KEY: perftest or peer figure, or why there is none.
fig() {
	local v

	v=$(trials "$1" "$2")
	if [[ $v == - && -n ${pt_why[$1]:-} ]]; then
		echo "- (${pt_why[$1]})"
	else
		echo "$v"
	fi
}
echo "perftest (Debian's binaries on uroce's libibverbs)"
for t in "wbw64:ib_write_bw -s 64, 1 QP" "sbw64:ib_send_bw -s 64, 1 QP"; do
	printf '  %-40s %s M messages/s\n' "${t#*:}" "$(fig "${t%%:*}" mpps)"
done
for t in "wbw64k:ib_write_bw -s 65536, 1 QP" \
	"wbw64k_q64:ib_write_bw -s 65536, 64 QPs" \
	"wbw64k_q1000:ib_write_bw -s 65536, 1000 QPs" \
	"sbw64k:ib_send_bw -s 65536, 1 QP" \
	"rbw64k:ib_read_bw -s 65536, 1 QP"; do
	printf '  %-40s %s Gbit/s\n' "${t#*:}" "$(fig "${t%%:*}" gbps)"
done
for t in "wlat:ib_write_lat -s 2" "rlat:ib_read_lat -s 2" \
	"alat:ib_atomic_lat (8 B)" "slat:ib_send_lat -s 2"; do
	printf '  %-40s t_typical %s us, 99%% %s us\n' "${t#*:}" \
		"$(fig "${t%%:*}" t_typical)" "$(trials "${t%%:*}" p99)"
done
echo
echo "Software peers over TCP (no uroce)"
printf '  %-40s %s M messages/s\n' "UCX tcp ucp_put_bw 64 B" \
	"$(trials ucx_put64 mmsgs_s)"
printf '  %-40s %s MB/s\n' "UCX tcp ucp_put_bw 64 KiB" \
	"$(trials ucx_put64k mbytes_s)"
printf '  %-40s median %s us (one way)\n' "UCX tcp tag_lat 2 B" \
	"$(trials ucx_lat lat_med)"
printf '  %-40s %s M messages/s\n' "libfabric tcp RMA write 64 B" \
	"$(trials fi_rma64 mmsgs_s)"
printf '  %-40s %s Gbit/s\n' "libfabric tcp RMA write 64 KiB" \
	"$(trials fi_rma65536 gbps)"
printf '  %-40s %s us per transfer (one way)\n' \
	"libfabric tcp fi_pingpong msg 2 B" "$(trials fi_pp usec_xfer)"
echo
echo "CPU seconds, both ends together (user + system; whole runs," \
	"set-up included)"
for t in "wbw64k:bytes:1e9:per GB, ib_write_bw 64 KiB" \
	"sbw64k:bytes:1e9:per GB, ib_send_bw 64 KiB" \
	"rbw64k:bytes:1e9:per GB, ib_read_bw 64 KiB" \
	"tcp_stream:bytes:1e9:per GB, one TCP stream" \
	"fi_rma65536:bytes:1e9:per GB, libfabric tcp RMA write 64 KiB" \
	"ucx_put64k:bytes:1e9:per GB, UCX tcp put 64 KiB" \
	"wbw64:iters:1e6:per M messages, ib_write_bw 64 B" \
	"sbw64:iters:1e6:per M messages, ib_send_bw 64 B" \
	"fi_rma64:msgs:1e6:per M messages, libfabric tcp RMA write 64 B" \
	"ucx_put64:msgs:1e6:per M messages, UCX tcp put 64 B"; do
	IFS=: read -r n k sc label <<<"$t"
	printf '  %-54s %s\n' "$label" "$(per_unit "$n" "$k" "$sc")"
done
echo
echo "Memory of an idle connected RC QP (bench/qp_mem.c, 512 QPs)"
for f in qp_mem qp_mem_min; do
	printf '  send/recv WRs %s/%s: %s KiB PSS per QP, %s KiB of it' \
		"$(get "$f" send_wr)" "$(get "$f" recv_wr)" \
		"$(get "$f" pss_kib_per_qp)" "$(get "$f" asked_kib_per_qp)"
	printf ' asked for, %s KiB beyond\n' "$(get "$f" beyond_kib_per_qp)"
done

# Issue 19's targets.
wr64=$(med "$(trials wbw64 mpps)")
sd64=$(med "$(trials sbw64 mpps)")
peer64=$(awk -v a="$(med "$(trials fi_rma64 mmsgs_s)")" \
	-v b="$(med "$(trials ucx_put64 mmsgs_s)")" 'BEGIN {
	a += 0
	b += 0
	print (a > b ? a : b) ? (a > b ? a : b) : "-" }')
rtt=$(med "$udp_pp")
w64k=$(med "$(trials wbw64k gbps)")
fi64k=$(med "$(trials fi_rma65536 gbps)")
tcpg=$(med "$tcp_gbps")
# twice NAME: 2 x the median t_typical (a round trip), or -.
twice() {
	awk -v v="$(med "$(trials "$1" t_typical)")" \
		'BEGIN { if (v == "-") print "-"; else print 2 * v }'
}
# p99r NAME: perftest's 99% over its t_typical, medians.
p99r() {
	ratio "$(med "$(trials "$1" p99)")" "$(med "$(trials "$1" t_typical)")"
}
echo
echo "Issue 19's targets (medians; met when the ratio is on the right side)"
printf '  %-52s %s M/s  (>= 1.0)\n' "1. ib_write_bw -s 64" "$wr64"
printf '  %-52s %s M/s  (>= 1.0)\n' "1. ib_send_bw -s 64" "$sd64"
printf '  %-52s %s  (>= 5)\n' \
	"1. ib_write_bw -s 64 / best peer 64 B ($peer64 M/s)" \
	"$(ratio "$wr64" "$peer64")"
printf '  %-52s %s  (>= 5)\n' "1. ib_send_bw -s 64 / best peer 64 B" \
	"$(ratio "$sd64" "$peer64")"
for n in wlat:ib_write_lat rlat:ib_read_lat alat:ib_atomic_lat; do
	printf '  %-52s %s  (<= 1.5)\n' \
		"2. ${n#*:} round trip / UDP ping-pong RTT ($rtt us)" \
		"$(ratio "$(twice "${n%%:*}")" "$rtt")"
	printf '  %-52s %s  (<= 5)\n' "2. ${n#*:} 99% / t_typical" \
		"$(p99r "${n%%:*}")"
done
printf '  %-52s %s  (<= 1.2)\n' "3. ib_send_lat round trip / UDP RTT" \
	"$(ratio "$(twice slat)" "$rtt")"
printf '  %-52s %s  (< 1)\n' "3. ib_send_lat t_typical / UCX tcp tag_lat" \
	"$(ratio "$(med "$(trials slat t_typical)")" \
		"$(med "$(trials ucx_lat lat_med)")")"
printf '  %-52s %s  (< 1)\n' "3. ib_send_lat t_typical / libfabric pingpong" \
	"$(ratio "$(med "$(trials slat t_typical)")" \
		"$(med "$(trials fi_pp usec_xfer)")")"
printf '  %-52s %s  (>= 1.2)\n' "4. ib_write_bw 64 KiB / libfabric tcp RMA" \
	"$(ratio "$w64k" "$fi64k")"
printf '  %-52s %s  (>= 1.2)\n' "4. ib_write_bw 64 KiB / one TCP stream" \
	"$(ratio "$w64k" "$tcpg")"
printf '  %-52s %s  (>= 0.9)\n' "4. ib_read_bw / ib_write_bw, 64 KiB" \
	"$(ratio "$(med "$(trials rbw64k gbps)")" "$w64k")"
printf '  %-52s %s  (>= 0.9)\n' "4. ib_write_bw 64 QPs / 1 QP, 64 KiB" \
	"$(ratio "$(med "$(trials wbw64k_q64 gbps)")" "$w64k")"
printf '  %-52s %s  (>= 0.9)\n' "4. ib_write_bw 1000 QPs / 1 QP, 64 KiB" \
	"$(ratio "$(med "$(trials wbw64k_q1000 gbps)")" "$w64k")"
printf '  %-52s %s KiB  (<= 64)\n' "5. idle RC QP beyond its queues (128/128)" \
	"$(get qp_mem beyond_kib_per_qp)"
((!failed)) || exit 1
