#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Where the remaining cost is (scripts/bench.sh costs): Debian's perftest
# on uroce between two namespaces (veth, MTU 9000), server in A, client in
# B, each end under `perf stat` (task-clock, context switches, system
# calls in all and by name) and GNU time (voluntary and involuntary
# context switches), with a fixed iteration count, so every figure is per
# message (per round trip for the latency tools). Beside them the same
# counts for the path's limits (uroce_bench's UDP ping-pong and 64 B UDP
# streams, no uroce). BENCH_REPS trials (default 3): median (range), with
# /proc/loadavg at each trial. Then, unless COSTS_PROFILE=0, one more run
# of each tool under `perf record` and each end's top symbols, and one of
# each latency tool recording its context switches: per round trip, which
# thread left the CPU, in which system call.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
reps=${BENCH_REPS:-3}
profile=${COSTS_PROFILE:-1}
# tests/lib/netns.sh's uroce_run and wait_listen find the build in BUILD
# (as BINDIR and LIBDIR) and are bounded by CMD_TIMEOUT.
# shellcheck disable=SC2034 # read by tests/lib/netns.sh
BUILD=$build
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"
# shellcheck disable=SC2034 # read by tests/lib/netns.sh
CMD_TIMEOUT=60
# shellcheck source=lib.sh
source "$top/bench/lib.sh"

ns_a=uroce-co-$$-a
ns_b=uroce-co-$$-b
if_a=uco$$a
if_b=uco$$b
addr_a=10.80.$(($$ % 200 + 20)).1
addr_b=${addr_a%.1}.2
port=18515
tmp=
spid=

(($(id -u) == 0)) || die "needs root, for network namespaces and perf"
for p in perf ib_write_bw /usr/bin/time; do
	command -v "$p" >/dev/null ||
		die "no $p (scripts/deps.sh installs linux-perf, perftest, time)"
done
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP
bench_start uroce-costs
netns_pair "$ns_a" "$ns_b" "$if_a" "$if_b" "$addr_a" "$addr_b" 9000

# The system calls counted by name; the rest is "other".
names=(sendmmsg recvmmsg sendmsg recvmsg sendto recvfrom futex epoll_wait
	epoll_ctl sched_yield poll ppoll read write clock_nanosleep)
events=task-clock,context-switches,cpu-migrations,raw_syscalls:sys_enter
for n in "${names[@]}"; do
	events+=,syscalls:sys_enter_$n
done

# wrap_for KIND OUT: in $wrap the command that runs a program under perf
# stat (OUT.perf) and GNU time (OUT.time: user and system seconds,
# voluntary and involuntary switches), or, KIND record, under perf record
# (OUT.data), or, KIND switches, perf record of every context switch with
# its call chain (OUT.data).
wrap_for() {
	if [[ $1 == record ]]; then
		wrap=(perf record -q -F 999 -o "$2.data" --)
	elif [[ $1 == switches ]]; then
		wrap=(perf record -q -e sched:sched_switch -g -o "$2.data" --)
	else
		# shellcheck disable=SC2054 # -x, is perf's separator
		wrap=(perf stat -x, -o "$2.perf" -e "$events" --
			/usr/bin/time -f '%U %S %w %c' -o "$2.time")
	fi
}

# perftest_pair KIND OUT TOOL ARGS...: Debian's TOOL through uroce run
# (tests/lib/netns.sh's uroce_run), server in A and client in B, each end
# wrapped as wrap_for KIND says; the client's output in OUT.out, the
# server's in OUT.srv.
perftest_pair() {
	local kind=$1 out=$2 tool=$3 rc=0
	local -a wrap

	shift 3
	wrap_for "$kind" "$out.s"
	uroce_run "$ns_a" "${wrap[@]}" "/usr/bin/$tool" -d "uroce_$if_a" \
		-x 0 -F "$@" >"$out.srv" 2>&1 &
	spid=$!
	wait_listen "$ns_a" tcp "$port" "$spid"
	wrap_for "$kind" "$out.c"
	uroce_run "$ns_b" "${wrap[@]}" "/usr/bin/$tool" -d "uroce_$if_b" \
		-x 0 -F "$@" "$addr_a" >"$out.out" 2>&1 || rc=$?
	wait "$spid" || true
	spid=
	return "$rc"
}

# limit_pair OUT MODE ARGS...: uroce_bench MODE, no uroce, both ends
# counted; the client's result line in OUT.out.
limit_pair() {
	local out=$1 mode=$2 rc=0
	local -a wrap

	shift 2
	wrap_for stat "$out.s"
	timeout 60 ip netns exec "$ns_a" "${wrap[@]}" "$BINDIR/uroce_bench" \
		"$mode" server -p "$port" >"$out.srv" 2>&1 &
	spid=$!
	wait_listen "$ns_a" tcp "$port" "$spid"
	wrap_for stat "$out.c"
	timeout 60 ip netns exec "$ns_b" "${wrap[@]}" "$BINDIR/uroce_bench" \
		"$mode" client -a "$addr_a" -p "$port" "$@" >"$out.out" 2>&1 ||
		rc=$?
	wait "$spid" || true
	spid=
	return "$rc"
}

