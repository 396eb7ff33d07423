# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The namespace library of the shell tests and the benchmarks; sourced,
# never run. Sourcing it defines variables and functions and does nothing
# else; a test then calls ns_setup (namespaces of its own, made with
# ns_new and veth) or pair_setup (two namespaces joined by a veth pair).
#
# The tests build their own hosts: network namespaces named
# uroce-t-<pid>-<name>, joined by veth pairs, with addresses from
# 10.99.0.0/16, 192.0.2.0/24 and 2001:db8::/32 (test and documentation
# ranges; traffic never leaves the namespaces made here). Everything made
# is torn down on exit, even on failure; namespaces that a killed run left
# behind are deleted by the next one.
#
# Paths come from the environment that ctest sets, or from BUILD:
#   UROCE_TEST_LIBDIR  uroce's libraries (LD_LIBRARY_PATH for Debian's tools)
#   UROCE_TEST_BINDIR  uroce's tools (uroce_devinfo, uroce...)
# UROCE_TEST_TIME_SCALE (default 1) stretches every time bound: sanitizer
# builds set it through ctest, valgrind runs (tests/valgrind/vg.sh) too.
# Exit status: 0 pass, 1 fail, 77 skip.

set -euo pipefail

BUILD=${BUILD:-}
LIBDIR=${UROCE_TEST_LIBDIR:-${BUILD:+$BUILD/lib}}
BINDIR=${UROCE_TEST_BINDIR:-${BUILD:+$BUILD/bin}}
NS_PREFIX="uroce-t-$$-"
TEST_NAME=$(basename "$0" .sh)
# Sanitizer builds: a UBSan report fails the test.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

NS_MADE=()
BG_PIDS=()
CLEAN_PATHS=()
# Commands (strings for eval) that undo a change the test made, run last.
CLEAN_CMDS=()
TMP=

# scaled SECONDS: a time bound of SECONDS on a normal build, stretched by
# UROCE_TEST_TIME_SCALE (whole seconds, at least SECONDS).
scaled() {
	awk -v s="$1" -v k="${UROCE_TEST_TIME_SCALE:-1}" \
		'BEGIN { if (k < 1) k = 1; t = s * k; print int(t) + (t > int(t)) }'
}

# Every command the tests run is bounded by this many seconds.
CMD_TIMEOUT=${CMD_TIMEOUT:-$(scaled 60)}

log() {
	echo "[$TEST_NAME] $*"
}

fail() {
	echo "[$TEST_NAME] FAIL: $*" >&2
	exit 1
}

skip() {
	echo "[$TEST_NAME] SKIP: $*"
	exit 77
}

# netns_del NS...: deletes each NS, killing first whatever still runs in
# it (a process left there would keep it alive). Quiet about namespaces
# that are already gone; always succeeds (under set -e too), for cleanup
# on any exit.
netns_del() {
	local ns pid

	for ns in "$@"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

# netns_pair NS_A NS_B IF_A IF_B ADDR_A ADDR_B MTU: two namespaces joined
# by a veth pair, each end with its /24 address and MTU, lo up; waits
# (5 s at most) until B's end has its carrier. Returns 1 at the first
# step that fails.
netns_pair() {
	local ns

	ip netns add "$1" || return 1
	ip netns add "$2" || return 1
	ip -n "$1" link add "$3" type veth peer name "$4" netns "$2" ||
		return 1
	ip -n "$1" addr add "$5/24" dev "$3" || return 1
	ip -n "$2" addr add "$6/24" dev "$4" || return 1
	for ns in "$1" "$2"; do
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$1" link set "$3" mtu "$7" up || return 1
	ip -n "$2" link set "$4" mtu "$7" up || return 1
	for _ in $(seq 50); do
		ip -n "$2" link show "$4" | grep -q 'state UP' && break
		sleep 0.1
	done
}

# netns_listening NS tcp|udp PORT: something in NS listens on PORT (a TCP
# listener, or a bound UDP socket such as an RDMA CM listener's).
netns_listening() {
	local opt=-Hltn

	[[ $2 == udp ]] && opt=-Hlun
	timeout 5 ip netns exec "$1" ss "$opt" "sport = :$3" | grep -q .
}

cleanup() {
	local rc=$? pid path

	set +e
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	netns_del "${NS_MADE[@]}"
	for path in "${CLEAN_PATHS[@]}"; do
		rm -rf "$path"
	done
	for path in "${CLEAN_CMDS[@]}"; do
		eval "$path"
	done
	[[ -n $TMP ]] && rm -rf "$TMP"
	if ((rc == 0)); then
		log "PASS"
	fi
	exit "$rc"
}

on_signal() {
	echo "[$TEST_NAME] interrupted" >&2
	exit 1
}

# Namespaces of earlier runs whose process is gone (killed by a timeout).
reap_stale() {
	local ns pid

	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^uroce-t-([0-9]+)- ]] || continue
		pid=${BASH_REMATCH[1]}
		if ! kill -0 "$pid" 2>/dev/null; then
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
}

