#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce's wire-compatible RoCE v2 mode (UROCE_WIRE=roce) against the
# kernel's soft-RoCE: Debian's tools on the guest's rxe0 (vm.sh) and on
# uroce in the namespace joined to the guest by the tap, in both
# directions (uroce as server and as client, the server started first and
# the client started once the server listens). Each case prints what ran
# and one result line with its figure; a summary of all ends the output.
#
#   rc_pingpong  ibv_rc_pingpong -c (data checked by both ends)
#   ud_pingpong  ibv_ud_pingpong -c
#                (these two and the perftest cases on the IPv4 GIDs)
#   rc_pingpong_gid0 ud_pingpong_gid0
#                the same with -g 0 on both ends: the default GIDs (IPv6
#                link-local), which must be of one family on both
#   write_bw read_bw send_bw atomic_bw write_lat
#                perftest, QP data exchanged over TCP
#   rping        rping -v -C 100 (each payload checked here)
#   ucmatose udaddy
#                rdmacm-utils
#   write_bw_cm  ib_write_bw -R (RDMA CM)
#   loss_rc_pingpong loss_write_bw
#                as above with nftables dropping RXE_INTEROP_LOSS percent
#                (default 2) of the UDP port 4791 datagrams in the
#                namespace (the pingpong's ACKs spared); some must be
#                dropped
#
# Environment:
#   RXE_INTEROP_CASES  the cases to run, by name (blank or comma
#                      separated; default all, in the order above)
#   RXE_INTEROP_DIRS   "server client" (default): uroce as server, as
#                      client; either alone
#   RXE_INTEROP_PEER   uroce (default), or guest: the guest's rxe1 stands
#                      in for uroce, over the wire (rxe-selfwire); checks
#                      the harness without uroce
#   RXE_INTEROP_BUDGET seconds (default 560) from the start: a case that
#                      might not end by then does not start and counts
#                      as failed
#   RXE_INTEROP_LOSS   percent dropped by the loss cases (default 2)
#   RXE_INTEROP_FORCE  1: run even when uroce has no UROCE_WIRE (every
#                      case then fails, within its time bound)
#   BUILD or UROCE_TEST_LIBDIR/UROCE_TEST_BINDIR: uroce's build
# and vm.sh's VM_*; UROCE_TEST_TIME_SCALE stretches every bound. Exit
# status: 0 all passed, 1 a case failed, 77 skip
# (not root, no qemu or archive, or this build of uroce has no
# wire-compatible mode: its provider does not know UROCE_WIRE).

# shellcheck source=../lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"
# shellcheck source=vm.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm.sh"

TEST_NAME=interop
VM_NAME=interop
BINDIR=${BINDIR:-$(dirname "$LIBDIR")/bin}
HOST=192.0.2.1
G0=192.0.2.2
G1=192.0.2.3
ALL_CASES="rc_pingpong ud_pingpong rc_pingpong_gid0 ud_pingpong_gid0
	write_bw read_bw send_bw atomic_bw
	write_lat rping ucmatose udaddy write_bw_cm loss_rc_pingpong
	loss_write_bw"
CASES=$(echo "${RXE_INTEROP_CASES:-$ALL_CASES}" | tr ',' ' ')
DIRS=${RXE_INTEROP_DIRS:-server client}
PEER=${RXE_INTEROP_PEER:-uroce}
BUDGET=${RXE_INTEROP_BUDGET:-$(scaled 560)}
LOSS=${RXE_INTEROP_LOSS:-2}
NS=
# The peer's device, address and GID index (IPv4 on both ends: uroce's
# table and rxe's differ at index 0, see interop_gids).
RXE_GID=
PEER_DEV=
PEER_ADDR=
PEER_GID=
# GID 0 of each end, as ibv_devinfo prints it.
RXE_GID0=
PEER_GID0=
declare -A HOST_PID=()
RESULTS=()
FAILED=0
CASE_ID=0

# What the case prints last, its figure: set by the case.
FIGURE=
# Each case's time bound (seconds) for each of its programs, about four
# times what it takes guest to guest under TCG here; a failing case takes
# at most twice that and 15 s (pair).
declare -A CASE_TIME=([rc_pingpong]=20 [ud_pingpong]=20
	[rc_pingpong_gid0]=20 [ud_pingpong_gid0]=20 [write_bw]=25
	[read_bw]=25 [send_bw]=25 [atomic_bw]=20 [write_lat]=25 [rping]=20
	[ucmatose]=20 [udaddy]=20 [write_bw_cm]=25 [loss_rc_pingpong]=40
	[loss_write_bw]=40)
