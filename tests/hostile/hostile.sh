#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A hostile peer in namespace B: crafted RoCEv2 packets at a victim's live
# QPs in A while a legitimate peer in B keeps traffic going (hostile.c),
# then garbage at a live CM listener (Debian's rping -s), which must still
# accept a connection and count every datagram it dropped.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

HOSTILE=${UROCE_TEST_HOSTILE:-${BUILD:+$BUILD/tests/hostile/hostile}}
[[ -x $HOSTILE ]] || fail "no hostile (set BUILD or UROCE_TEST_HOSTILE)"
# tests/lib/netns.sh set its default of 60 s: at least ours.
CMD_TIMEOUT=$((CMD_TIMEOUT > 90 ? CMD_TIMEOUT : 90))
pair_setup
# A second address in B: packets from an address no QP is connected to.
ADDR_C="$NET.3"
ip -n "$NS_B" addr add "$ADDR_C/24" dev "dpb$$"

d=$TMP/rdv
mkdir "$d"
in_ns "$NS_A" "$HOSTILE" victim "$DEV_A" "$d" "$ADDR_A" "$ADDR_B" \
	>"$TMP/victim" 2>&1 &
vpid=$!
BG_PIDS+=("$vpid")
in_ns "$NS_B" "$HOSTILE" peer "$DEV_B" "$d" "$ADDR_A" "$ADDR_B" \
	>"$TMP/peer" 2>&1 &
ppid=$!
BG_PIDS+=("$ppid")
rc=0
in_ns "$NS_B" "$HOSTILE" attack "$d" "$ADDR_A" "$ADDR_B" "$ADDR_C" \
	>"$TMP/attack" 2>&1 || rc=$?
prc=0
wait "$ppid" || prc=$?
vrc=0
wait "$vpid" || vrc=$?
cat "$TMP/attack" "$TMP/peer" "$TMP/victim"
((rc == 0)) || fail "attacker failed ($rc)"
((prc == 0)) || fail "the legitimate peer failed ($prc)"
((vrc == 0)) || fail "the victim failed ($vrc)"
# The victim checked every line of the accounting: these are among them.
for r in ghost_response stale_response bad_response stale_request \
	no_recv_wqe broken_msg bad_request bad_access; do
	log "drop_$r: $(awk -v k="drop_$r" '$2 == k {n += $3}
		END {print n + 0}' "$d/expect") crafted, each counted"
done

# The CM listener: garbage at its port, or (UROCE_WIRE=roce) at port
# 4791 where its CM receives RoCE v2, each datagram counted once; then
# it still connects.
# cm_garbage PORT TARGET_PORT [VAR=VALUE...]
cm_garbage() {
	local port=$1 target=$2 rp spid before after out n

	shift 2
	in_ns "$NS_A" "$@" /usr/bin/rping -s -a "$ADDR_A" -p "$port" -C 3 \
		>"$TMP/rping-s" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	rp=
	for _ in $(seq 50); do
		rp=$(ip netns pids "$NS_A" | while read -r p; do
			[[ $(cat "/proc/$p/comm" 2>/dev/null) == rping ]] &&
				echo "$p"
		done | head -1)
		[[ -n $rp ]] && in_ns "$NS_A" "$HOSTILE" cmstat "$rp" \
			>/dev/null 2>&1 && break
		sleep 0.1
	done
	[[ -n $rp ]] || fail "rping -s did not start"
	before=$(in_ns "$NS_A" "$HOSTILE" cmstat "$rp") ||
		fail "no CM endpoint for rping"
	out=$(in_ns "$NS_B" "$HOSTILE" cm "$ADDR_A" "$target")
	sleep 0.5
	after=$(in_ns "$NS_A" "$HOSTILE" cmstat "$rp")
	n=${out#cm: }
	n=${n%% *}
	log "cm ($*): $n garbage datagrams to port $target," \
		"rx_drops +$((after - before))"
	in_ns "$NS_B" "$@" /usr/bin/rping -c -a "$ADDR_A" -p "$port" -C 3 -v \
		>"$TMP/rping-c" 2>&1 || {
		cat "$TMP/rping-s" "$TMP/rping-c"
		fail "rping after the garbage failed"
	}
	wait "$spid" || fail "rping -s failed"
	((after - before == n)) ||
		fail "CM: $n datagrams sent, $((after - before)) counted"
	log "cm ($*): the listener still connects"
}

if [[ -x /usr/bin/rping ]]; then
	port=$((20000 + $$ % 20000))
	cm_garbage "$port" "$port"
	cm_garbage "$((port + 1))" 4791 UROCE_WIRE=roce
else
	log "no rping: CM listener part skipped"
fi
