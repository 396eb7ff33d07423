#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# UD multicast between processes in the wire-compatible mode
# (UROCE_WIRE=roce, uroce(7)), with Debian's mckey (rdma_join_multicast,
# ibv_attach_mcast): in namespace A a process joined to another group
# holds a socket of the port's group first; then two receivers of one
# group get all the sender's (in B) messages, each of them; then one
# receiver alone joined still gets them all, though another process of
# its namespace shares port 4791 (the group's steering program, which the
# kernel applies to a multicast datagram only one socket joined, must not
# take them to it).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

TEST_NAME=mckey_roce
GRP=239.1.2.5
OTHER=239.1.2.6
MSGS=5
[[ -x /usr/bin/mckey ]] || skip "no mckey"
pair_setup
roce=(UROCE_WIRE=roce)

# receiver NAME GROUP COUNT: an mckey receiver in A, in the background.
receiver() {
	in_ns "$NS_A" "${roce[@]}" /usr/bin/stdbuf -oL \
		/usr/bin/mckey -m "$2" -b "$ADDR_A" \
		-C "$3" >"$TMP/$1" 2>&1 &
	BG_PIDS+=($!)
	PIDS[$1]=$!
}

# joined NAME...: each receiver has joined (up to 10 s).
joined() {
	local n

	for n in "$@"; do
		retry 10 grep -q "receiving data" "$TMP/$n" ||
			fail "$n did not join: $(cat "$TMP/$n")"
	done
}

send() {
	in_ns "$NS_B" "${roce[@]}" /usr/bin/stdbuf -oL /usr/bin/mckey -m "$GRP" \
		-b "$ADDR_B" -s \
		-C $MSGS >"$TMP/sender" 2>&1 ||
		fail "sender: $(cat "$TMP/sender")"
}

# received NAME...: each receiver got the messages and ended (within
# 10 s; else the counters of A's QPs are shown).
received() {
	local n

	for n in "$@"; do
		retry 10 eval "! kill -0 ${PIDS[$n]} 2>/dev/null" ||
			in_ns "$NS_A" "${BINDIR:-.}/uroce" stat show qp || true
		wait "${PIDS[$n]}" || fail "$n: $(cat "$TMP/$n")"
		expect_match "$n" "$(cat "$TMP/$n")" "test complete"
	done
}

declare -A PIDS
CMD_TIMEOUT=$(scaled 20)
receiver other "$OTHER" 1000
joined other
receiver r1 "$GRP" $MSGS
receiver r2 "$GRP" $MSGS
joined r1 r2
send
received r1 r2
log "two processes joined to $GRP: $MSGS messages each"

receiver r3 "$GRP" $MSGS
joined r3
send
received r3
log "one process joined to $GRP beside another of port 4791: $MSGS messages"
