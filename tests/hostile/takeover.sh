#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A local peer's port taken over by another user once the peer has gone
# (takeover.c). In one namespace, B connects an RC QP to A's, WRITEs and
# SENDs, and exits; nobody (uid 65534) binds B's port and sends A a WRITE
# and a SEND as B, with B's next PSN and A's rkey: at once (the receive
# path's check) and 500 ms later (the engine's), on a veth address and on
# uroce_lo. A's QP must be in ERR with one QP_FATAL, its memory and
# receive queue untouched. In the wire roce mode, the same from another
# port of the address: A's QP stays in RTS, untouched. Then 256 QPs each way between two live
# processes, idle 2 s between two rounds of SENDs: no event, no failure.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

PROG=${UROCE_TEST_TAKEOVER:-${BUILD:+$BUILD/tests/hostile/takeover}}
[[ -x $PROG ]] || fail "no takeover (set BUILD or UROCE_TEST_TAKEOVER)"
command -v setpriv >/dev/null || skip "no setpriv"
pair_setup
chmod 711 "$TMP"
cp "$PROG" "$TMP/takeover"
chmod 755 "$TMP/takeover"
rc=0
in_ns "$NS_A" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TMP/takeover" >/dev/null 2>&1 || rc=$?
((rc == 2)) || skip "nobody cannot run a program from $TMP"

# run NAME DEV IP DELAY_MS [VAR=VALUE...]: the three processes in A.
run() {
	local name=$1 d=$TMP/$1 dev=$2 ip=$3 ms=$4 vpid apid rc=0
	shift 4
	mkdir -m 777 "$d"
	in_ns "$NS_A" "$@" "$PROG" victim "$dev" "$d" "$ip" >"$d/victim" 2>&1 &
	vpid=$!
	BG_PIDS+=("$vpid")
	in_ns "$NS_A" "$@" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$TMP/takeover" attacker "$d" "$ip" "$ms" \
		>"$d/attacker" 2>&1 &
	apid=$!
	BG_PIDS+=("$apid")
	in_ns "$NS_A" "$@" "$PROG" peer "$dev" "$d" "$ip" >"$d/peer" 2>&1 ||
		{
			cat "$d/peer" "$d/victim"
			ip netns exec "$NS_A" ss -uanpe
			fail "$name: the peer failed"
		}
	touch "$d/b.gone"
	wait "$apid" || rc=1
	wait "$vpid" || rc=$((rc | 2))
	cat "$d/peer" "$d/attacker" "$d/victim"
	((rc & 1)) && fail "$name: the attacker failed"
	((rc & 2)) && fail "$name: the attacker was taken for the peer"
	log "$name: nothing of the attacker's was taken"
}

run veth-at-once "$DEV_A" "$ADDR_A" 0
run veth-later "$DEV_A" "$ADDR_A" 500
run lo-at-once uroce_lo 127.0.0.1 0
# wire roce: nobody can bind 4791 (A's member holds it), but a peer's
# packets may come from any port of its address: not from another user's.
run wire-other-port "$DEV_A" "$ADDR_A" 0 UROCE_WIRE=roce

d=$TMP/alive
mkdir "$d"
in_ns "$NS_A" "$PROG" alive-peer "$DEV_A" "$d" "$ADDR_A" 256 2 \
	>"$d/peer" 2>&1 &
BG_PIDS+=("$!")
ppid=$!
rc=0
in_ns "$NS_A" "$PROG" alive "$DEV_A" "$d" "$ADDR_A" 256 2 >"$d/victim" 2>&1 ||
	rc=$?
wait "$ppid" || rc=$((rc | 4))
cat "$d/victim" "$d/peer"
((rc == 0)) || fail "live local peers: a check tripped or traffic failed ($rc)"
log "256 live local QPs each way, idle 2 s: no event"
