#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# rspreload.sh CASE: unmodified socket programs under the rsockets shim
# (uroce's librspreload.so through `uroce run --rsockets`, or Debian's own
# librspreload.so on uroce's librdmacm) between two namespaces, server in
# A, client in B. CASE is one of:
#   passthru         pipes, files, AF_UNIX, raw and UDP sockets under
#                    uroce's shim behave as without it (rs_passthru)
#   passthru_debian  the same under Debian's librspreload.so
#   nc               a file through netcat-openbsd, both ends shimmed
#   iperf3           iperf3 -P 4, both ends shimmed
#   fallback         a shimmed nc sends a file to a plain nc in a
#                    namespace without uroce: rconnect fails, TCP carries it
#   config           a preload_config whose one rule selects iperf3 only:
#                    nc under the shim listens with TCP, a plain nc
#                    reaches it
#   fork             RDMAV_FORK_SAFE=1: a python server forks after accept
#                    and its child reads a file that nc sends; both ends
#                    move the TCP connection onto an rsocket
#   valgrind         the nc case with 1 MiB, both ends under valgrind
#                    memcheck (tests/valgrind/vg.sh): no error, no leak
#   debian_iperf3    iperf3 -P 2 under Debian's librspreload.so on both
#                    ends (not nc: Debian's shim fails nc's SO_REUSEPORT,
#                    and leaves its SOCK_NONBLOCK client socket on TCP)
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=../valgrind/vg.sh
source "$(dirname "$0")/../valgrind/vg.sh"

case_=$1
# shellcheck disable=SC2034 # netns.sh's log and fail print it
TEST_NAME="rspreload.$case_"
PORT=$((20000 + $$ % 20000))
CMD_TIMEOUT=${CMD_TIMEOUT:-25}
UROCE=${UROCE_TOOL:-${BUILD:+$BUILD/bin/uroce}}
DEBIAN_SHIM=/usr/lib/x86_64-linux-gnu/rsocket/librspreload.so
FILE_MIB=8

need() {
	[[ -x /usr/bin/$1 ]] || skip "no $1"
}

# Skips unless uroce's librdmacm has rsockets.
need_rsockets() {
	nm -D --defined-only "$LIBDIR/librdmacm.so.1" | grep -qw rsocket ||
		skip "uroce's librdmacm has no rsockets"
}

# shim_env LIB: VAR=VALUE words that preload LIB (after a sanitizer
# runtime, which must come first).
shim_env() {
	local w pre=$1

	while read -r w; do
		case $w in
		LD_PRELOAD=*) pre="${w#LD_PRELOAD=}:$1" ;;
		?*) echo "$w" ;;
		esac
	done < <(sanitizer_env)
	echo "LD_PRELOAD=$pre"
}

# shimmed NS CMD...: CMD in NS on uroce, through `uroce run --rsockets`.
shimmed() {
	local ns=$1
	local -a san=()

	shift
	mapfile -t san < <(sanitizer_env)
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" \
		env -u UROCE_INCLUDE -u UROCE_EXCLUDE -u UROCE_PROVIDER_DIR \
		-u UROCE_RSPRELOAD_CONFIG UROCE_CONF= "${san[@]}" \
		"${SHIM_VARS[@]}" "$UROCE" run --rsockets "$@"
}

# debian_shimmed NS CMD...: CMD in NS under Debian's librspreload.so on
# uroce's libraries.
debian_shimmed() {
	local ns=$1
	local -a vars=()

	shift
	mapfile -t vars < <(shim_env "$DEBIAN_SHIM")
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" \
		env UROCE_CONF= LD_LIBRARY_PATH="$LIBDIR" "${vars[@]}" "$@"
}

# wait_udp NS PORT PID: an rsocket listener's connection manager port.
wait_udp() {
	wait_listen "$1" udp "$2" "$3"
}

# transfer SERVER_RUNNER CLIENT_RUNNER [tcp]: $FILE_MIB MiB from nc in B
# to nc in A, each run by its runner (a function taking NS CMD...),
# compared. The server listens with rsockets unless it is plain or tcp
# is given.
transfer() {
	local srun=$1 crun=$2 spid wait_proto=${3:-udp}

	[[ $srun == plain ]] && wait_proto=tcp
	head -c $((FILE_MIB << 20)) /dev/urandom >"$TMP/in"
	$srun "$NS_A" "${SERVER_PRE[@]}" /usr/bin/nc -l -d "$ADDR_A" "$PORT" \
		>"$TMP/out" 2>"$TMP/server.err" &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" "$wait_proto" "$PORT" "$spid"
	if [[ $wait_proto == udp ]] &&
		ip netns exec "$NS_A" ss -Hltn "sport = :$PORT" | grep -q .; then
		fail "nc listens on TCP: not on rsockets"
	fi
	$crun "$NS_B" "${CLIENT_PRE[@]}" /usr/bin/nc -N "$ADDR_A" "$PORT" <"$TMP/in" \
		>"$TMP/client.out" 2>"$TMP/client.err" || {
		cat "$TMP/server.err" "$TMP/client.err"
		fail "client nc failed"
	}
	wait "$spid" || {
		cat "$TMP/server.err" "$TMP/client.err"
		fail "server nc failed"
	}
	cmp "$TMP/in" "$TMP/out" || fail "the file changed on its way"
	log "$FILE_MIB MiB through nc, identical"
}

