#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# cm.sh CASE: Debian's unmodified librdmacm programs (rdmacm-utils,
# perftest -R) on uroce's librdmacm between two namespaces, server in A,
# client in B. CASE is one of: rping rping_1000 ucmatose udaddy mckey
# rdma_server cmtime ib_write_bw ib_send_lat nolistener loss.
source "$(dirname "$0")/../dp/lib.sh"

case_=$1
TEST_NAME="cm.$case_"
PORT=$((7000 + $$ % 2000))

need() {
	[[ -x /usr/bin/$1 ]] || skip "no $1"
}

# wait_port NS PORT: until something in NS receives on UDP PORT.
wait_port() {
	local i

	for i in $(seq 100); do
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q . && return
		sleep 0.1
	done
	fail "nothing listens on UDP port $2 in $1"
}

# pair "SERVER ARGS" "CLIENT ARGS": the server in A (its CM port is
# $PORT), the client in B; both must exit 0. A server binds its port a
# moment before it listens, and a request in between is rejected: the
# client is then started again.
pair() {
	local spid rc i

	in_ns "$NS_A" $1 >"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_port "$NS_A" "$PORT"
	for i in $(seq 20); do
		rc=0
		in_ns "$NS_B" $2 >"$TMP/client" 2>&1 || rc=$?
		((rc)) && grep -q "REJECTED" "$TMP/client" || break
		sleep 0.2
	done
	if ! wait "$spid"; then
		cat "$TMP/server" "$TMP/client"
		fail "server '$1' failed"
	fi
	if ((rc)); then
		cat "$TMP/server" "$TMP/client"
		fail "client '$2' failed ($rc)"
	fi
	tail -n 5 "$TMP/client"
}

dp_setup

case $case_ in
rping)
	need rping
	pair "/usr/bin/rping -s -a $ADDR_A -p $PORT -C 10" \
		"/usr/bin/rping -c -a $ADDR_A -p $PORT -v -C 10"
	grep -q "rdma-ping-9:" "$TMP/client" || fail "no 10th ping"
	;;
rping_1000)
	need rping
	pair "/usr/bin/rping -s -a $ADDR_A -p $PORT -C 1000" \
		"/usr/bin/rping -c -a $ADDR_A -p $PORT -v -C 1000"
	grep -q "rdma-ping-999:" "$TMP/client" || fail "no 1000th ping"
	;;
ucmatose)
	need ucmatose
	pair "/usr/bin/ucmatose -p $PORT -c 10" \
		"/usr/bin/ucmatose -s $ADDR_A -p $PORT -c 10"
	;;
udaddy)
	need udaddy
	PORT=7174 # udaddy's, fixed
	pair "/usr/bin/udaddy -c 4" "/usr/bin/udaddy -s $ADDR_A -c 4"
	;;
mckey)
	need mckey
	# The receiver joins first; the sender's messages must reach it.
	in_ns "$NS_A" /usr/bin/mckey -m 239.7.7.7 -b "$ADDR_A" \
		>"$TMP/server" 2>&1 &
	BG_PIDS+=("$!")
	sleep 1
	in_ns "$NS_B" /usr/bin/mckey -m 239.7.7.7 -b "$ADDR_B" -s \
		>"$TMP/client" 2>&1 || {
		cat "$TMP/client"
		fail "mckey sender failed"
	}
	wait "${BG_PIDS[-1]}" || {
		cat "$TMP/server" "$TMP/client"
		fail "mckey receiver failed"
	}
	tail -n 3 "$TMP/server"
	;;
rdma_server)
	need rdma_server
	pair "/usr/bin/rdma_server -p $PORT" \
		"/usr/bin/rdma_client -s $ADDR_A -p $PORT"
	grep -q "end 0" "$TMP/client" || fail "rdma_client did not end well"
	;;
cmtime)
	# 200 connections set up and torn down; the server never exits.
	need cmtime
	in_ns "$NS_A" /usr/bin/cmtime -p "$PORT" -c 200 >"$TMP/server" 2>&1 &
	BG_PIDS+=("$!")
	wait_port "$NS_A" "$PORT"
	in_ns "$NS_B" /usr/bin/cmtime -s "$ADDR_A" -p "$PORT" -c 200 \
		>"$TMP/client" 2>&1 || {
		cat "$TMP/client"
		fail "cmtime client failed"
	}
	cat "$TMP/client"
	grep -q "^connect " "$TMP/client" || fail "no connect figure"
	;;
ib_write_bw | ib_send_lat)
	need "$case_"
	args="-R -F -n 200 -p $PORT"
	[[ $case_ == *_bw ]] && args+=" --report_gbits"
	pair "/usr/bin/$case_ $args" "/usr/bin/$case_ $args $ADDR_A"
	grep -q "^ *[0-9]" "$TMP/client" || fail "no result line"
	;;
nolistener)
	# Nothing listens on the port: REJECTED (reason 8, invalid service
	# ID, as a CM without a listener answers), at once.
	need ucmatose
	start=$(date +%s)
	if in_ns "$NS_B" /usr/bin/ucmatose -s "$ADDR_A" -p "$PORT" \
		>"$TMP/client" 2>&1; then
		fail "connected to nothing"
	fi
	cat "$TMP/client"
	grep -q "RDMA_CM_EVENT_REJECTED, error: 8" "$TMP/client" ||
		fail "expected REJECTED with status 8"
	(($(date +%s) - start < 5)) || fail "took too long to be refused"
	;;
loss)
	# The first two REQs, the first REP and the first RTU are lost: the
	# CM resends and the connection comes up all the same.
	need rping
	command -v nft >/dev/null || skip "no nft"
	ip netns exec "$NS_A" nft -f - <<-NFT || skip "nftables unusable"
		table inet cmloss {
			chain in {
				type filter hook input priority 0;
				udp dport $PORT quota until 568 bytes counter drop
				ip saddr $ADDR_B udp dport != $PORT udp length 264 quota until 284 bytes counter drop
			}
		}
	NFT
	ip netns exec "$NS_B" nft -f - <<-NFT
		table inet cmloss {
			chain in {
				type filter hook input priority 0;
				ip saddr $ADDR_A udp length 264 quota until 284 bytes counter drop
			}
		}
	NFT
	pair "/usr/bin/rping -s -a $ADDR_A -p $PORT -C 10" \
		"/usr/bin/rping -c -a $ADDR_A -p $PORT -v -C 10"
	grep -q "rdma-ping-9:" "$TMP/client" || fail "no 10th ping"
	drops=$( (ip netns exec "$NS_A" nft list ruleset
		ip netns exec "$NS_B" nft list ruleset) |
		grep -o 'counter packets [0-9]*' | awk '{s += $3} END {print s}')
	log "datagrams dropped by nftables: $drops"
	((drops == 4)) || fail "expected 4 drops, saw $drops"
	;;
*)
	fail "unknown case '$case_'"
	;;
esac
