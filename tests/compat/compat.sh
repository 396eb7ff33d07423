#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# compat.sh CASE: the "wire roce" mode (uroce(7)) between two namespaces,
# with Debian's unmodified programs, server in A, client in B, both ends
# uroce with UROCE_WIRE=roce. CASE is one of:
#   rc_pingpong ud_pingpong        ibv_*_pingpong -c, -g 0 (IPv6 link-local)
#                                  and -g 1 (IPv4)
#   ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw   perftest
#   rping                          through uroce's librdmacm
#   shared   two servers of one namespace on port 4791 at once, each
#            reached by its own client
#   uid      a process of another UID in a namespace whose port 4791 is
#            held: its QP cannot be created (EADDRINUSE)
#   cnp      a CNP and a GSI MAD to a live QP: counted (uroce stat's
#            drop_cnp, drop_gsi_mad), not answered
#   settle_ud   while another process leads A's group, a process opens a
#            fresh context and UD QP 40 times; B sends a datagram to each
#            the moment its QPN is known: every one arrives
#   settle_cm   while another process's CM is in A's group, a process
#            listens on a fresh port 40 times; B connects to each at once:
#            every REQ reaches the listener (none is rejected by another
#            process's CM)
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

case_=$1
TEST_NAME="compat.$case_"
ROCE=UROCE_WIRE=roce

need() {
	[[ -x /usr/bin/$1 ]] || skip "no $1"
}

# check_qpns FILE: the QPNs the programs printed are of the tag ranges
# (tag << 10 | n, n < 256: well below the direct mode's port << 8), and
# the program's socket was on UDP port 4791.
check_qpns() {
	local q n=0

	for q in $(grep -o 'QPN 0x[0-9a-f]*' "$1" | awk '{print $2}'); do
		((q >> 10 >= 1 && q >> 10 <= 16382 && (q & 0x3ff) < 256)) ||
			fail "QPN $q is not of a steering tag"
		n=$((n + 1))
	done
	((n)) || fail "no QPN in $1"
}

# udp_port NS PORT: something in NS receives on UDP port PORT.
udp_port() {
	ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q .
}

pair_setup
# The GID table of a wire roce device starts with the link-local
# addresses (as a kernel RoCE device's): wait for them, so that GID 0 is
# the IPv6 link-local one and GID 1 the IPv4 address.
retry 10 ll_ready "$NS_A" "dpa$$" && retry 10 ll_ready "$NS_B" "dpb$$" ||
	fail "no usable IPv6 link-local address"

case $case_ in
rc_pingpong | ud_pingpong)
	need "ibv_$case_"
	for g in 0 1; do
		server_client $ROCE "/usr/bin/ibv_$case_" -d "$DEV_A" -g $g -c \
			-- $ROCE "/usr/bin/ibv_$case_" -d "$DEV_B" -g $g -c \
			"$ADDR_A"
		grep -q "iters in" "$TMP/client" || fail "no result line"
		check_qpns "$TMP/client"
		check_qpns "$TMP/server"
		want='GID fe80:'
		((g == 0)) || want="GID ::ffff:$ADDR_B"
		grep -q "local address.*$want" "$TMP/client" ||
			fail "GID $g is not $want: $(cat "$TMP/client")"
		tail -n 4 "$TMP/client"
	done
	;;
ib_write_bw | ib_read_bw | ib_send_bw | ib_atomic_bw)
	need "$case_"
	common=(-x 0 -F -n 200 --report_gbits)
	server_client $ROCE "/usr/bin/$case_" -d "$DEV_A" "${common[@]}" -- \
		$ROCE "/usr/bin/$case_" -d "$DEV_B" "${common[@]}" "$ADDR_A"
	grep -q "^ *[0-9]" "$TMP/client" || fail "no result line"
	grep -i "qpn" "$TMP/client" | head -n 2
	tail -n 3 "$TMP/client"
	;;
