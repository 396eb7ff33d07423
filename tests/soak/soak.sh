#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# soak.sh [SECONDS]: the soak program (soak.c) for SECONDS (default 120).
# A survivor in namespace A keeps 32 RC QPs to a stable peer and 32 to a
# volatile peer, both in B, busy with verified mixed traffic; every
# process injects SOAK_FAULT (UROCE_FAULT syntax, default 0.5% each of
# drop, dup and reorder). The volatile peer is SIGKILLed and restarted
# every SOAK_KILL_EVERY seconds (20). Needs root (else exit 77).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

duration=${1:-120}
if ! [[ $duration =~ ^[0-9]+$ ]] || ((duration == 0)); then
	fail "usage: soak.sh SECONDS"
fi
SOAK=${UROCE_TEST_SOAK:-${BUILD:+$BUILD/tests/soak/soak}}
[[ -x $SOAK ]] || fail "no soak (set BUILD or UROCE_TEST_SOAK)"
kill_every=${SOAK_KILL_EVERY:-20}
fault=${SOAK_FAULT:-drop=0.005,dup=0.005,reorder=0.005}
port=7471
# in_ns's bound (tests/lib/netns.sh sets 60): the survivor ends by itself, this
# only bounds a hang.
# shellcheck disable=SC2034
CMD_TIMEOUT=$((duration + 240))
pair_setup
d=$TMP/run
mkdir "$d"

# soak_in NS ARGS...: the soak program in NS with faults injected.
soak_in() {
	local ns=$1

	shift
	in_ns "$ns" env UROCE_FAULT="$fault" "$SOAK" "$@"
}

nvol=0
start_volatile() {
	nvol=$((nvol + 1))
	rm -f "$d/volatile.pid"
	soak_in "$NS_B" peer volatile "$DEV_B" "$ADDR_A" "$port" "$d" \
		>"$TMP/volatile.$nvol" 2>&1 &
	vpid=$!
	BG_PIDS+=("$vpid")
}

# Everything of the peers, for a failure's post-mortem.
peer_logs() {
	local f

	for f in "$TMP"/stable "$TMP"/volatile.*; do
		echo "--- $(basename "$f"):"
		tail -n 20 "$f"
	done
}

log "$duration s, faults $fault, volatile peer killed every $kill_every s"
soak_in "$NS_A" survivor "$DEV_A" "$ADDR_A" "$port" "$duration" &
spid=$!
BG_PIDS+=("$spid")
soak_in "$NS_B" peer stable "$DEV_B" "$ADDR_A" "$port" "$d" \
	>"$TMP/stable" 2>&1 &
ppid=$!
BG_PIDS+=("$ppid")
start_volatile

kills=0
next=$((SECONDS + kill_every))
while kill -0 "$spid" 2>/dev/null; do
	sleep 1
	if ! kill -0 "$vpid" 2>/dev/null; then
		# Only a STOP at the end (exit 0) or the survivor's end
		# lets it go by itself.
		rc=0
		wait "$vpid" || rc=$?
		sleep 1
		if ((rc != 0)) && kill -0 "$spid" 2>/dev/null; then
			peer_logs
			fail "volatile peer $nvol exited by itself ($rc)"
		fi
		break
	fi
	((SECONDS >= next)) || continue
	next=$((SECONDS + kill_every))
	pid=$(cat "$d/volatile.pid" 2>/dev/null) || continue
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == soak ]] || continue
	kill -9 "$pid"
	wait "$vpid" 2>/dev/null || true
	kills=$((kills + 1))
	start_volatile
done

src=0
wait "$spid" || src=$?
prc=0
wait "$ppid" || prc=$?
# A volatile peer still waiting for its turn fails once the survivor
# is gone: it only has to end.
for _ in $(seq 20); do
	kill -0 "$vpid" 2>/dev/null || break
	sleep 0.5
done
kill "$vpid" 2>/dev/null || true
wait "$vpid" 2>/dev/null || true
log "volatile peer killed and restarted $kills times"
if ((src != 0 || prc != 0)); then
	peer_logs
	((src == 0)) || fail "the survivor failed ($src)"
	fail "the stable peer failed ($prc)"
fi