# plain NS CMD...: CMD in NS with no uroce at all.
plain() {
	local ns=$1

	shift
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" "$@"
}

# iperf3_pair RUNNER STREAMS: iperf3 -P STREAMS for 3 s from B to A, both
# run by RUNNER. The server listens with rsockets (a UDP port: the
# connection manager's), and has no TCP port a fallback could reach.
iperf3_pair() {
	local run=$1 spid

	$run "$NS_A" /usr/bin/iperf3 -s -1 -B "$ADDR_A" -p "$PORT" \
		>"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_udp "$NS_A" "$PORT" "$spid"
	if ip netns exec "$NS_A" ss -Hltn "sport = :$PORT" | grep -q .; then
		fail "iperf3 listens on TCP: not on rsockets"
	fi
	$run "$NS_B" /usr/bin/iperf3 -c "$ADDR_A" -p "$PORT" -P "$2" -t 3 \
		>"$TMP/client" 2>&1 || {
		cat "$TMP/server" "$TMP/client"
		fail "iperf3 client failed"
	}
	wait "$spid" || {
		cat "$TMP/server" "$TMP/client"
		fail "iperf3 server failed"
	}
	grep -E "^\[SUM\].*receiver" "$TMP/client" ||
		fail "no receiver sum: $(cat "$TMP/client")"
}

SHIM_VARS=()
SERVER_PRE=()
CLIENT_PRE=()
case $case_ in
passthru)
	[[ -x ${RS_PASSTHRU:-} ]] || fail "no rs_passthru at '${RS_PASSTHRU:-}'"
	pair_setup
	shimmed "$NS_A" "$RS_PASSTHRU" udp || fail "rs_passthru"
	;;
passthru_debian)
	[[ -x ${RS_PASSTHRU:-} ]] || fail "no rs_passthru at '${RS_PASSTHRU:-}'"
	[[ -e $DEBIAN_SHIM ]] || skip "no $DEBIAN_SHIM (librdmacm1)"
	need_rsockets
	pair_setup
	debian_shimmed "$NS_A" "$RS_PASSTHRU" || fail "rs_passthru"
	;;
nc)
	need nc
	need_rsockets
	pair_setup
	transfer shimmed shimmed
	;;
debian_iperf3)
	need iperf3
	[[ -e $DEBIAN_SHIM ]] || skip "no $DEBIAN_SHIM (librdmacm1)"
	need_rsockets
	pair_setup
	iperf3_pair debian_shimmed 2
	;;
fallback)
	need nc
	need_rsockets
	pair_setup
	SHIM_VARS=(UROCE_LOG=info)
	transfer plain shimmed
	grep -q "using a real socket" "$TMP/client.err" || {
		cat "$TMP/client.err"
		fail "the client did not try rsockets first"
	}
	log "rconnect failed, the real connect carried it: $(grep -m1 'real socket' "$TMP/client.err")"
	;;
iperf3)
	need iperf3
	need_rsockets
	pair_setup
	iperf3_pair shimmed 4
	;;
valgrind)
	need nc
	need_rsockets
	vg_usable
	pair_setup
	# Under valgrind a program takes seconds to start.
	CMD_TIMEOUT=120
	FILE_MIB=1
	mkdir "$TMP/vg"
	SERVER_PRE=("${VG[@]}" --log-file="$TMP/vg/server.%p.vg")
	CLIENT_PRE=("${VG[@]}" --log-file="$TMP/vg/client.%p.vg")
	transfer shimmed shimmed
	vg_clean "$TMP"/vg/*.vg || fail "valgrind errors or leaks"
	;;
fork)
	need nc
	need python3
	need_rsockets
	pair_setup
	head -c $((FILE_MIB << 20)) /dev/urandom >"$TMP/in"
	SHIM_VARS=(RDMAV_FORK_SAFE=1 UROCE_LOG=info)
	shimmed "$NS_A" /usr/bin/python3 "$(dirname "$0")/fork_server.py" \
		"$ADDR_A" "$PORT" "$TMP/out" >"$TMP/server.err" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" tcp "$PORT" "$spid"
	shimmed "$NS_B" /usr/bin/nc -N "$ADDR_A" "$PORT" <"$TMP/in" \
		>/dev/null 2>"$TMP/client.err" || {
		cat "$TMP/server.err" "$TMP/client.err"
		fail "client nc failed"
	}
	wait "$spid" || {
		cat "$TMP/server.err" "$TMP/client.err"
		fail "the forking server failed"
	}
	cmp "$TMP/in" "$TMP/out" || fail "the file changed on its way"
	for f in server client; do
		grep -q "moved onto an rsocket" "$TMP/$f.err" || {
			cat "$TMP/server.err" "$TMP/client.err"
			fail "the $f stayed on TCP"
		}
	done
	log "$FILE_MIB MiB to a forked child, over rsockets after the fork"
	;;
config)
	need nc
	need_rsockets
	pair_setup
	printf '%s\n' "# only iperf3's TCP sockets" "iperf3 INET STREAM TCP" \
		>"$TMP/preload_config"
	SHIM_VARS=(UROCE_RSPRELOAD_CONFIG="$TMP/preload_config")
	transfer shimmed plain tcp
	;;
*)
	fail "unknown case $case_"
	;;
esac
