#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# cm.sh CASE: Debian's unmodified librdmacm programs (rdmacm-utils,
# perftest -R) on uroce's librdmacm between two namespaces, server in A,
# client in B. CASE is one of: rping rping_1000 ucmatose udaddy mckey
# rdma_server cmtime ib_write_bw ib_send_lat nolistener loss, and with
# programs of tests/cm ($CM_BIN): isolation routing options scale
# scale_valgrind res_cm_id calls_loopback calls_migrate_sync calls_ucx
# calls_disc calls_held.
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

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

# wait_port_free NS PORT: until nothing in NS receives on UDP PORT.
wait_port_free() {
	local i

	for i in $(seq 100); do
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q . || return 0
		sleep 0.1
	done
	fail "UDP port $2 in $1 still busy"
}

# pair "SERVER ARGS" "CLIENT ARGS": the server in A (its CM port is
# $PORT), the client in B; both must exit 0. A request that comes before
# the server listens is rejected (as the kernel's CM does): then both are
# started again, the server first. Restarting the client alone is not
# enough: perftest connects twice (a control connection, then the test's
# own after a sync over it), and a client that lost the second race would
# meet a server past its first phase; such a client exits 139 (SIGSEGV in
# perftest's own retry: README, "Connection manager").
pair() {
	local spid rc i

	for i in $(seq 10); do
		in_ns "$NS_A" $1 >"$TMP/server" 2>&1 &
		spid=$!
		BG_PIDS+=("$spid")
		wait_port "$NS_A" "$PORT"
		rc=0
		in_ns "$NS_B" $2 >"$TMP/client" 2>&1 || rc=$?
		((rc)) && grep -q "REJECTED" "$TMP/client" || break
		log "rejected (server not listening yet): again"
		# $spid is the subshell of in_ns: end what runs in A.
		kill $(ip netns pids "$NS_A") 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		wait_port_free "$NS_A" "$PORT"
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

# calls_pair NAME: cm_calls NAME_server in A, then NAME_client in B; both
# must exit 0.
calls_pair() {
	local spid

	in_ns "$NS_A" "$CM_BIN/cm_calls" "$1_server" "$ADDR_A" "$PORT" \
		>"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_port "$NS_A" "$PORT"
	in_ns "$NS_B" "$CM_BIN/cm_calls" "$1_client" "$ADDR_A" "$PORT" \
		>"$TMP/client" 2>&1 || {
		cat "$TMP/server" "$TMP/client"
		fail "cm_calls $1_client"
	}
	wait "$spid" || {
		cat "$TMP/server" "$TMP/client"
		fail "cm_calls $1_server"
	}
	cat "$TMP/server" "$TMP/client"
}

pair_setup

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
	(($(date +%s) - start < $(scaled 5))) ||
		fail "took too long to be refused"
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
isolation)
	# A second pair of namespaces, C and D, with the same addresses as A
	# and B: two rping pairs on the same IP and CM port at once, each
	# with its own count and size. Neither sees the other's devices.
	need rping
	NS_C="${NS_PREFIX}c"
	NS_D="${NS_PREFIX}d"
	trap 'netns_del "$NS_C" "$NS_D"; cleanup' EXIT
	ip netns add "$NS_C"
	ip netns add "$NS_D"
	ip -n "$NS_C" link add "dpc$$" type veth peer name "dpd$$" \
		netns "$NS_D"
	ip -n "$NS_C" link set lo up
	ip -n "$NS_D" link set lo up
	ip -n "$NS_C" addr add "$ADDR_A/24" dev "dpc$$"
	ip -n "$NS_D" addr add "$ADDR_B/24" dev "dpd$$"
	ip -n "$NS_C" link set "dpc$$" up
	ip -n "$NS_D" link set "dpd$$" up
	for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_D"; do
		in_ns "$ns" "$CM_BIN/cm_probe" devices >"$TMP/dev.$ns"
		log "devices of $ns: $(tr '\n' ' ' <"$TMP/dev.$ns")"
	done
	grep -qx "uroce_dpa$$" "$TMP/dev.$NS_A" || fail "A lacks its device"
	grep -qx "uroce_dpc$$" "$TMP/dev.$NS_C" || fail "C lacks its device"
	grep -q "dp[bcd]$$" "$TMP/dev.$NS_A" && fail "A sees another's device"
	grep -q "dp[abd]$$" "$TMP/dev.$NS_C" && fail "C sees another's device"
	grep -q "dp[abc]$$" "$TMP/dev.$NS_D" && fail "D sees another's device"
	# ibv_devices too, Debian's, on our libibverbs
	in_ns "$NS_C" /usr/bin/ibv_devices >"$TMP/ibv.C" 2>&1 || true
	grep -q "uroce_dpc$$" "$TMP/ibv.C" && ! grep -q "uroce_dpa$$" \
		"$TMP/ibv.C" || fail "ibv_devices in C: $(cat "$TMP/ibv.C")"
	in_ns "$NS_A" /usr/bin/rping -s -a "$ADDR_A" -p "$PORT" -C 30 \
		-S 100 >"$TMP/s1" 2>&1 &
	s1=$!
	in_ns "$NS_C" /usr/bin/rping -s -a "$ADDR_A" -p "$PORT" -C 20 \
		-S 200 >"$TMP/s2" 2>&1 &
	s2=$!
	BG_PIDS+=("$s1" "$s2")
	wait_port "$NS_A" "$PORT"
	wait_port "$NS_C" "$PORT"
	in_ns "$NS_B" /usr/bin/rping -c -a "$ADDR_A" -p "$PORT" -C 30 \
		-S 100 -v >"$TMP/c1" 2>&1 &
	c1=$!
	in_ns "$NS_D" /usr/bin/rping -c -a "$ADDR_A" -p "$PORT" -C 20 \
		-S 200 -v >"$TMP/c2" 2>&1 &
	c2=$!
	for p in "$c1" "$c2" "$s1" "$s2"; do
		wait "$p" || {
			cat "$TMP"/[sc][12]
			fail "an rping failed"
		}
	done
	# rping -v prints each ping's payload: its length tells the pair.
	n1=$(grep -c "rdma-ping-" "$TMP/c1")
	n2=$(grep -c "rdma-ping-" "$TMP/c2")
	l1=$(grep -m1 "rdma-ping-" "$TMP/c1" | sed 's/^ping data: //' |
		tr -d '\n' | wc -c)
	l2=$(grep -m1 "rdma-ping-" "$TMP/c2" | sed 's/^ping data: //' |
		tr -d '\n' | wc -c)
	log "pair A-B: $n1 pings of $l1 bytes; pair C-D: $n2 of $l2"
	((n1 == 30 && n2 == 20)) || fail "ping counts $n1/$n2, not 30/20"
	((l1 < l2)) || fail "payload sizes $l1/$l2 do not tell the pairs apart"
	;;
