#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A peer killed mid-stream: Debian's ibv_rc_pingpong client must end with
# "transport retry counter exceeded" within the retry budget (timeout 14:
# 67 ms, retry_cnt 7), and nothing may hang.
#
# A ping-pong survivor whose last SEND was already acknowledged waits only
# for a receive, which RC never times out (there is no keepalive, on any
# RDMA device): that round is retried. Large messages make it rare.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

[[ -x /usr/bin/ibv_rc_pingpong ]] || skip "no ibv_rc_pingpong"
pair_setup
args=(-g 0 -s 65536 -n 100000000)
for round in 1 2 3 4 5; do
	CMD_TIMEOUT=60
	in_ns "$NS_A" /usr/bin/ibv_rc_pingpong -d "$DEV_A" "${args[@]}" \
		>"$TMP/server" 2>&1 &
	spid=$!
	# A client that finds no listener fails at once, but only after the
	# 1 s below if it starts slowly (sanitizers, load).
	wait_listen "$NS_A" tcp 18515 "$spid"
	for i in $(seq 50); do
		CMD_TIMEOUT=15
		in_ns "$NS_B" /usr/bin/ibv_rc_pingpong -d "$DEV_B" \
			"${args[@]}" "$ADDR_A" >"$TMP/client" 2>&1 &
		cpid=$!
		sleep 1
		kill -0 "$cpid" 2>/dev/null && break
		wait "$cpid" || true
	done
	kill -0 "$cpid" 2>/dev/null ||
		fail "client did not start: $(cat "$TMP/client")"
	# The server dies with its QP; the client is mid-stream.
	for pid in $(ip netns pids "$NS_A"); do
		kill -9 "$pid"
	done
	wait "$spid" 2>/dev/null || true
	start=$SECONDS
	rc=0
	wait "$cpid" || rc=$?
	if ((rc == 124)); then
		log "round $round: the survivor was waiting for a receive only"
		continue
	fi
	((rc != 0)) || fail "client succeeded?"
	grep -q "retry counter exceeded\|(12)" "$TMP/client" ||
		fail "no RETRY_EXC_ERR: $(cat "$TMP/client")"
	((SECONDS - start < $(scaled 10))) || fail "took $((SECONDS - start)) s"
	log "client: $(grep -i failed "$TMP/client" | head -1)"
	exit 0
done
fail "no round caught an outstanding SEND"
