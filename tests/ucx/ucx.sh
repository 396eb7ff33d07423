#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# ucx.sh MODE: Debian's unmodified UCX (ucx-utils, libucx0) between two
# namespaces joined by a veth pair, every program started through
# `uroce run` (uroce's libraries and its view of the kernel's files,
# which UCX needs to open a verbs device). Each run prints its figures.
#
#   info       ucx_info -d lists rc_verbs and ud_verbs on every uroce
#              device of the namespace
#   put_bw     ucx_perftest ucp_put_bw, 64 KiB, rc_verbs,ud_verbs; and
#              perftest's ib_write_bw -s 65536 in the same namespaces
#   tag_lat    ucx_perftest tag_lat, 8 B, rc_verbs,ud_verbs; and
#              perftest's ib_send_lat -s 8
#   tag_bw     ucx_perftest tag_bw, 1 MiB, rc_verbs,ud_verbs
#   ud_tag_bw  ucx_perftest tag_bw, 1 MiB, ud_verbs alone
#   rdmacm     io_demo (client/server over sockaddr) with its connection
#              set up by RDMA CM (UCX_SOCKADDR_TLS_PRIORITY=rdmacm), WRITE
#              and READ of 1 B to 256 KiB, every byte checked (-q)
#
# UCX uses every device it finds, and takes any RoCE device as reachable
# from any other: uroce_lo, which reaches only its own namespace, would
# get lanes to the peer's uroce_lo. The runs name the veth's device in
# UCX_NET_DEVICES, as the README tells users to.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../lib/devinfo.sh
source "$(dirname "$0")/../lib/devinfo.sh"

mode=${1:?usage: ucx.sh MODE}
TEST_NAME="ucx.$mode"
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
NET="10.99.$(($$ % 200 + 20))"
ADDR_A="$NET.1"
ADDR_B="$NET.2"
IF_A="ua$$"
IF_B="ub$$"
DEV_A="uroce_$IF_A"
DEV_B="uroce_$IF_B"
PORT=13337
TLS=rc_verbs,ud_verbs

for prog in ucx_info ucx_perftest io_demo; do
	[[ -x /usr/bin/$prog ]] || skip "no /usr/bin/$prog (ucx-utils)"
done
ns_setup
[[ -x $BINDIR/uroce ]] || fail "no uroce tool in '$BINDIR'"
# UCX opens a verbs device only with its kernel files, which uroce run's
# interposer serves.
[[ -e $LIBDIR/liburoce-sysfs.so ]] ||
	skip "no sysfs interposer (liburoce-sysfs.so) in '$LIBDIR'"
ns_new NS_A a
ns_new NS_B b
veth "$NS_A" "$IF_A" "$NS_B" "$IF_B"
ip -n "$NS_A" addr add "$ADDR_A/24" dev "$IF_A"
ip -n "$NS_B" addr add "$ADDR_B/24" dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
wait_state "$NS_A" "$DEV_A" PORT_ACTIVE
wait_state "$NS_B" "$DEV_B" PORT_ACTIVE

# ucx NS [VAR=VALUE...] PROG ARGS...: uroce_run with two stand-ins for
# the veth's device of NS: UCX_NET_DEVICES=NS, and an argument @DEV.
ucx() {
	local ns=$1 dev=$DEV_A arg
	local -a args=()

	shift
	[[ $ns == "$NS_B" ]] && dev=$DEV_B
	for arg; do
		case $arg in
		UCX_NET_DEVICES=NS) arg="UCX_NET_DEVICES=$dev:1" ;;
		@DEV) arg=$dev ;;
		esac
		args+=("$arg")
	done
	uroce_run "$ns" "${args[@]}"
}

# wait_tcp NS PORT PID: until something in NS listens on TCP PORT; fails
# after CMD_TIMEOUT seconds, or once process PID is gone.
wait_tcp() {
	local end=$((SECONDS + CMD_TIMEOUT))

	until timeout 5 ip netns exec "$1" ss -Hltn "sport = :$2" |
		grep -q .; do
		((SECONDS < end)) || fail "nothing listens on TCP port $2 in $1"
		kill -0 "$3" 2>/dev/null ||
			fail "the server ended before it listened: $(cat "$TMP/server")"
		sleep 0.2
	done
}

# pair PORT [VAR=VALUE...] PROG ARGS...: PROG ARGS as the server in A,
# then PROG ADDR_A ARGS as the client in B once the server listens on
# PORT; fails unless both exit 0. Output in $TMP/server and $TMP/client.
pair() {
	local port=$1 spid rc=0
	local -a envs=()

	shift
	while [[ $1 == *=* ]]; do
		envs+=("$1")
		shift
	done
	ucx "$NS_A" "${envs[@]}" "$@" >"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_tcp "$NS_A" "$port" "$spid"
	ucx "$NS_B" "${envs[@]}" "$1" "$ADDR_A" "${@:2}" >"$TMP/client" 2>&1 ||
		rc=$?
	if ((rc)); then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null || true
		cat "$TMP/server" "$TMP/client" >&2
		fail "client $* exited with $rc"
	fi
	wait "$spid" || {
		cat "$TMP/server" "$TMP/client" >&2
		fail "server $* failed"
	}
}