# per_msg OUT MSGS: OUT.perf's and OUT.time's counts per message, one
# line: CPU us, system calls, switches, voluntary, involuntary,
# migrations, then each of names[].
per_msg() {
	awk -F, -v m="$2" -v tf="$1.time" -v list="${names[*]}" '
		BEGIN { split(list, nm, " ") }
		NF > 3 { c[$3] = $1 }
		END {
			getline t < tf
			split(t, a, " ")
			printf "%.2f %.3f %.3f %.3f %.3f %.4f",
				c["task-clock"] * 1000 / m,
				c["raw_syscalls:sys_enter"] / m,
				c["context-switches"] / m, a[3] / m, a[4] / m,
				c["cpu-migrations"] / m
			for (i = 1; i in nm; i++)
				printf " %.3f", c["syscalls:sys_enter_" nm[i]] / m
			print ""
		}' "$1.perf"
}

# Each measurement: NAME|LABEL|KIND (tool or limit)|ITERATIONS|COMMAND;
# the streams' message count is in their result line.
tests=(
	"wbw64|ib_write_bw -s 64, 1 QP|tool|300000|ib_write_bw -s 64 -n 300000"
	"sbw64|ib_send_bw -s 64, 1 QP|tool|300000|ib_send_bw -s 64 -n 300000"
	"wlat|ib_write_lat -s 2|tool|5000|ib_write_lat -s 2 -n 5000"
	"rlat|ib_read_lat -s 2|tool|5000|ib_read_lat -s 2 -n 5000"
	"slat|ib_send_lat -s 2|tool|5000|ib_send_lat -s 2 -n 5000"
	"wbw64k|ib_write_bw 64 KiB, 1 QP|tool|20000|ib_write_bw -s 65536 -n 20000"
	"rbw64k|ib_read_bw 64 KiB, 1 QP|tool|20000|ib_read_bw -s 65536 -n 20000"
	"udp_pp|UDP ping-pong 20 B, busy poll|limit|20000|udp-pingpong -n 20000"
	"udp_mmsg|UDP 64 B, 32 per sendmmsg|limit|-|udp-stream -s 64 -l 32 -t 2"
	"udp_gso|UDP 64 B, 64 per GSO send|limit|-|udp-stream -s 64 -l 64 -G -t 2"
)

# figure NAME TRIAL: the trial's own figure: M msg/s (64 B), Gbit/s
# (64 KiB), t_typical in us (latency), round trip in us (ping-pong).
figure() {
	local f=$tmp/$1.$2.out

	case $1 in
	*lat) awk '/#bytes/ { getline; print $5; exit }' "$f" ;;
	wbw64 | sbw64) awk '/#bytes/ { getline; print $5; exit }' "$f" ;;
	*bw64k) awk '/#bytes/ { getline; print $4 * 8 / 1000; exit }' "$f" ;;
	udp_pp) tr ' ' '\n' <"$f" | awk -F= '$1 == "rtt_med_us" { print $2 }' ;;
	*) tr ' ' '\n' <"$f" | awk -F= '$1 == "msgs" { m = $2 }
		$1 == "secs" { s = $2 } END { if (s) print m / s / 1e6 }' ;;
	esac
}

# unit NAME: the unit of figure NAME.
unit() {
	case $1 in
	*lat) echo "us t_typical" ;;
	*bw64k) echo "Gbit/s" ;;
	udp_pp) echo "us round trip" ;;
	*) echo "M msg/s" ;;
	esac
}

# msgs NAME TRIAL ITERS: the messages (round trips) the trial counted.
msgs() {
	if [[ $3 != - ]]; then
		echo "$3"
	else
		tr ' ' '\n' <"$tmp/$1.$2.out" |
			awk -F= '$1 == "msgs" { print $2 }'
	fi
}

echo "=== uroce costs per message: $(nproc) CPUs, $(uname -r), commit" \
	"$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo -) ==="
for t in "${tests[@]}"; do
	IFS='|' read -r name label kind iters cmd <<<"$t"
	read -ra args <<<"$cmd"
	for ((r = 1; r <= reps; r++)); do
		cut -d' ' -f1-3 /proc/loadavg >"$tmp/$name.$r.load"
		if [[ $kind == tool ]]; then
			perftest_pair stat "$tmp/$name.$r" "${args[@]}" ||
				echo "  $name trial $r failed:" \
					"$(tail -1 "$tmp/$name.$r.out")" >&2
		else
			limit_pair "$tmp/$name.$r" "${args[@]}" ||
				echo "  $name trial $r failed" >&2
		fi
		m=$(msgs "$name" "$r" "$iters")
		for end in s c; do
			[[ -s $tmp/$name.$r.$end.perf && -n $m ]] &&
				per_msg "$tmp/$name.$r.$end" "$m" \
					>"$tmp/$name.$r.$end.row"
		done
		echo "  $name trial $r: $(figure "$name" "$r")," \
			"load $(cat "$tmp/$name.$r.load")" >&2
	done