routing)
	# A netdev that is not a uroce device (UROCE_EXCLUDE) carries the
	# route: ADDR_ERROR, not a guess; with it included, ADDR_RESOLVED.
	out=$(in_ns "$NS_B" env UROCE_EXCLUDE="dpb$$" "$CM_BIN/cm_probe" \
		resolve "$ADDR_A")
	log "excluded: $out"
	[[ $out == "RDMA_CM_EVENT_ADDR_ERROR status -19" ]] ||
		fail "expected ADDR_ERROR -ENODEV, got '$out'"
	# the same by the configuration file of the namespace
	echo "exclude dpb$$" >"$TMP/uroce.conf"
	out=$(timeout "$CMD_TIMEOUT" ip netns exec "$NS_B" env \
		UROCE_CONF="$TMP/uroce.conf" LD_LIBRARY_PATH="$LIBDIR" \
		"$CM_BIN/cm_probe" resolve "$ADDR_A")
	log "excluded by uroce.conf: $out"
	[[ $out == "RDMA_CM_EVENT_ADDR_ERROR status -19" ]] ||
		fail "expected ADDR_ERROR -ENODEV, got '$out'"
	out=$(in_ns "$NS_B" "$CM_BIN/cm_probe" resolve "$ADDR_A")
	log "included: $out"
	[[ $out == "RDMA_CM_EVENT_ADDR_RESOLVED status 0" ]] ||
		fail "expected ADDR_RESOLVED, got '$out'"
	;;