# perf TEST SIZE ITERS TLS: ucx_perftest between A and B. Prints its final
# line and leaves it in $final.
perf() {
	pair "$PORT" UCX_TLS="$4" UCX_NET_DEVICES=NS \
		ucx_perftest -p "$PORT" -t "$1" -s "$2" -n "$3" -w 100
	final=$(grep '^Final:' "$TMP/client") ||
		fail "no final result: $(cat "$TMP/client")"
	log "ucx_perftest $1 -s $2 over $4: $final"
}

# field N: the Nth number of the final line (1: iterations, 2: typical
# latency, 3: average latency, 5: average bandwidth MB/s, 6: overall).
field() {
	awk -v n="$1" '{ print $(n + 1) }' <<<"$final"
}

# positive NAME VALUE
positive() {
	awk -v v="$2" 'BEGIN { exit !(v + 0 > 0) }' ||
		fail "$1 is not positive: '$2'"
}

# perftest TOOL ARGS...: Debian's perftest TOOL between A and B over GID
# 0; prints its result line (nothing without perftest).
perftest() {
	local tool=$1

	shift
	[[ -x /usr/bin/$tool ]] || return 0
	pair 18515 "$tool" -d @DEV -x 0 -F "$@"
	grep -E '^ *[0-9]+ +[0-9]+' "$TMP/client" | tail -1 ||
		fail "$tool printed no result: $(cat "$TMP/client")"
}

case $mode in
info)
	out=$(ucx "$NS_A" ucx_info -d) || fail "ucx_info -d: $out"
	devs=$(timeout "$CMD_TIMEOUT" ip netns exec "$NS_A" \
		env -u UROCE_INCLUDE -u UROCE_EXCLUDE UROCE_CONF= \
		"$BINDIR/uroce" -j dev |
		grep -o '"ifname": *"[^"]*"' | cut -d'"' -f4)
	[[ -n $devs ]] || fail "no uroce device in $NS_A"
	for dev in $devs; do
		for tl in rc_verbs ud_verbs; do
			awk -v tl="$tl" -v dev="$dev:1" '
				$2 == "Transport:" { t = $3 }
				$2 == "Device:" && t == tl && $3 == dev { ok = 1 }
				END { exit !ok }' <<<"$out" ||
				fail "ucx_info -d lists no $tl on $dev:1"
		done
		log "ucx_info -d: rc_verbs and ud_verbs on $dev:1"
	done
	;;
put_bw)
	perf ucp_put_bw 65536 2000 "$TLS"
	positive "bandwidth" "$(field 6)"
	wb=$(perftest ib_write_bw -s 65536 -n 2000 --report_gbits)
	log "ib_write_bw -s 65536: $wb"
	log "64 KiB: UCX ucp_put_bw $(field 6) MB/s;" \
		"ib_write_bw $(awk '{ print $4 }' <<<"$wb") Gbit/s"
	;;
tag_lat)
	perf tag_lat 8 10000 "$TLS"
	positive "latency" "$(field 2)"
	sl=$(perftest ib_send_lat -s 8 -n 10000)
	log "ib_send_lat -s 8: $sl"
	log "8 B: UCX tag_lat $(field 2) us (typical), $(field 3) us" \
		"(average); ib_send_lat $(awk '{ print $5 }' <<<"$sl") us" \
		"(typical), $(awk '{ print $6 }' <<<"$sl") us (average)"
	;;
tag_bw)
	perf tag_bw 1048576 200 "$TLS"
	positive "bandwidth" "$(field 6)"
	;;
ud_tag_bw)
	perf tag_bw 1048576 100 ud_verbs
	positive "bandwidth" "$(field 6)"
	;;
rdmacm)
	# The listener is an RDMA CM one: no TCP port to wait for.
	envs=(UCX_TLS="$TLS" UCX_NET_DEVICES=NS
		UCX_SOCKADDR_TLS_PRIORITY=rdmacm)
	args=(-p 13338 -q -o "write,read" -d 1:262144)
	ucx "$NS_A" "${envs[@]}" io_demo "${args[@]}" >"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	retry "$CMD_TIMEOUT" grep -q 'started listener' "$TMP/server" ||
		fail "io_demo server did not listen: $(cat "$TMP/server")"
	ucx "$NS_B" "${envs[@]}" io_demo "${args[@]}" -i 2000 -P 100 \
		"$ADDR_A" >"$TMP/client" 2>&1 ||
		fail "io_demo client failed: $(tail -20 "$TMP/client")"
	grep -q "Client exit with status 'OK'" "$TMP/client" ||
		fail "io_demo client: $(tail -20 "$TMP/client")"
	kill -0 "$spid" || fail "io_demo server ended: $(cat "$TMP/server")"
	# UCX took the connection from RDMA CM, not from another sockaddr CM.
	grep -q 'got new connection request' "$TMP/server" ||
		fail "io_demo server got no connection request"
	grep 'total min' "$TMP/client" | tail -1 |
		sed "s/^[^]]*] /[$TEST_NAME] io_demo /"
	;;
*)
	fail "unknown mode '$mode'"
	;;
esac
