# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the namespace tests; sourced, never run. The tests build their
# own hosts: network namespaces named uroce-t-<pid>-<name>, joined by veth
# pairs, with addresses from 10.99.0.0/16, 192.0.2.0/24 and 2001:db8::/32
# (test and documentation ranges; traffic never leaves the namespaces made
# here). Everything made is torn down on exit, even on failure.
#
# Paths come from the environment that ctest sets, or from BUILD:
#   UROCE_TEST_LIBDIR  uroce's libraries (LD_LIBRARY_PATH for Debian's tools)
#   UROCE_TEST_BINDIR  uroce's tools (uroce_devinfo, uroce...)
#   UROCE_TEST_EV_WAIT the ev_wait helper
# Exit status: 0 pass, 1 fail, 77 skip.

set -euo pipefail

BUILD=${BUILD:-}
LIBDIR=${UROCE_TEST_LIBDIR:-${BUILD:+$BUILD/lib}}
BINDIR=${UROCE_TEST_BINDIR:-${BUILD:+$BUILD/bin}}
EV_WAIT=${UROCE_TEST_EV_WAIT:-${BUILD:+$BUILD/tests/ns/ev_wait}}
# Every command the tests run is bounded by this many seconds.
CMD_TIMEOUT=${CMD_TIMEOUT:-30}
NS_PREFIX="uroce-t-$$-"
TEST_NAME=$(basename "$0" .sh)

NS_MADE=()
BG_PIDS=()
CLEAN_PATHS=()
# Commands (strings for eval) that undo a change the test made, run last.
CLEAN_CMDS=()
TMP=

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

# Skips unless namespaces can be made, and checks the build.
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

# Debian's binaries on a sanitizer build: sanitizer_env.
# shellcheck source=../sanitizer.sh
source "$(dirname "${BASH_SOURCE[0]}")/../sanitizer.sh"
# netns_del
# shellcheck source=../../scripts/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/netns.sh"

# in_ns NS [VAR=VALUE...] CMD ARGS...: runs CMD in NS on uroce's libraries,
# with no uroce configuration but the VAR=VALUE given, bounded in time.
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
		-u UROCE_RENAME -u UROCE_PROVIDER_DIR UROCE_CONF= \
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