rping)
	need rping
	port=$((7000 + $$ % 2000))
	in_ns "$NS_A" $ROCE /usr/bin/rping -s -a "$ADDR_A" -p "$port" -C 100 \
		>"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	retry "$CMD_TIMEOUT" udp_port "$NS_A" "$port" ||
		fail "the rping server does not listen"
	rc=0
	retry 10 in_ns "$NS_B" $ROCE /usr/bin/rping -c -a "$ADDR_A" \
		-p "$port" -v -C 100 >"$TMP/client" 2>&1 || rc=$?
	wait "$spid" || { cat "$TMP/server"; fail "rping server"; }
	((rc == 0)) || { cat "$TMP/client"; fail "rping client ($rc)"; }
	n=$(grep -c "^ping data" "$TMP/client" || true)
	((n == 100)) || fail "$n pings of 100 verified"
	log "rping -v -C 100: $n pings verified"
	;;
shared)
	need ibv_rc_pingpong
	# Two servers in A and two clients in B, on TCP ports p and p + 1:
	# four processes, two per namespace on UDP port 4791.
	p=$((18000 + $$ % 2000))
	for k in 0 1; do
		in_ns "$NS_A" $ROCE /usr/bin/ibv_rc_pingpong -d "$DEV_A" -g 0 \
			-c -n 2000 -p $((p + k)) >"$TMP/server$k" 2>&1 &
		BG_PIDS+=($!)
		spids[k]=$!
	done
	for k in 0 1; do
		wait_listen "$NS_A" tcp $((p + k)) "${spids[k]}"
	done
	for k in 0 1; do
		in_ns "$NS_B" $ROCE /usr/bin/ibv_rc_pingpong -d "$DEV_B" -g 0 \
			-c -n 2000 -p $((p + k)) "$ADDR_A" >"$TMP/client$k" 2>&1 &
		cpids[k]=$!
	done
	for k in 0 1; do
		wait "${cpids[k]}" || { cat "$TMP/client$k"; fail "client $k"; }
		wait "${spids[k]}" || { cat "$TMP/server$k"; fail "server $k"; }
		grep -q "2000 iters in" "$TMP/client$k" || fail "client $k"
		check_qpns "$TMP/server$k"
	done
	q0=$(grep -o 'local address.*QPN 0x[0-9a-f]*' "$TMP/server0" |
		grep -o '0x[0-9a-f]*$')
	q1=$(grep -o 'local address.*QPN 0x[0-9a-f]*' "$TMP/server1" |
		grep -o '0x[0-9a-f]*$')
	((q0 >> 10 != q1 >> 10)) || fail "both servers have tag $((q0 >> 10))"
	log "servers in one namespace: QPN $q0 (tag $((q0 >> 10))) and" \
		"$q1 (tag $((q1 >> 10))), both on UDP port 4791, both reached"
	;;
uid)
	need ibv_rc_pingpong
	command -v setpriv >/dev/null || skip "no setpriv"
	p=$((18000 + $$ % 2000))
	as() {
		local uid=$1
		local -a san

		shift
		mapfile -t san < <(sanitizer_env)
		in_ns "$NS_A" setpriv --reuid "$uid" --regid "$uid" \
			--clear-groups env $ROCE "${san[@]}" "$@"
	}
	as 65534 /usr/bin/ibv_rc_pingpong -d "$DEV_A" -g 0 -p "$p" \
		>"$TMP/holder" 2>&1 &
	hpid=$!
	BG_PIDS+=("$hpid")
	wait_listen "$NS_A" tcp "$p" "$hpid"
	udp_port "$NS_A" 4791 || fail "the holder is not on UDP port 4791"
	rc=0
	as 65533 /usr/bin/ibv_rc_pingpong -d "$DEV_A" -g 0 -p $((p + 1)) \
		>"$TMP/other" 2>&1 || rc=$?
	cat "$TMP/other"
	((rc)) || fail "a second UID got a QP on the held port"
	grep -q "Couldn't create QP" "$TMP/other" ||
		fail "the second UID failed elsewhere than at its QP"
	# The same UID joins the group.
	as 65534 /usr/bin/ibv_rc_pingpong -d "$DEV_A" -g 0 -p $((p + 1)) \
		>"$TMP/same" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" tcp $((p + 1)) "$spid"
	log "uid 65533 refused its QP while uid 65534 holds port 4791;" \
		"a second process of uid 65534 got one"
	;;
