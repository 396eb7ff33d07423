#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# librdmacm's connection management in the wire-compatible mode
# (UROCE_WIRE=roce, uroce-cm(7)) between two namespaces, captured with
# tcpdump on A's end of the veth pair: Debian's rping (REQ, REP, RTU,
# DREQ, DREP; first a REQ to a port nobody listens on, REJ), udaddy
# (SIDR_REQ, SIDR_REP), ucmatose, and rping to two listening processes of
# one namespace. Every CM message must be a RoCE v2 UD SEND_ONLY to QP 1
# from QP 1 on UDP port 4791 (both ports), with the GSI Q_Key and IPv4
# DF, and tshark must decode it as the IB CM message expected, the REQ
# with what the kernel's rdma_cm needs for RoCE (RDMA_PS_TCP's service
# ID, IPv4-mapped GIDs, permissive LIDs); Scapy checks every ICRC.
# rping's REQ replayed with another IPv4 ID reaches a listener, and with
# a byte changed (a bad ICRC) does not. The QPs' data goes on port 4791
# too (the provider's wire roce mode), to QPs other than 1. Needs root,
# tcpdump, tshark and python3-scapy (else exit 77).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

PY=/usr/bin/python3
CM_PORT=7174
for t in tcpdump tshark; do
	command -v $t >/dev/null || skip "no $t"
done
$PY -c 'import scapy.contrib.roce' 2>/dev/null || skip "no python3-scapy"
for t in rping udaddy ucmatose; do
	[[ -x /usr/bin/$t ]] || skip "no $t"
done
pair_setup

capture_start "$NS_A" "dpa$$" "$TMP/cm.pcap" "$NS_B" "dpb$$"

roce=(UROCE_WIRE=roce)
# A REQ to a port where nothing listens: the listener's namespace answers
# REJ (invalid service ID) from port 4791, as the kernel's CM does.
in_ns "$NS_A" "${roce[@]}" /usr/bin/rping -s -a "$ADDR_A" -p $CM_PORT \
	-C 3 -S 100 -v >"$TMP/server" 2>&1 &
spid=$!
BG_PIDS+=("$spid")
wait_listen "$NS_A" udp 4791 "$spid"
sleep 0.5 # the port's group has its program
out=$(in_ns "$NS_B" "${roce[@]}" /usr/bin/rping -c -a "$ADDR_A" \
	-p $((CM_PORT + 1)) -C 1 -v 2>&1) && fail "rping to no listener: $out"
expect_match "rping to no listener" "$out" "REJECTED"
log "no listener: rejected"
# The server's first QP joins the port's group as the connection is
# made: ibv_create_qp returns once the group steers its QPN (uroce(7)).
out=$(in_ns "$NS_B" "${roce[@]}" /usr/bin/rping -c -a "$ADDR_A" \
	-p $CM_PORT -C 3 -S 100 -v 2>&1) || fail "rping client: $out"
wait "$spid" || fail "rping server: $(cat "$TMP/server")"
expect_match "rping" "$out" "rdma-ping-2"
log "rping: 3 pings"

# The server's first UD QP makes its context join the port's group on the
# SIDR REQ; a datagram lost to a QP not yet steered would leave udaddy
# waiting for ever (CMD_TIMEOUT).
SC_LISTEN="udp 4791" server_client \
	/usr/bin/env "${roce[@]}" /usr/bin/udaddy -b "$ADDR_A" -C 2 -- \
	/usr/bin/env "${roce[@]}" /usr/bin/udaddy -s "$ADDR_A" -C 2 \
	>"$TMP/udaddy"
expect_match "udaddy" "$(cat "$TMP/udaddy")" "test complete"
log "udaddy: done"
SC_LISTEN="udp 4791" server_client \
	/usr/bin/env "${roce[@]}" /usr/bin/ucmatose -b "$ADDR_A" -C 2 -- \
	/usr/bin/env "${roce[@]}" /usr/bin/ucmatose -s "$ADDR_A" -C 2 \
	>"$TMP/ucmatose"
log "ucmatose: done"
# Two listening processes in A share port 4791: each REQ reaches the
# one that listens on its service, each later message the one whose
# communication ID it names.
# cm_listening PORT: a process of A listens on PORT (uroce res cm_id);
# rdma_listen has returned, or is about to, the group steering the port.
cm_listening() {
	in_ns "$NS_A" "$UROCE_TOOL" res cm_id 2>/dev/null |
		grep -q "LISTEN.*:$1\b\|:$1 .*LISTEN"
}
for p in 0 1; do
	in_ns "$NS_A" "${roce[@]}" /usr/bin/rping -s -a "$ADDR_A" \
		-p $((CM_PORT + 10 + p)) -C 2 >"$TMP/two$p" 2>&1 &
	two[p]=$!
	BG_PIDS+=("${two[p]}")
	retry "$CMD_TIMEOUT" cm_listening $((CM_PORT + 10 + p)) ||
		fail "listener $p of two does not listen"
	sleep 0.1
done
for p in 1 0; do
	out=$(in_ns "$NS_B" "${roce[@]}" /usr/bin/rping -c -a "$ADDR_A" \
		-p $((CM_PORT + 10 + p)) -C 2 -v 2>&1) ||
		fail "rping to the listener $p of two: $out" \
			"(listener: $(cat "$TMP/two$p"))"
	wait "${two[p]}" || fail "listener $p of two: $(cat "$TMP/two$p")"
done
log "two listening processes: each got its connection"

sleep 1
kill -INT "${BG_PIDS[0]}"
wait "${BG_PIDS[0]}" || true
BG_PIDS=()
[[ -z ${WIRE_KEEP:-} ]] || cp -r "$TMP"/. "$WIRE_KEEP"

