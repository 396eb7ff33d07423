#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Forged connection messages from another UDP port of the server's IP
# (cm_forge.c). predict: a decoy listener sees the victim's first
# communication ID and sprays REJ, REP and DREQ at the IDs that follow
# while the victim's next request waits for the real server; the victim
# must connect. sniff: a root observer in the server's namespace sees the
# real REP and sends a DREQ and a REJ naming both IDs from its own port;
# the victim must keep the connection until the server ends it.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

FORGE=${UROCE_TEST_CM_FORGE:-${BUILD:+$BUILD/tests/hostile/cm_forge}}
[[ -x $FORGE ]] || fail "no cm_forge (set BUILD or UROCE_TEST_CM_FORGE)"
pair_setup
port=$((20000 + $$ % 20000))

# run_case NAME ATTACKER_NS ATTACKER_ARGS SERVER_DELAY_MS HOLD_MS
run_case() {
	local spid apid vrc=0

	in_ns "$NS_A" "$FORGE" server "$ADDR_A" "$port" "$4" "$5" \
		>"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	in_ns "$2" "$FORGE" $3 >"$TMP/attack" 2>&1 &
	apid=$!
	BG_PIDS+=("$apid")
	sleep 0.5
	in_ns "$NS_B" "$FORGE" victim "$ADDR_A" "$((port + 1))" "$port" \
		"$5" >"$TMP/victim" 2>&1 || vrc=$?
	wait "$apid" || true
	wait "$spid" || true
	cat "$TMP/attack" "$TMP/victim" "$TMP/server"
	((vrc == 0)) || fail "$1: the forged messages reached the victim"
	log "$1: ok"
	port=$((port + 2))
}

run_case predict "$NS_A" "predict $ADDR_A $((port + 1)) 2500" 1500 500
run_case sniff "$NS_A" "sniff dpa$$ 8000" 0 2000