# debian_tool NS [VAR=VALUE...] TOOL ARGS...: runs Debian's /usr/bin/TOOL
# in NS and prints its output; fails if it fails or writes to stderr.
debian_tool() {
	local ns=$1 out err="$TMP/stderr.$RANDOM"
	local -a envs=()

	shift
	while (($#)) && [[ $1 == *=* ]]; do
		envs+=("$1")
		shift
	done
	out=$(in_ns "$ns" "${envs[@]}" "/usr/bin/$1" "${@:2}" 2>"$err") ||
		fail "$* in $ns failed: $out $(cat "$err")"
	if [[ -s $err ]]; then
		fail "$* in $ns wrote to stderr: $(cat "$err")"
	fi
	rm -f "$err"
	printf '%s\n' "$out"
}

# The device names Debian's ibv_devices lists in NS, one a line, sorted.
devices_of() {
	local ns=$1 out

	shift
	out=$(debian_tool "$ns" "$@" ibv_devices) || exit 1
	awk 'NR > 2 && NF { print $1 }' <<<"$out" | sort
}

# Debian's ibv_devinfo -v in NS.
devinfo_of() {
	local ns=$1

	shift
	debian_tool "$ns" "$@" ibv_devinfo -v
}

# The hca_id names of ibv_devinfo output on stdin, sorted.
devinfo_names() {
	awk '$1 == "hca_id:" { print $2 }' | sort
}

# The part of ibv_devinfo output on stdin that describes device DEV.
devinfo_section() {
	awk -v dev="$1" '$1 == "hca_id:" { on = ($2 == dev) } on'
}

# The value of FIELD (e.g. state, active_mtu) in device DEV's section of
# the ibv_devinfo output on stdin.
devinfo_field() {
	devinfo_section "$1" | awk -v f="$2:" '
		$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print; exit }'
}

# GID[i] of device DEV in ibv_devinfo -v output on stdin: "GID, TYPE".
devinfo_gid() {
	devinfo_section "$1" | awk -v i="$2" '
		{
			line = $0
			if (match(line, /GID\[ *[0-9]+\]:/)) {
				idx = substr(line, RSTART + 4, RLENGTH - 6) + 0
				if (idx == i) {
					sub(/.*GID\[ *[0-9]+\]:[ \t]*/, "", line)
					print line
					exit
				}
			}
		}'
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

# retry SECONDS CMD...: runs CMD until it succeeds, at most SECONDS.
retry() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

# dev_state NS DEV [VAR=VALUE...]: the port state ibv_devinfo shows.
dev_state() {
	local ns=$1 dev=$2

	shift 2
	devinfo_of "$ns" "$@" | devinfo_field "$dev" state
}

# True when DEV's port in NS is in STATE (e.g. PORT_ACTIVE).
dev_in_state() {
	[[ $(dev_state "$1" "$2") == "$3"* ]]
}

# wait_state NS DEV STATE: the port reaches STATE within 10 seconds
# (carrier changes reach rtnetlink through the kernel's linkwatch, which
# may take a second).
wait_state() {
	retry 10 dev_in_state "$1" "$2" "$3" ||
		fail "$2 in $1: port state $(dev_state "$1" "$2"), not $3"
}

# The list of device names, space separated.
words() {
	tr '\n' ' ' | sed 's/ $//'
}

# Runs uroce's tool NAME in NS if it was built; returns 2 when it was not.
uroce_tool() {
	local ns=$1 tool=$2

	shift 2
	[[ -x $BINDIR/$tool ]] || return 2
	in_ns "$ns" "$BINDIR/$tool" "$@"
}

# ev_start VAR NS DEV EVENTS TIMEOUT_MS [VAR=VALUE...]: starts ev_wait in
# the background and waits until it has its context open. VAR gets a
# handle for ev_finish.
ev_start() {
	local _var=$1 _ns=$2 _dev=$3 _events=$4 _tmo=$5 _file _pid

	shift 5
	[[ -x $EV_WAIT ]] || fail "no ev_wait helper at '$EV_WAIT'"
	_file="$TMP/ev.$_dev.$RANDOM$RANDOM"
	in_ns "$_ns" "$@" "$EV_WAIT" "$_dev" "$_events" "$_tmo" \
		>"$_file" 2>&1 &
	_pid=$!
	BG_PIDS+=("$_pid")
	if ! retry "${EV_READY_TIMEOUT:-10}" grep -q '^ready$' "$_file"; then
		cat "$_file" >&2
		fail "ev_wait $_dev $_events did not get ready"
	fi
	printf -v "$_var" '%s:%s' "$_pid" "$_file"
}

# ev_finish HANDLE VAR: waits for ev_wait to end and stores its output in
# VAR; fails unless it saw its events. (Not in a $(...): only this shell
# can wait for the helper.)
ev_finish() {
	local _pid=${1%%:*} _file=${1#*:} _rc=0

	wait "$_pid" || _rc=$?
	((_rc == 0)) || {
		cat "$_file" >&2
		fail "ev_wait exited with $_rc"
	}
	printf -v "$2" '%s' "$(cat "$_file")"
}

# ev_seen HANDLE ERE: waits (10 s at most) until ev_wait printed a line
# matching ERE.
ev_seen() {
	local _file=${1#*:}

	retry 10 grep -Eq -- "$2" "$_file" || {
		cat "$_file" >&2
		fail "ev_wait never printed '$2'"
	}
}

# ev_stop HANDLE VAR: ends an ev_wait that is still waiting and stores its
# output in VAR.
ev_stop() {
	local _pid=${1%%:*} _file=${1#*:}

	kill "$_pid" 2>/dev/null || true
	wait "$_pid" 2>/dev/null || true
	printf -v "$2" '%s' "$(cat "$_file")"
}