# Sets up the cleanup on exit and a temporary directory in $TMP.
test_init() {
	trap cleanup EXIT
	trap on_signal INT TERM HUP
	TMP=$(mktemp -d "/tmp/uroce-t-$$.XXXXXX")
}

# True when namespaces can be made here; otherwise says why in NS_WHY.
ns_available() {
	NS_WHY=
	if ! command -v ip >/dev/null; then
		NS_WHY="no ip command"
	elif ! command -v timeout >/dev/null; then
		NS_WHY="no timeout command"
	elif (($(id -u) != 0)); then
		NS_WHY="needs root for network namespaces"
	elif ! ip netns list >/dev/null 2>&1; then
		NS_WHY="ip netns is not available"
	elif ! ip netns add "${NS_PREFIX}probe" 2>/dev/null; then
		NS_WHY="cannot create a network namespace"
	else
		ip netns del "${NS_PREFIX}probe"
		reap_stale
		return 0
	fi
	return 1
}

# Skips unless namespaces can be made, checks the build, and sets up the
# cleanup on exit.
ns_setup() {
	ns_available || skip "$NS_WHY"
	[[ -n $LIBDIR && -e $LIBDIR/libibverbs.so.1 ]] ||
		fail "no libibverbs.so.1 in '$LIBDIR' (set BUILD or UROCE_TEST_LIBDIR)"
	test_init
}

# ns_new VAR NAME: makes namespace uroce-t-<pid>-NAME with lo up and no
# IPv6 duplicate address detection (addresses are usable at once), and
# stores its name in VAR.
ns_new() {
	local _ns="${NS_PREFIX}$2"

	ip netns add "$_ns" || fail "ip netns add $_ns"
	NS_MADE+=("$_ns")
	ip -n "$_ns" link set lo up
	ip netns exec "$_ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
		2>/dev/null || true
	ip netns exec "$_ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		2>/dev/null || true
	printf -v "$1" '%s' "$_ns"
}

have_ipv6() {
	[[ -e /proc/sys/net/ipv6 ]]
}

# veth NS_A IF_A NS_B IF_B: a veth pair, IF_A in NS_A and IF_B in NS_B.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" ||
		fail "veth $2 ($1) - $4 ($3)"
}

# The pair of pair_setup: namespaces A and B joined by veth dpa<pid> and
# dpb<pid> (interface names are at most 15 bytes), 10.99.<n>.1/24 and
# 10.99.<n>.2/24, a /24 per run so that leftovers of a killed run do not
# collide; uroce's devices on them are DEV_A and DEV_B.
NS_A="${NS_PREFIX}a"
NS_B="${NS_PREFIX}b"
NET="10.99.$(($$ % 200 + 20))"
ADDR_A="$NET.1"
ADDR_B="$NET.2"
# shellcheck disable=SC2034 # used by the tests
DEV_A=uroce_dpa$$
# shellcheck disable=SC2034
DEV_B=uroce_dpb$$

# Makes the pair (MTU $DP_MTU, default 1500); skips when namespaces
# cannot be made here.
pair_setup() {
	ns_setup
	NS_MADE+=("$NS_A" "$NS_B")
	netns_pair "$NS_A" "$NS_B" "dpa$$" "dpb$$" "$ADDR_A" "$ADDR_B" \
		"${DP_MTU:-1500}" || fail "namespaces $NS_A and $NS_B"
}

# Debian's binaries on a sanitizer build: sanitizer_env.
# shellcheck source=sanitizer.sh
source "$(dirname "${BASH_SOURCE[0]}")/sanitizer.sh"