options)
	# EADDRINUSE within a namespace; TOS and ACK timeout taken.
	in_ns "$NS_A" "$CM_BIN/cm_probe" bind "$ADDR_A" "$PORT" ||
		fail "cm_probe bind"
	;;
calls_loopback)
	# libfabric's probe of "localhost": loopback binds no device.
	in_ns "$NS_A" "$CM_BIN/cm_calls" loopback "$ADDR_A" ||
		fail "cm_calls loopback"
	;;
calls_migrate_sync)
	# libfabric's endpoints: resolved synchronously, then moved.
	in_ns "$NS_B" "$CM_BIN/cm_calls" migrate_sync "$ADDR_A" ||
		fail "cm_calls migrate_sync"
	;;
calls_ucx)
	# UCX's wire-up: no QP, dummy QP numbers, private data, rejects.
	calls_pair ucx
	;;
calls_disc)
	# What came before the peer's DREQ is completed before DISCONNECTED.
	calls_pair disc
	;;
calls_held)
	# The same while a poll of the client's is stopped halfway.
	calls_pair held
	;;
scale)
	# 1000 concurrent connections, twice: setup rate, fds.
	pair "$CM_BIN/cm_scale -s -p $PORT -n 1000" \
		"$CM_BIN/cm_scale -c $ADDR_A -p $PORT -n 1000"
	cat "$TMP/server"
	grep "connections/s" "$TMP/client"
	;;
scale_valgrind)
	# The same under valgrind on both sides: no leak, no error.
	command -v valgrind >/dev/null || skip "no valgrind"
	N=${CM_SCALE_VALGRIND_N:-1000}
	vg="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99
		--suppressions=$(dirname "$0")/../valgrind/uroce.supp"
	CMD_TIMEOUT=500
	pair "$vg $CM_BIN/cm_scale -s -p $PORT -n $N -r 1" \
		"$vg $CM_BIN/cm_scale -c $ADDR_A -p $PORT -n $N -r 1"
	cat "$TMP/server"
	grep "connections/s" "$TMP/client"
	;;
res_cm_id)
	# uroce res cm_id in each namespace while rping runs: the listener
	# and the connected IDs, each namespace its own only.
	need rping
	in_ns "$NS_A" /usr/bin/rping -s -a "$ADDR_A" -p "$PORT" -C 0 \
		>"$TMP/server" 2>&1 &
	BG_PIDS+=("$!")
	wait_port "$NS_A" "$PORT"
	in_ns "$NS_B" /usr/bin/rping -c -a "$ADDR_A" -p "$PORT" -C 0 \
		>"$TMP/client" 2>&1 &
	BG_PIDS+=("$!")
	sleep 1
	in_ns "$NS_A" "$UROCE_TOOL" res cm_id >"$TMP/res.a"
	in_ns "$NS_B" "$UROCE_TOOL" res cm_id >"$TMP/res.b"
	in_ns "$NS_B" "$UROCE_TOOL" -j res cm_id >"$TMP/res.bj"
	cat "$TMP/res.a" "$TMP/res.b" "$TMP/res.bj"
	grep -q "state LISTEN .*src 0.0.0.0:$PORT\|src $ADDR_A:$PORT .*state LISTEN\|LISTEN.*$ADDR_A:$PORT" \
		"$TMP/res.a" || fail "no listener in A"
	grep -q "ESTABLISHED" "$TMP/res.a" || fail "no connected ID in A"
	grep -q "ESTABLISHED" "$TMP/res.b" || fail "no connected ID in B"
	grep -q "LISTEN" "$TMP/res.b" && fail "B shows A's listener"
	grep -q '"state":"ESTABLISHED"' "$TMP/res.bj" || fail "JSON"
	grep -q '"comm":"rping"' "$TMP/res.bj" || fail "JSON owner"
	;;
*)
	fail "unknown case '$case_'"
	;;
esac