# One line a datagram to QP 1 (tshark decodes port 4791 as RoCE v2); the
# QPs' own packets go there too once the provider is in the same mode.
tshark -r "$TMP/cm.pcap" -Y 'infiniband.bth.destqp == 1' -T fields \
	-E separator=' ' \
	-e frame.number -e ip.flags.df -e udp.srcport -e udp.dstport \
	-e infiniband.bth.opcode -e infiniband.bth.destqp \
	-e infiniband.deth.q_key -e infiniband.deth.srcqp \
	-e infiniband.mad.mgmtclass -e infiniband.mad.attributeid \
	2>/dev/null >"$TMP/cm.txt" || fail "tshark"
cat "$TMP/cm.txt"
awk '$2 != 1 || $3 != 4791 || $4 != 4791 || $5 != 100 || $6 != "0x000001" ||
	$7 != "0x0000000080010000" || $8 != "0x00000001" || $9 != "0x07" {
		print "  frame " $1 ": not a CM MAD to QP 1 on 4791: " $0; bad = 1
	} END { exit bad }' "$TMP/cm.txt" || fail "CM messages not as expected"
# No CM message of the direct mode (a bare 256-byte MAD) on any port.
bare=$(tshark -r "$TMP/cm.pcap" -Y 'udp.length == 264 && udp.port != 4791' \
	2>/dev/null)
expect_eq "bare CM datagrams" "$bare" ""
# Every message kind the runs make, by attribute ID.
for a in 0x0010:REQ 0x0013:REP 0x0014:RTU 0x0012:REJ 0x0015:DREQ \
	0x0016:DREP 0x0017:SIDR_REQ 0x0018:SIDR_REP; do
	grep -q " ${a%:*}\$" "$TMP/cm.txt" || fail "no ${a#*:} on the wire"
done
# The first REQ to the listener, as the kernel's rdma_cm makes it for RoCE:
# RDMA_PS_TCP's service ID, permissive LIDs, the IPv4-mapped GIDs.
req=$(tshark -r "$TMP/cm.pcap" -Y "infiniband.cm.req.serviceid.dport == \
$CM_PORT" -T fields -E separator=' ' -e infiniband.cm.req.serviceid \
	-e infiniband.cm.req.prim_locallid -e infiniband.cm.req.prim_remotelid \
	-e infiniband.cm.req.prim_localgid_ipv4 \
	-e infiniband.cm.req.prim_remotegid_ipv4 \
	-e infiniband.cm.req.prim_hoplim 2>/dev/null | head -n 1)
expect_eq "REQ" "$req" "$(printf '0x000000000106%04x 65535 65535 %s %s 0x40' \
	$CM_PORT "$ADDR_B" "$ADDR_A")"
rej=$(tshark -r "$TMP/cm.pcap" -Y "infiniband.mad.attributeid == 0x0012" \
	-T fields -e infiniband.cm.rej.reason 2>/dev/null | head -n 1)
expect_eq "REJ reason" "$rej" "0x0008"
env -u PYTHONPATH "$PY" "$(dirname "$0")/../rxe/icrc.py" "$TMP/cm.pcap" \
	>"$TMP/icrc" || fail "ICRC: $(cat "$TMP/icrc")"
log "$(wc -l <"$TMP/cm.txt") CM messages, every ICRC right"

# rping's REQ sent again from B with another IPv4 ID (a RoCE v2 peer
# picks its own): a listener takes it. With one byte of its private data
# changed, the ICRC no longer matches: the listener never sees it.
# replay yes|no: sends the REQ (changed or not) while rping -s listens,
# and prints the server's output once it shows the REQ, or 5 s after the
# send (Scapy alone may take 3 s to start on a loaded machine).
replay() {
	local spid pid
	local -a san

	mapfile -t san < <(sanitizer_env)
	in_ns "$NS_A" "${roce[@]}" "${san[@]}" stdbuf -oL \
		timeout "$CMD_TIMEOUT" /usr/bin/rping -s -d \
		-a "$ADDR_A" -p $CM_PORT -C 1 >"$TMP/replay.s" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_listen "$NS_A" udp 4791 "$spid"
	sleep 0.5
	ip netns exec "$NS_B" env -u PYTHONPATH "$PY" -c '
import random, sys
from scapy.all import IP, UDP, Raw, rdpcap, send
from scapy.contrib.roce import BTH
port = int(sys.argv[3]).to_bytes(2, "big")
# The REQ (attribute 0x0010) for the service of TCP port argv[3].
req = next(p for p in rdpcap(sys.argv[1])
           if BTH in p and bytes(p[UDP].payload)[36:38] == b"\x00\x10"
           and bytes(p[UDP].payload)[58:60] == port)
data = bytearray(bytes(req[UDP].payload))
if sys.argv[2] == "yes":
    data[20 + 24 + 150] ^= 0x01  # the user private data of the REQ
send(IP(src=req[IP].src, dst=req[IP].dst, flags="DF",
        id=random.randint(1, 65535)) /
     UDP(sport=4791, dport=4791) / Raw(bytes(data)), verbose=False)
' "$TMP/cm.pcap" "$1" $CM_PORT || fail "scapy replay"
	retry "$(scaled 5)" grep -q CONNECT_REQUEST "$TMP/replay.s" || true
	# The server, whose shell and timeout would not pass a kill on.
	for pid in $(ip netns pids "$NS_A"); do
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) != rping ]] ||
			kill "$pid" 2>/dev/null
	done
	wait "$spid" || true
	cat "$TMP/replay.s"
}
expect_match "the REQ again" "$(replay no)" "CONNECT_REQUEST"
expect_nomatch "the REQ with a bad ICRC" "$(replay yes)" "CONNECT_REQUEST"
log "a REQ with another IPv4 ID taken, with a bad ICRC dropped"