# in_ns NS [VAR=VALUE...] CMD ARGS...: runs CMD in NS on uroce's libraries,
# with no uroce configuration but the file $NS_CONF (none by default) and
# the VAR=VALUE given, bounded in time.
in_ns() {
	local ns=$1 arg
	local -a san=()

	shift
	for arg in "$@"; do
		[[ $arg == *=* ]] && continue
		[[ $arg == /usr/bin/* ]] && mapfile -t san < <(sanitizer_env)
		break
	done
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" \
		env -u UROCE_INCLUDE -u UROCE_EXCLUDE -u UROCE_LO \
		-u UROCE_RENAME -u UROCE_PROVIDER_DIR UROCE_CONF="${NS_CONF:-}" \
		LD_LIBRARY_PATH="$LIBDIR" "${san[@]}" "$@"
}

# uroce_run NS [VAR=VALUE...] PROG ARGS...: Debian's /usr/bin/PROG in NS
# through `uroce run` (uroce's libraries and its view of the kernel's
# files, which UCX needs to open a verbs device), bounded in time, with
# none of the caller's UCX_* or UROCE_* settings but the VAR=VALUE given.
uroce_run() {
	local ns=$1 var
	local -a envs=() unset=() san=()

	shift
	while [[ $1 == *=* ]]; do
		envs+=("$1")
		shift
	done
	for var in $(compgen -e); do
		[[ $var == UCX_* || $var == UROCE_* ]] && unset+=(-u "$var")
	done
	mapfile -t san < <(sanitizer_env)
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" env "${unset[@]}" \
		-u LD_LIBRARY_PATH UROCE_CONF= "${san[@]}" "${envs[@]}" \
		"$BINDIR/uroce" run "/usr/bin/$1" "${@:2}"
}

# capture_start NS IFACE PCAP: tcpdump of IFACE's UDP datagrams in NS into
# PCAP, in the background (in BG_PIDS), once it listens; timeout passes
# the INT that ends the capture on to tcpdump.
capture_start() {
	timeout "$CMD_TIMEOUT" ip netns exec "$1" tcpdump -i "$2" -U -s 0 \
		-w "$3" udp >"$TMP/tcpdump.log" 2>&1 &
	BG_PIDS+=($!)
	retry 10 grep -q "listening on" "$TMP/tcpdump.log" ||
		fail "tcpdump: $(cat "$TMP/tcpdump.log")"
}

# retry SECONDS CMD...: runs CMD until it succeeds, at most SECONDS.
retry() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

# wait_listen NS tcp|udp PORT [PID]: until something in NS listens on
# PORT; fails after CMD_TIMEOUT seconds, or once process PID is gone.
wait_listen() {
	local end=$((SECONDS + CMD_TIMEOUT)) opt=-Hltn

	[[ $2 == udp ]] && opt=-Hlun
	until ip netns exec "$1" ss "$opt" "sport = :$3" | grep -q .; do
		((SECONDS < end)) || fail "nothing listens on $2 port $3 in $1"
		[[ -z ${4:-} ]] || kill -0 "$4" 2>/dev/null ||
			fail "the server ended before it listened on $2 port $3"
		sleep 0.2
	done
}

# server_client SERVER_CMD... -- CLIENT_CMD...: starts the server in A,
# the client in B (retrying while the server is not listening yet), and
# fails unless both exit 0. Output goes to $TMP/server and $TMP/client.
# With SC_LISTEN="tcp|udp PORT", the client starts only once the server
# listens there (a slow server, e.g. under valgrind, then needs no retry).
server_client() {
	local -a srv=() cli=()
	local spid rc

	while (($#)) && [[ $1 != -- ]]; do
		srv+=("$1")
		shift
	done
	shift
	cli=("$@")
	in_ns "$NS_A" "${srv[@]}" >"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	if [[ -n ${SC_LISTEN:-} ]]; then
		# shellcheck disable=SC2086 # two words: protocol and port
		wait_listen "$NS_A" $SC_LISTEN "$spid"
	fi
	for _ in $(seq 50); do
		if in_ns "$NS_B" "${cli[@]}" >"$TMP/client" 2>&1; then
			rc=0
			break
		fi
		rc=$?
		# Connection refused: the server is not listening yet.
		grep -q "Couldn't connect\|Couldn't get\|Unable to\|connect" \
			"$TMP/client" || break
		sleep 0.2
	done
	wait "$spid" || {
		cat "$TMP/server" "$TMP/client"
		fail "server ${srv[*]} failed ($?)"
	}
	if ((rc)); then
		cat "$TMP/server" "$TMP/client"
		fail "client ${cli[*]} failed ($rc)"
	fi
	cat "$TMP/client"
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	if [[ "$2" != "$3" ]]; then
		fail "$1: expected '$3', got '$2'"
	fi
}

# expect_match WHAT TEXT ERE: TEXT has a line matching the regex.
expect_match() {
	grep -Eq -- "$3" <<<"$2" || fail "$1: no line matches '$3' in:
$2"
}

expect_nomatch() {
	if grep -Eq -- "$3" <<<"$2"; then
		fail "$1: unexpected match for '$3' in:
$2"
	fi
}