cnp)
	need ibv_rc_pingpong
	p=$((18000 + $$ % 2000))
	in_ns "$NS_A" $ROCE /usr/bin/ibv_rc_pingpong -d "$DEV_A" -g 1 -p "$p" \
		>"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" tcp "$p" "$spid"
	# The namespace's only member has tag 1: its first QP is 0x000400.
	# A CNP (BTH opcode 0x81, 16 reserved bytes, ICRC) to it, and a UD
	# SEND to QP 1 (a MAD); neither may be answered.
	ip netns exec "$NS_B" python3 - "$ADDR_A" <<'PY' ||
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 4791))
cnp = struct.pack("!BBHII", 0x81, 0, 0xffff, 0x400, 0) + bytes(16 + 4)
mad = (struct.pack("!BBHII", 0x64, 0, 0xffff, 1, 0) +
       struct.pack("!II", 0x80010000, 1) + bytes(256 + 4))
s.sendto(cnp, (sys.argv[1], 4791))
s.sendto(mad, (sys.argv[1], 4791))
s.settimeout(1)
try:
    s.recv(100)
    sys.exit("answered")
except socket.timeout:
    pass
PY
		fail "the CNP or the MAD was answered"
	for _ in $(seq 20); do
		in_ns "$NS_A" "$BINDIR/uroce" -d stat >"$TMP/stat" 2>&1 || true
		grep -q "drop_cnp 1" "$TMP/stat" &&
			grep -q "drop_gsi_mad 1" "$TMP/stat" && break
		sleep 0.2
	done
	grep -E "drop_cnp|drop_gsi_mad" "$TMP/stat" || true
	grep -q "drop_cnp 1" "$TMP/stat" || fail "CNP not counted: $(cat "$TMP/stat")"
	grep -q "drop_gsi_mad 1" "$TMP/stat" ||
		fail "MAD not counted: $(cat "$TMP/stat")"
	;;
settle_ud)
	need ibv_rc_pingpong
	p=$((18000 + $$ % 2000))
	# The leader: the first process on port 4791 in A.
	in_ns "$NS_A" $ROCE /usr/bin/ibv_rc_pingpong -d "$DEV_A" -g 1 -p "$p" \
		>"$TMP/holder" 2>&1 &
	BG_PIDS+=($!)
	wait_listen "$NS_A" tcp "$p" "$!"
	in_ns "$NS_A" $ROCE "$COMPAT_BIN/steer_settle" ud-recv "$DEV_A" \
		$((p + 1)) 40 >"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" tcp $((p + 1)) "$spid"
	in_ns "$NS_B" $ROCE "$COMPAT_BIN/steer_settle" ud-send "$DEV_B" \
		"$ADDR_A" $((p + 1)) >"$TMP/client" 2>&1 ||
		{ cat "$TMP/client"; fail "the sender"; }
	rc=0
	wait "$spid" || rc=$?
	cat "$TMP/server"
	((rc == 0)) || fail "datagrams to fresh QPs were lost"
	;;
settle_cm)
	need rping
	p=$((18000 + $$ % 2000))
	# Another process's CM in A's group (its leader, being the first).
	in_ns "$NS_A" $ROCE /usr/bin/rping -s -a "$ADDR_A" -p "$p" \
		>"$TMP/holder" 2>&1 &
	BG_PIDS+=($!)
	retry "$CMD_TIMEOUT" udp_port "$NS_A" 4791 ||
		fail "the rping server is not on UDP port 4791"
	in_ns "$NS_A" $ROCE "$COMPAT_BIN/steer_settle" cm-listen "$ADDR_A" \
		$((p + 1)) 40 >"$TMP/server" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" tcp $((p + 1)) "$spid"
	in_ns "$NS_B" $ROCE "$COMPAT_BIN/steer_settle" cm-connect "$ADDR_A" \
		$((p + 1)) >"$TMP/client" 2>&1 ||
		{ cat "$TMP/client"; fail "the client"; }
	rc=0
	wait "$spid" || rc=$?
	cat "$TMP/server"
	((rc == 0)) || fail "connections to fresh listeners were lost"
	;;
*)
	fail "unknown case $case_"
	;;
esac