T=

# --- running on either side

# subst SIDE CMD SERVER_ADDR: CMD with @DEV@, @GID@ and @SRV@ replaced.
subst() {
	local dev gid c=$2

	if [[ $1 == rxe ]]; then
		dev=rxe0
		gid=$RXE_GID
	else
		dev=$PEER_DEV
		gid=$PEER_GID
	fi
	c=${c//@DEV@/$dev}
	c=${c//@GID@/$gid}
	echo "${c//@SRV@/$3}"
}

# host_cmd SEC CMD: CMD (a tool of /usr/bin and its words) on uroce in the
# namespace, in the wire-compatible mode, none of the caller's UROCE_*.
# Always called in a subshell ($(...) or &), which it replaces: a
# background one's PID is then timeout's, which passes a kill on.
host_cmd() {
	local t=$1 var
	local -a w unset=() san=()

	read -ra w <<<"$2"
	for var in $(compgen -e); do
		[[ $var == UROCE_* ]] && unset+=(-u "$var")
	done
	mapfile -t san < <(sanitizer_env)
	exec timeout -k 2 "$t" ip netns exec "$NS" env "${unset[@]}" \
		-u LD_LIBRARY_PATH UROCE_CONF= UROCE_WIRE=roce "${san[@]}" \
		"$BINDIR/uroce" run "/usr/bin/${w[0]}" "${w[@]:1}"
}

# on_peer: the peer is the guest itself (rxe1).
on_guest() {
	[[ $1 == rxe || $PEER == guest ]]
}

# Each program's stdout and stderr go to files of their own, shown one
# after the other: a line of stdout that stdio flushes in two parts would
# otherwise have a message of stderr in its middle.

# side_start SIDE ID SEC CMD: CMD in the background on SIDE, at most SEC.
# The guest's commands that should take no time get 20 s: a guest starved
# by this machine's load answers slowly.
side_start() {
	if on_guest "$1"; then
		(vm_run -t 20 "rm -f /tmp/$2.*
			( timeout $3 $4 >/tmp/$2.out 2>/tmp/$2.err &
			  echo \$! >/tmp/$2.pid
			  wait \$!
			  echo \$? >/tmp/$2.rc ) </dev/null >/dev/null 2>&1 &")
	else
		host_cmd "$3" "$4" >"$TMP/$2.out" 2>"$TMP/$2.err" &
		HOST_PID[$2]=$!
	fi
}

# side_listening SIDE ID tcp|cm PORT: whether the server ID listens.
side_listening() {
	local check

	if on_guest "$1"; then
		if [[ $3 == tcp ]]; then
			check="netstat -ltn | grep -q ':$4 '"
		else
			check="rdma res show cm_id | grep LISTEN |
				grep -q ':$4 \|:$4\$'"
		fi
		vm_run -t 20 "$check && exit 0; [ -e /tmp/$2.rc ] && exit 2
			exit 1" >/dev/null
		return
	fi
	kill -0 "${HOST_PID[$2]}" 2>/dev/null || return 2
	if [[ $3 == tcp ]]; then
		ip netns exec "$NS" ss -Hltn "sport = :$4" | grep -q .
	else
		ip netns exec "$NS" "$BINDIR/uroce" res cm_id 2>/dev/null |
			grep LISTEN | grep -q ":$4\b"
	fi
}

# side_wait_listen SIDE ID KIND PORT SEC: until the server listens; 1 if
# it ends first or SEC pass.
side_wait_listen() {
	local end=$((SECONDS + $5)) rc

	while ((SECONDS < end)); do
		rc=0
		side_listening "$1" "$2" "$3" "$4" || rc=$?
		((rc == 0)) && return 0
		if ((rc == 2)); then
			echo "the server ended before it listened"
			return 1
		fi
		sleep 0.3
	done
	echo "the server did not listen on $3 port $4 within $5 s"
	return 1
}

# side_run SIDE SEC CMD: CMD on SIDE, its output and status.
side_run() {
	local rc=0

	if on_guest "$1"; then
		vm_run -t "$2" "$3 2>/tmp/run.err; rc=\$?; cat /tmp/run.err
			exit \$rc"
		return
	fi
	(host_cmd "$2" "$3" 2>"$TMP/run.err") || rc=$?
	cat "$TMP/run.err"
	return "$rc"
}

# side_wait SIDE ID SEC: the server's output and status, waiting at most
# SEC; killed after that. Called in the shell that started the server,
# never in a $(...): there bash's wait cannot reap its parent's child and
# says -1 (exit 255) for a server still running when the subshell forks,
# one still in its teardown as the client returns.
side_wait() {
	local rc=0

	if on_guest "$1"; then
		vm_run -t "$3" "while [ ! -e /tmp/$2.rc ]; do sleep 0.2; done
			cat /tmp/$2.out /tmp/$2.err; exit \$(cat /tmp/$2.rc)" ||
			rc=$?
		((rc == 0)) || vm_run -t 20 "kill -9 \$(cat /tmp/$2.pid)
			cat /tmp/$2.out /tmp/$2.err" 2>/dev/null || true
		return "$rc"
	fi
	# Polled: a background killer would outlive a server that ends.
	local end=$((SECONDS + $3))
	while kill -0 "${HOST_PID[$2]}" 2>/dev/null && ((SECONDS < end)); do
		sleep 0.2
	done
	kill "${HOST_PID[$2]}" 2>/dev/null || true
	wait "${HOST_PID[$2]}" || rc=$?
	cat "$TMP/$2.out" "$TMP/$2.err"
	return "$rc"
}

# --- one exchange

SERVER_OUT=
CLIENT_OUT=
SERVER_RC=
CLIENT_RC=

# pair DIR KIND PORT SERVER_CMD CLIENT_CMD: the server on the side DIR
# names (server: the peer), listening on KIND (tcp, cm) PORT, then the
# client on the other; each bounded by the case's time $T. Sets SERVER_OUT
# and CLIENT_OUT; 0 when both exit 0.
pair() {
	local dir=$1 t=$T kind=$2 port=$3 ss cs saddr id rc=0 rcs=0

	if [[ $dir == server ]]; then
		ss=peer cs=rxe saddr=$PEER_ADDR
	else
		ss=rxe cs=peer saddr=$G0
	fi
	CASE_ID=$((CASE_ID + 1))
	id=srv$CASE_ID
	local scmd ccmd
	scmd=$(subst $ss "$4" "$saddr")
	ccmd=$(subst $cs "$5" "$saddr")
	echo "  server ($(side_name $ss)): $scmd"
	echo "  client ($(side_name $cs)): $ccmd"
	local t0=$SECONDS t1 t2
	side_start $ss "$id" "$t" "$scmd" || rc=1
	((rc)) || CLIENT_OUT=$(side_wait_listen $ss "$id" "$kind" "$port" \
		$((t < 15 ? t : 15))) || rc=1
	t1=$SECONDS
	if ((rc == 0)); then
		CLIENT_OUT=$(side_run $cs "$t" "$ccmd") || rc=$?
	fi
	t2=$SECONDS
	side_wait $ss "$id" $((rc ? 3 : t)) >"$TMP/$id.all" || rcs=$?
	SERVER_OUT=$(<"$TMP/$id.all")
	echo "  (server up and listening: $((t1 - t0)) s," \
		"client: $((t2 - t1)) s, server's end: $((SECONDS - t2)) s)"
	SERVER_RC=$rcs
	CLIENT_RC=$rc
	echo "--- server (exit $rcs)"
	tail -n 30 <<<"$SERVER_OUT"
	echo "--- client (exit $rc)"
	tail -n 30 <<<"$CLIENT_OUT"
	((rc == 0 && rcs == 0)) && return
	FIGURE="server exit $rcs, client exit $rc"
	return 1
}

side_name() {
	if [[ $1 == rxe ]]; then
		echo "guest rxe0"
	elif [[ $PEER == guest ]]; then
		echo "guest rxe1"
	else
		echo "uroce $PEER_DEV"
	fi
}

# --- the cases: case_NAME DIR, 0 on success, FIGURE set

# pingpong_check OUT...: each end's summary is there, no mismatch.
pingpong_check() {
	local o

	for o in "$@"; do
		grep -q "iters in" <<<"$o" || return 1
		grep -qi "mismatch\|fail" <<<"$o" && return 1
	done
	FIGURE=$(grep -m1 "iters in" <<<"$CLIENT_OUT" | sed 's/^ *//')
	FIGURE+=", $(grep -m1 "bytes in" <<<"$CLIENT_OUT" |
		sed 's/.*= //')"
}

case_rc_pingpong() {
	pair "$1" tcp 18515 "ibv_rc_pingpong -d @DEV@ -g @GID@ -n 100 -c" \
		"ibv_rc_pingpong -d @DEV@ -g @GID@ -n 100 -c @SRV@" &&
		pingpong_check "$SERVER_OUT" "$CLIENT_OUT"
}

# UD messages within the path MTU (1024 on a 1500-byte link).
case_ud_pingpong() {
	pair "$1" tcp 18515 \
		"ibv_ud_pingpong -d @DEV@ -g @GID@ -n 100 -s 512 -c" \
		"ibv_ud_pingpong -d @DEV@ -g @GID@ -n 100 -s 512 -c @SRV@" &&
		pingpong_check "$SERVER_OUT" "$CLIENT_OUT"
}

# gid0_family: both ends' GID 0 are IPv6 link-local, or both IPv4.
gid0_family() {
	local a=${RXE_GID0%%:*} b=${PEER_GID0%%:*}

	[[ $a == fe80 && $b == fe80 ]] && return 0
	[[ $RXE_GID0 == ::ffff:* && $PEER_GID0 == ::ffff:* ]] && return 0
	FIGURE="GID 0 is $RXE_GID0 on rxe0, $PEER_GID0 on $PEER_DEV"
	echo "$FIGURE: -g 0 pairs two families"
	return 1
}

case_rc_pingpong_gid0() {
	gid0_family || return 1
	pair "$1" tcp 18515 "ibv_rc_pingpong -d @DEV@ -g 0 -n 100 -c" \
		"ibv_rc_pingpong -d @DEV@ -g 0 -n 100 -c @SRV@" &&
		pingpong_check "$SERVER_OUT" "$CLIENT_OUT"
}

case_ud_pingpong_gid0() {
	gid0_family || return 1
	pair "$1" tcp 18515 "ibv_ud_pingpong -d @DEV@ -g 0 -n 100 -s 512 -c" \
		"ibv_ud_pingpong -d @DEV@ -g 0 -n 100 -s 512 -c @SRV@" &&
		pingpong_check "$SERVER_OUT" "$CLIENT_OUT"
}

# perftest_result: the client's result line (the first line of figures
# after the column header).
perftest_result() {
	awk '/^ *#bytes/ { h = 1; next } h && /^ *[0-9]/ { print; exit }' \
		<<<"$CLIENT_OUT"
}

# perftest_pair DIR KIND FORMAT TOOL ARGS...: perftest's TOOL with ARGS
# on both ends, listening on KIND (tcp; cm with -R); FIGURE is the
# client's result line through awk's printf FORMAT (with its arguments).
perftest_pair() {
	local dir=$1 kind=$2 fmt=$3 tool=$4 args line

	shift 4
	args="-d @DEV@ -F $*"
	pair "$dir" "$kind" 18515 "$tool $args" "$tool $args @SRV@" ||
		return 1
	line=$(perftest_result)
	[[ -n $line ]] || return 1
	FIGURE=$(awk "{ printf $fmt }" <<<"$line")
}

# The columns: #bytes #iterations BW-peak BW-average MsgRate.
# shellcheck disable=SC2016 # awk's fields
BW_FIGURE='"%s bytes x %s: %s MB/s, %s Mpps", $1, $2, $4, $5'

# bw TOOL DIR ARGS...: a perftest bandwidth run, its average.
bw() {
	local tool=$1 dir=$2

	shift 2
	perftest_pair "$dir" tcp "$BW_FIGURE" "$tool" -x @GID@ "$@"
}

case_write_bw() { bw ib_write_bw "$1" -n 200; }
case_read_bw() { bw ib_read_bw "$1" -n 200; }
case_send_bw() { bw ib_send_bw "$1" -n 200; }
case_atomic_bw() { bw ib_atomic_bw "$1" -n 200; }

# The columns: #bytes #iterations t_min t_max t_typical t_avg ...
case_write_lat() {
	# shellcheck disable=SC2016 # awk's fields
	perftest_pair "$1" tcp \
		'"%s bytes x %s: typical %s us, average %s us", $1, $2, $5, $6' \
		ib_write_lat -x @GID@ -n 200
}

# rping -v prints each ping's payload: "rdma-ping-N: " and then the
# letters from A + N % 58 on, z followed by A, to 63 bytes (64 with the
# NUL). Pings 0 to 99, in order, each exactly that, on both ends.
rping_check() {
	local o n

	for o in "$@"; do
		n=$(grep "ping data: " <<<"$o" | sed 's/^.*ping data: //' |
			awk '{
				c = 65 + (NR - 1) % 58
				want = "rdma-ping-" NR - 1 ": "
				while (length(want) < 63) {
					want = want sprintf("%c", c)
					if (++c > 122)
						c = 65
				}
				# (a message on stderr may follow on the line)
				if (substr($0, 1, 63) != want) {
					print "ping " NR - 1 ": " $0
					exit 1
				}
			} END { print NR }') || { echo "bad payload: $n"; return 1; }
		((n == 100)) || { echo "$n payloads, not 100"; return 1; }
	done
}

# rping_raced RC OUT: rping ended with 255 after its last ping and the
# disconnection because its CM thread read the event channel that the
# main thread had just destroyed (a race of rping's own, seen with the
# kernel's rdma_cm on both ends too).
rping_raced() {
	(($1 == 255)) && grep -q "DISCONNECT EVENT" <<<"$2" &&
		[[ $(tail -n 1 <<<"$2") == "rdma_get_cm_event: Bad file descriptor" ]]
}

case_rping() {
	local t0=$SECONDS

	if ! pair "$1" cm 7175 "rping -s -a @SRV@ -p 7175 -v -C 100" \
		"rping -c -a @SRV@ -p 7175 -v -C 100"; then
		{ ((SERVER_RC == 0)) || rping_raced "$SERVER_RC" "$SERVER_OUT"; } &&
			{ ((CLIENT_RC == 0)) ||
				rping_raced "$CLIENT_RC" "$CLIENT_OUT"; } ||
			return 1
		echo "(rping's exit race at the disconnection: ignored)"
	fi
	rping_check "$SERVER_OUT" "$CLIENT_OUT" || return 1
	FIGURE="100 pings of 64 bytes, payloads verified on both ends,"
	FIGURE+=" in $((SECONDS - t0)) s"
}

case_ucmatose() {
	local t0=$SECONDS

	pair "$1" cm 7471 "ucmatose -p 7471 -c 2" \
		"ucmatose -s @SRV@ -p 7471 -c 2" || return 1
	grep -q "data transfers complete" <<<"$SERVER_OUT" || return 1
	grep -q "test complete" <<<"$CLIENT_OUT" || return 1
	FIGURE="2 RC connections, 10 messages each way each,"
	FIGURE+=" $((SECONDS - t0)) s"
}

case_udaddy() {
	local t0=$SECONDS

	pair "$1" cm 7174 "udaddy -c 2" "udaddy -s @SRV@ -c 2" || return 1
	grep -q "data transfers complete" <<<"$SERVER_OUT" || return 1
	grep -q "test complete" <<<"$CLIENT_OUT" || return 1
	FIGURE="2 UD endpoints through SIDR, 10 messages each way each,"
	FIGURE+=" $((SECONDS - t0)) s"
}

# perftest -R connects twice (a control connection, then the test's own):
# a REQ that comes before the server listens again is rejected (reason
# 8, as the kernel's CM answers with no listener), a race of perftest's
# that a fast client wins against the guest (the client then exits 139, a
# use after free in perftest's retry: README, "Connection manager"). Then
# both run again, the server first, three times at most.
case_write_bw_cm() {
	local i

	for i in 1 2 3; do
		perftest_pair "$1" cm "$BW_FIGURE" ib_write_bw -R -n 200 &&
			return 0
		grep -q "RDMA_CM_EVENT_REJECTED" <<<"$CLIENT_OUT" || return 1
		((SECONDS + 2 * T + 15 <= BUDGET)) || return 1
		echo "(attempt $i rejected, the client's exit $CLIENT_RC: again)"
	done
	return 1
}

# loss_on [MATCH]: nftables in the namespace drops $LOSS percent of the
# UDP port 4791 datagrams (that MATCH too), both ways: those uroce sends
# and receives (inet output and input) and those the bridge forwards
# between the guest's NICs.
loss_on() {
	local rule="udp dport 4791 ${1:-} numgen random mod 100 < $LOSS counter drop"

	ip netns exec "$NS" nft -f - <<-EOF
		table inet uroce_loss {
			chain c_in { type filter hook input priority 0; $rule; }
			chain c_out { type filter hook output priority 0; $rule; }
		}
		table bridge uroce_loss {
			chain c_fwd { type filter hook forward priority 0; $rule; }
		}
	EOF
}

# loss_off: prints how many datagrams were dropped, removes the tables.
loss_off() {
	local n

	n=$(ip netns exec "$NS" nft list ruleset |
		awk '/counter packets/ { for (i = 1; i < NF; i++)
			if ($i == "packets") s += $(i + 1) } END { print s + 0 }')
	ip netns exec "$NS" nft delete table inet uroce_loss
	ip netns exec "$NS" nft delete table bridge uroce_loss
	echo "$n"
}

# sports_on: nftables in the namespace counts the RoCE v2 datagrams uroce
# sends (output) and receives from rxe (input) by UDP source port: 4791,
# 0xC000-0xFFFF (where both pick a flow's port) or another; the MADs to
# QP 1 (BTH destination QP, bits 104-127 past the UDP header) apart.
sports_on() {
	local d rules=

	command -v nft >/dev/null || return 0
	for d in o i; do
		rules+="counter ${d}_gsi {}; counter ${d}_hash {};"
		rules+=" counter ${d}_roce {}; counter ${d}_other {};"
	done
	ip netns exec "$NS" nft -f - <<-EOF
		table inet uroce_sport {
			$rules
			chain c_out {
				type filter hook output priority 0;
				$(sports_rules o)
			}
			chain c_in {
				type filter hook input priority 0;
				$(sports_rules i)
			}
		}
	EOF
}

# sports_rules o|i: the rules of chain c_out or c_in; not the group's
# probes over lo.
sports_rules() {
	local m="${1}ifname != \"lo\" udp dport 4791 @th,104,24"

	echo "$m 1 counter name ${1}_gsi;"
	echo "$m != 1 udp sport 49152-65535 counter name ${1}_hash;"
	echo "$m != 1 udp sport 4791 counter name ${1}_roce;"
	echo "$m != 1 udp sport != { 4791, 49152-65535 } counter name ${1}_other;"
}

sports_count() {
	ip netns exec "$NS" nft list counter inet uroce_sport "$1" |
		awk '/packets/ { print $2 }'
}

# sports_off: what the counters saw; removes them. uroce's are counted as
# it sends them: a UDP GSO send of several packets counts once.
sports_off() {
	local d w out=

	ip netns exec "$NS" nft list table inet uroce_sport >/dev/null 2>&1 ||
		return 0
	for d in o i; do
		[[ $d == o ]] && w="uroce sent" || w="rxe sent"
		out+="${out:+; }$w $(sports_count ${d}_hash) from 0xC000-0xFFFF,"
		out+=" $(sports_count ${d}_roce) from 4791,"
		out+=" $(sports_count ${d}_other) from others"
		out+=" (+$(sports_count ${d}_gsi) MADs to QP 1)"
	done
	ip netns exec "$NS" nft delete table inet uroce_sport
	echo "source ports: $out"
}

# loss CASE DIR [MATCH]: CASE under loss; at least one datagram dropped.
loss() {
	local rc=0 n

	command -v nft >/dev/null || { echo "no nft"; return 1; }
	loss_on "${3:-}" || return 1
	"$1" "$2" || rc=1
	n=$(loss_off)
	FIGURE+="${FIGURE:+; }$n datagrams dropped ($LOSS%)"
	((rc == 0)) || return 1
	((n > 0)) || { echo "nothing dropped"; return 1; }
}

# RC ACKs (BTH opcode 0x11, the byte after the UDP header) are spared: an
# end whose last ACK is lost retransmits its last SEND to a peer that
# has all it needs and has exited, and fails with "transport retry counter
# exceeded", a race of the tool's, not of the transport (seen with uroce
# as client).
case_loss_rc_pingpong() {
	loss loss_pingpong "$1" "@th,64,8 != 0x11"
}

loss_pingpong() {
	pair "$1" tcp 18515 "ibv_rc_pingpong -d @DEV@ -g @GID@ -n 500 -c" \
		"ibv_rc_pingpong -d @DEV@ -g @GID@ -n 500 -c @SRV@" &&
		pingpong_check "$SERVER_OUT" "$CLIENT_OUT"
}

case_loss_write_bw() {
	loss loss_write_bw "$1"
}

loss_write_bw() {
	bw ib_write_bw "$1" -n 100
}

# --- set-up

# devinfo_gid0 OUT DEV: GID 0 of DEV in `ibv_devinfo -v` output OUT.
devinfo_gid0() {
	awk -v dev="$2" '
		$1 == "hca_id:" { on = $2 == dev }
		on && /GID\[ *0\]:/ { sub(/.*GID\[ *0\]:[ \t]*/, "")
			sub(/,.*/, ""); print; exit }' <<<"$1"
}

# The GID index of IPv4 address $2 in `ibv_devinfo -v` output $1 for
# device $3.
devinfo_gid() {
	awk -v dev="$3" -v a="::ffff:$2," '
		$1 == "hca_id:" { on = $2 == dev }
		on && /GID\[ *[0-9]+\]:/ && index($0, a) {
			sub(/.*GID\[ */, ""); sub(/\]:.*/, ""); print; exit }' \
		<<<"$1"
}

# interop_gids: the GID indexes of the guest's and the peer's IPv4
# addresses. rxe's GID 0 is the IPv6 link-local default GID (RoCE v2),
# uroce's the first IPv4 address: -g 0 on both would mix families.
interop_gids() {
	local out

	RXE_GID=$(vm_run "rxe-gid rxe0 $G0") || vm_fail "rxe-gid: $RXE_GID"
	out=$(vm_run "ibv_devinfo -v -d rxe0") || vm_fail "ibv_devinfo: $out"
	RXE_GID0=$(devinfo_gid0 "$out" rxe0)
	if [[ $PEER == guest ]]; then
		PEER_DEV=rxe1
		PEER_ADDR=$G1
		PEER_GID=$(vm_run "rxe-gid rxe1 $G1") ||
			vm_fail "rxe-gid: $PEER_GID"
		out=$(vm_run "ibv_devinfo -v -d rxe1") ||
			vm_fail "ibv_devinfo: $out"
		PEER_GID0=$(devinfo_gid0 "$out" rxe1)
	else
		PEER_DEV=uroce_br0
		PEER_ADDR=$HOST
		out=$(host_cmd 30 "ibv_devinfo -v -d $PEER_DEV" 2>&1) ||
			vm_fail "uroce's ibv_devinfo: $out"
		PEER_GID=$(devinfo_gid "$out" "$HOST" "$PEER_DEV")
		PEER_GID0=$(devinfo_gid0 "$out" "$PEER_DEV")
		[[ -n $PEER_GID ]] || vm_fail "uroce has no GID for $HOST: $out"
		vm_log "uroce's GID table: $(grep 'GID\[' <<<"$out" | tr -s '\t ' ' ')"
	fi
	out=$(vm_run "cd /sys/class/infiniband/rxe0/ports/1/gids &&
		for g in 0 1 2 3; do echo \$g=\$(cat \$g); done") || true
	vm_log "guest's rxe0 GID table: $(tr '\n' ' ' <<<"$out")"
	vm_log "GID indexes (IPv4): rxe0 $RXE_GID, $PEER_DEV $PEER_GID;" \
		"GID 0: rxe0 $RXE_GID0, $PEER_DEV $PEER_GID0"
}

# has_wire_mode: this build's provider knows UROCE_WIRE (the variable that
# selects the wire-compatible mode).
has_wire_mode() {
	local lib=$LIBDIR/uroce-providers/liburoce.so

	[[ -e $lib ]] || fail "no $lib"
	grep -qa UROCE_WIRE "$lib"
}

# wire_mode_probe: under UROCE_WIRE=roce, a QP of the peer's device
# receives on UDP port 4791 (ibv_rc_pingpong's server has made its QP
# when it listens on TCP).
wire_mode_probe() {
	local pid rc=0

	host_cmd 20 "ibv_rc_pingpong -d $PEER_DEV -g $PEER_GID -p 18599" \
		>"$TMP/probe.out" 2>&1 &
	pid=$!
	retry 15 eval "ip netns exec $NS ss -Hltn 'sport = :18599' | grep -q ." ||
		rc=1
	if ((rc == 0)); then
		ip netns exec "$NS" ss -Hlun "sport = :4791" | grep -q . || rc=2
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	case $rc in
	1) fail "the probe's ibv_rc_pingpong did not start: $(cat "$TMP/probe.out")" ;;
	2) fail "UROCE_WIRE=roce: uroce's QP receives on no UDP port 4791" ;;
	esac
	vm_log "UROCE_WIRE=roce: a QP receives on UDP port 4791"
}

run_case() {
	local name=$1 dir=$2 t0=$SECONDS rc=0 out SPORTS=

	FIGURE=
	T=$(scaled "${CASE_TIME[$name]}")
	echo
	vm_log "=== $name, $(dir_label "$dir")"
	[[ $PEER == uroce ]] && sports_on
	case_"$name" "$dir" || rc=1
	[[ $PEER == uroce ]] && SPORTS=$(sports_off)
	if ((rc)) && [[ -n $VM_DIR ]]; then
		echo "--- the guest's console, last lines"
		tail -n 5 "$VM_DIR/console.log"
		echo "--- the guest's processes"
		(vm_run -t 30 "cat /proc/loadavg; ps -o pid,stat,args") || true
	fi
	if ((rc == 0)); then
		out="PASS $name $(dir_label "$dir"): $FIGURE"
		out+=" ($((SECONDS - t0)) s)"
	else
		out="FAIL $name $(dir_label "$dir"): ${FIGURE:-no result}"
		out+=" ($((SECONDS - t0)) s)"
		FAILED=1
	fi
	vm_log "$out"
	[[ -n $SPORTS ]] && vm_log "$SPORTS"
	RESULTS+=("$out")
}

dir_label() {
	local who=uroce

	[[ $PEER == guest ]] && who=rxe1
	echo "$who as $1"
}

main() {
	local c d t out

	for c in $CASES; do
		declare -F "case_$c" >/dev/null || fail "no case $c (cases: $ALL_CASES)"
	done
	for d in $DIRS; do
		[[ $d == server || $d == client ]] || fail "RXE_INTEROP_DIRS: $d"
	done
	[[ $PEER == uroce || $PEER == guest ]] || fail "RXE_INTEROP_PEER: $PEER"
	ns_available || skip "$NS_WHY"
	if [[ $PEER == uroce ]]; then
		[[ -n $LIBDIR && -e $LIBDIR/libibverbs.so.1 ]] ||
			fail "no libibverbs.so.1 in '$LIBDIR' (set BUILD or UROCE_TEST_LIBDIR)"
		[[ -x $BINDIR/uroce ]] || fail "no $BINDIR/uroce"
		has_wire_mode || [[ ${RXE_INTEROP_FORCE:-0} == 1 ]] ||
			skip "this build of uroce has no wire-compatible mode" \
				"(its provider does not read UROCE_WIRE)"
	fi
	test_init
	ns_new NS rxe
	t=$SECONDS
	vm_prepare
	if [[ $PEER == guest ]]; then
		vm_start "$NS" "$HOST/24" "$G0" "$G1"
		vm_run rxe-selfwire >/dev/null || vm_fail "rxe-selfwire"
	else
		vm_start "$NS" "$HOST/24" "$G0"
	fi
	vm_log "boot: $((SECONDS - t)) s"
	ip netns exec "$NS" ping -c 1 -W 5 "$G0" >/dev/null ||
		vm_fail "no ping reply from the guest's $G0"
	interop_gids
	if [[ $PEER == uroce ]] && has_wire_mode; then
		wire_mode_probe
	fi
	for c in $CASES; do
		for d in $DIRS; do
			t=$(scaled "${CASE_TIME[$c]}")
			if ((SECONDS + 2 * t + 15 > BUDGET)); then
				out="FAIL $c $(dir_label "$d"): not run,"
				RESULTS+=("$out out of time ($BUDGET s)")
				FAILED=1
				continue
			fi
			run_case "$c" "$d"
		done
	done
	echo
	vm_log "summary ($SECONDS s):"
	printf '  %s\n' "${RESULTS[@]}"
	((FAILED == 0)) || fail "$(printf '%s\n' "${RESULTS[@]}" | grep -c ^FAIL) case(s) failed"
}

main "$@"