done

# col NAME END FIELD: FIELD of END's rows over the trials, median (range).
col() {
	local r v=()

	for ((r = 1; r <= reps; r++)); do
		[[ -s $tmp/$1.$r.$2.row ]] &&
			v+=("$(awk -v f="$3" '{ print $f }' "$tmp/$1.$r.$2.row")")
	done
	stats "${v[@]}"
}

echo
echo "median (range) of $reps trials, per message (per round trip for the"
echo "latency tools); CPU is task-clock in us; /proc/loadavg at each trial"
for t in "${tests[@]}"; do
	IFS='|' read -r name label kind iters cmd <<<"$t"
	v=()
	for ((r = 1; r <= reps; r++)); do
		v+=("$(figure "$name" "$r")")
	done
	# shellcheck disable=SC2046 # a list of numbers
	echo "$label ($cmd): $(stats $(printf '%s\n' "${v[@]}" | grep . ||
		true)) $(unit "$name"); load $(cut -d' ' -f1 "$tmp/$name".*.load |
		paste -sd/)"
	for end in s c; do
		printf '  %-6s CPU %s, syscalls %s, switches %s' \
			"$([[ $end == s ]] && echo server || echo client)" \
			"$(col "$name" "$end" 1)" "$(col "$name" "$end" 2)" \
			"$(col "$name" "$end" 3)"
		printf ' (voluntary %s, involuntary %s)\n         ' \
			"$(col "$name" "$end" 4)" "$(col "$name" "$end" 5)"
		for ((i = 0; i < ${#names[@]}; i++)); do
			c=$(col "$name" "$end" $((i + 7)))
			[[ $c == - || ${c%% *} == 0 ]] ||
				printf ' %s %s;' "${names[i]}" "${c%% (*}"
		done
		echo
	done
done

# switch_sites DATA ITERS: where DATA's threads left the CPU, per
# iteration: the main thread (the application) or another (uroce's
# engine), the kernel function and the first symbol in user space.
switch_sites() {
	perf script -i "$1" -F pid,tid,ip,sym,dso 2>/dev/null | awk -v n="$2" '
		/^ *[0-9]+\/[0-9]+/ { split($1, t, "/")
			who = t[1] == t[2] ? "main" : "other"; k = u = ""; next }
		/^\t/ { if ($3 ~ /kallsyms/) {
				if (k == "" && $2 !~ /^(__)?schedule$|^__cond_resched$/)
					k = $2
			} else if (u == "" && $2 != "[unknown]") u = $2
			next }
		who != "" { c[who " " k " < " u]++; who = "" }
		END { for (x in c) printf "%.3f %s\n", c[x] / n, x }' |
		sort -rn | head -4 | paste -sd';' | sed 's/;/; /g'
}

((profile)) || exit 0
echo
echo "where the CPU time goes: one more run of each tool under perf"
echo "record, each end's top symbols (% of its samples)"
for t in "${tests[@]}"; do
	IFS='|' read -r name label kind iters cmd <<<"$t"
	[[ $kind == tool ]] || continue
	read -ra args <<<"$cmd"
	perftest_pair record "$tmp/$name.p" "${args[@]}" || true
	echo "$label"
	for end in s c; do
		echo "  $([[ $end == s ]] && echo server || echo client):" \
			"$(perf report -i "$tmp/$name.p.$end.data" --stdio \
				--no-children --sort dso,sym 2>/dev/null |
				awk '$1 ~ /%$/ && n < 6 { n++
					printf "%s %s %s; ", $1, $2, $NF }')"
	done
done
echo
echo "where the threads leave the CPU: one more run of each latency tool"
echo "under perf record -e sched:sched_switch -g, per round trip: thread"
echo "(main: the application's; other: uroce's engine), kernel < user site"
for t in "${tests[@]}"; do
	IFS='|' read -r name label kind iters cmd <<<"$t"
	[[ $name == *lat ]] || continue
	read -ra args <<<"$cmd"
	perftest_pair switches "$tmp/$name.w" "${args[@]}" || true
	echo "$label: $(figure "$name" w) $(unit "$name")"
	for end in s c; do
		echo "  $([[ $end == s ]] && echo server || echo client):" \
			"$(switch_sites "$tmp/$name.w.$end.data" "$iters")"
	done
done
