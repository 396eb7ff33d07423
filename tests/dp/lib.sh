# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the data path tests; sourced, never run. Builds two network
# namespaces, uroce-dp-<pid>-a and -b, joined by a veth pair with
# 10.99.<n>.1/24 and 10.99.<n>.2/24, and tears them down on any exit.
#   UROCE_TEST_LIBDIR  uroce's libraries (LD_LIBRARY_PATH for Debian's tools)
# Exit status: 0 pass, 1 fail, 77 skip.

set -euo pipefail

LIBDIR=${UROCE_TEST_LIBDIR:-${BUILD:+$BUILD/lib}}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
TEST_NAME=$(basename "$0" .sh)
NS_A="uroce-dp-$$-a"
NS_B="uroce-dp-$$-b"
# A /24 per run, so that leftovers of a killed run do not collide.
NET="10.99.$(($$ % 200 + 20))"
ADDR_A="$NET.1"
ADDR_B="$NET.2"
DEV_A=uroce_dpa$$
DEV_B=uroce_dpb$$
# Sanitizer builds: a UBSan report fails the test.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
TMP=
BG_PIDS=()

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

cleanup() {
	local rc=$? pid

	set +e
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	netns_del "$NS_A" "$NS_B"
	[[ -n $TMP ]] && rm -rf "$TMP"
	((rc == 0)) && log PASS
	exit "$rc"
}

# Makes the two namespaces; skips when that cannot be done here.
dp_setup() {
	(($(id -u) == 0)) || skip "needs root for network namespaces"
	command -v ip >/dev/null || skip "no ip command"
	[[ -n $LIBDIR && -e $LIBDIR/libibverbs.so.1 ]] ||
		fail "no libibverbs.so.1 in '$LIBDIR'"
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
	TMP=$(mktemp -d "/tmp/uroce-dp-$$.XXXXXX")
	ip netns add "$NS_A" || skip "cannot create a network namespace"
	ip netns add "$NS_B" || fail "ip netns add $NS_B"
	# Interface names are at most 15 bytes: dpa<pid>.
	ip -n "$NS_A" link add "dpa$$" type veth peer name "dpb$$" \
		netns "$NS_B" || fail "veth"
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	ip -n "$NS_A" addr add "$ADDR_A/24" dev "dpa$$"
	ip -n "$NS_B" addr add "$ADDR_B/24" dev "dpb$$"
	ip -n "$NS_A" link set "dpa$$" up
	ip -n "$NS_B" link set "dpb$$" up
	if [[ -n ${DP_MTU:-} ]]; then
		ip -n "$NS_A" link set "dpa$$" mtu "$DP_MTU"
		ip -n "$NS_B" link set "dpb$$" mtu "$DP_MTU"
	fi
}

# Debian's binaries on a sanitizer build: sanitizer_env.
# shellcheck source=../sanitizer.sh
source "$(dirname "${BASH_SOURCE[0]}")/../sanitizer.sh"
# netns_del
# shellcheck source=../../scripts/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/netns.sh"

# in_ns NS CMD ARGS...: CMD in NS on uroce's libraries, bounded in time,
# with the configuration file $NS_CONF (none by default).
in_ns() {
	local ns=$1
	local -a san=()

	shift
	[[ $1 == /usr/bin/* ]] && mapfile -t san < <(sanitizer_env)
	timeout "$CMD_TIMEOUT" ip netns exec "$ns" \
		env -u UROCE_INCLUDE -u UROCE_EXCLUDE -u UROCE_PROVIDER_DIR \
		UROCE_CONF="${NS_CONF:-}" LD_LIBRARY_PATH="$LIBDIR" \
		"${san[@]}" "$@"
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
	local spid i rc

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
	for i in $(seq 50); do
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
