# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the observability tests; sourced, never run. The namespaces
# come from tests/lib/netns.sh (NS_A and NS_B joined by veth, DEV_A, DEV_B,
# torn down on any exit); this adds holder processes and checks on
# uroce's output.
#   UROCE_TEST_HOLDER  the obs_holder program
#   UROCE_TEST_UROCE   the uroce tool
# shellcheck source=../lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

OBS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOLDER=${UROCE_TEST_HOLDER:-${BUILD:+$BUILD/tests/obs/obs_holder}}
UROCE=${UROCE_TEST_UROCE:-${BUILD:+$BUILD/bin/uroce}}
# The system's Python when there is one: version managers' shims take
# seconds to start, and do not run as another user.
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)
# Holders outlive single commands; the test's own timeout bounds them.
HOLD_TIMEOUT=${HOLD_TIMEOUT:-600}

# The namespaces, and a FIFO whose write end this shell keeps open: the
# holders wait for EOF on it, so they live as long as the test.
obs_setup() {
	[[ -x $HOLDER ]] || fail "no holder (set BUILD or UROCE_TEST_HOLDER)"
	[[ -x $UROCE ]] || fail "no uroce (set BUILD or UROCE_TEST_UROCE)"
	[[ -n $PYTHON ]] || skip "no python3"
	pair_setup
	mkfifo "$TMP/hold"
	exec 9<>"$TMP/hold"
}

# start_holder NAME NS DEV PEER [HOLDER ARGS...]: a holder in NS whose
# peer is the holder called PEER; its output in $TMP/NAME.out. Prefix
# with HOLDER_ENV=(VAR=VALUE ...) for its environment.
start_holder() {
	local name=$1 ns=$2 dev=$3 peer=$4

	shift 4
	CMD_TIMEOUT=$HOLD_TIMEOUT in_ns "$ns" env "${HOLDER_ENV[@]}" \
		"$HOLDER" -d "$dev" -o "$TMP/$name.qp" -i "$TMP/$peer.qp" \
		"$@" <"$TMP/hold" >"$TMP/$name.out" 2>&1 &
	BG_PIDS+=("$!")
}
HOLDER_ENV=()

# start_pair SENDER RECEIVER N S: SENDER in A sends N messages of S bytes
# to RECEIVER in B.
start_pair() {
	start_holder "$1" "$NS_A" "$DEV_A" "$2" -r send -n "$3" -s "$4"
	start_holder "$2" "$NS_B" "$DEV_B" "$1" -r recv -n "$3" -s "$4"
}

# wait_ready NAME...: until each holder has printed "ready"; fails with
# its output if it exits or takes longer than a minute.
wait_ready() {
	local name i

	for name in "$@"; do
		for ((i = 0; i < 600; i++)); do
			grep -q "^ready" "$TMP/$name.out" 2>/dev/null && break
			grep -q "^holder:" "$TMP/$name.out" 2>/dev/null &&
				break
			sleep 0.1
		done
		grep -q "^ready" "$TMP/$name.out" ||
			fail "holder $name: $(cat "$TMP/$name.out")"
	done
}

# field NAME KEY: what holder NAME printed after KEY, e.g. "field a qpn";
# "field a mr lkey" for a key of its "mr" line.
field() {
	local line

	if (($# == 3)); then
		line=$(grep "^$2 " "$TMP/$1.out")
		awk -v k="$3" '{ for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' \
			<<<"$line"
	else
		awk -v k="$2" '$1 == k { print $2 }' "$TMP/$1.out"
	fi
}

# uroce_in NS ARGS...: uroce in NS.
uroce_in() {
	local ns=$1

	shift
	in_ns "$ns" "$UROCE" "$@"
}

# jcheck FILE EXPR [NAME=VALUE...]: fails unless the Python expression
# EXPR holds for d, the JSON in FILE; each NAME is bound to VALUE (an int
# when it looks like one).
jcheck() {
	"$PYTHON" "$OBS_DIR/jcheck.py" "$@" || fail "$(basename "$1"): $2"
}
