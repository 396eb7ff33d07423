#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce stat against a known exchange: N RC SENDs of S bytes from A to B
# at MTU 1024 (ceil(S/1024) packets each), first clean, then with the
# sender dropping 2% of its packets (UROCE_FAULT). The sender's packets
# are N*ceil(S/mtu) plus its retransmissions, its bytes the payload plus
# 16 bytes of BTH and ICRC a packet; ACKs and NAKs are 20 bytes; the
# receiver gets all the payload; the device totals match the QPs'.
source "$(dirname "$0")/lib.sh"

N=1000
S=5000
HDR=16 # BTH + ICRC of a SEND packet
ACK=20 # BTH + AETH + ICRC

obs_setup

# counters PHASE SENDER RECEIVER: snapshots of both sides, per QP and per
# device, each side's filtered by its holder's PID.
counters() {
	local ps pr

	ps=$(field "$2" pid)
	pr=$(field "$3" pid)
	uroce_in "$NS_A" -j stat qp pid "$ps" >"$TMP/$1.sq.json"
	uroce_in "$NS_B" -j stat qp pid "$pr" >"$TMP/$1.rq.json"
	uroce_in "$NS_A" -j stat dev pid "$ps" >"$TMP/$1.sd.json"
	uroce_in "$NS_B" -j stat dev pid "$pr" >"$TMP/$1.rd.json"
	uroce_in "$NS_A" stat qp pid "$ps"
	uroce_in "$NS_B" stat qp pid "$pr"
	uroce_in "$NS_A" stat dev pid "$ps"
}

# dev_sums QP_FILE DEV_FILE: a process's device totals are its one QP's,
# but for packets sent: the device counts those the kernel took, so less
# the injected drops and plus the injected duplicates.
dev_sums() {
	local k

	jcheck "$2" 'len(d) == 1 and d[0]["processes"] == 1 and d[0]["contexts"] == 1'
	for k in rx_pkts rx_bytes retrans retrans_pkts timeouts dup_reqs \
		seq_naks_sent seq_naks_rcvd rnr_naks_sent rnr_naks_rcvd \
		err_naks_sent err_naks_rcvd drops; do
		jcheck "$2" 'd[0][k] == q' k=$k q="$(jq_qp "$1" $k)"
	done
	jcheck "$2" 'd[0]["tx_pkts"] + d[0]["fault_drop"] - d[0]["fault_dup"] == q' \
		q="$(jq_qp "$1" tx_pkts)"
}

# check PHASE SENDER RECEIVER
check() {
	local mtu per s r sd rd

	mtu=$(field "$2" mtu)
	((mtu == 1024)) || fail "MTU $mtu, not 1024"
	per=$(((S + mtu - 1) / mtu))
	s=$TMP/$1.sq.json
	r=$TMP/$1.rq.json
	sd=$TMP/$1.sd.json
	rd=$TMP/$1.rd.json
	jcheck "$s" 'len(d) == 1 and d[0]["lqpn"] == qpn' qpn="$(field "$2" qpn)"
	jcheck "$r" 'len(d) == 1 and d[0]["lqpn"] == qpn' qpn="$(field "$3" qpn)"
	# The sender: every packet of every message, plus those resent.
	jcheck "$s" 'd[0]["tx_pkts"] == n * per + d[0]["retrans_pkts"]' \
		n=$N per=$per
	jcheck "$s" 'd[0]["tx_bytes"] - hdr * d[0]["tx_pkts"] - n * s in range(904 * d[0]["retrans_pkts"], mtu * d[0]["retrans_pkts"] + 1)' \
		n=$N s=$S hdr=$HDR mtu="$mtu"
	# The ACKs and NAKs, and nothing else, go back.
	jcheck "$r" 'd[0]["tx_bytes"] == ack * d[0]["tx_pkts"]' ack=$ACK
	jcheck "$s" 'd[0]["rx_bytes"] == ack * d[0]["rx_pkts"]' ack=$ACK
	# The receiver got every payload byte, some perhaps twice.
	jcheck "$r" 'd[0]["rx_pkts"] >= n * per and d[0]["rx_bytes"] - hdr * d[0]["rx_pkts"] >= n * s' \
		n=$N per=$per s=$S hdr=$HDR
	# Nothing resent: exactly the exchange's packets and bytes.
	jcheck "$r" 'retrans or (d[0]["rx_pkts"] == n * per and d[0]["rx_bytes"] == n * s + hdr * n * per and d[0]["dup_reqs"] == 0 and d[0]["drops"] == 0)' \
		retrans="$(jq_qp "$s" retrans_pkts)" n=$N per=$per s=$S hdr=$HDR
	dev_sums "$s" "$sd"
	dev_sums "$r" "$rd"
	# What the sender's device put on the wire, the receiver counted.
	jcheck "$r" 'd[0]["rx_pkts"] <= tx' tx="$(jq_qp "$sd" tx_pkts)"
}

# jq_qp FILE KEY: KEY of the first entry of FILE.
jq_qp() {
	"$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0][sys.argv[2]])' "$1" "$2"
}

log "clean: $N x $S bytes"
start_pair s1 r1 $N $S
wait_ready s1 r1
counters clean s1 r1
check clean s1 r1
jcheck "$TMP/clean.sd.json" 'd[0]["fault_drop"] == 0'

log "UROCE_FAULT=drop=0.02 on the sender"
HOLDER_ENV=(UROCE_FAULT=drop=0.02)
start_holder s2 "$NS_A" "$DEV_A" r2 -r send -n $N -s $S
HOLDER_ENV=()
start_holder r2 "$NS_B" "$DEV_B" s2 -r recv -n $N -s $S
wait_ready s2 r2
counters fault s2 r2
check fault s2 r2
jcheck "$TMP/fault.sd.json" 'd[0]["fault_drop"] > 0'
jcheck "$TMP/fault.sq.json" 'd[0]["retrans_pkts"] > 0 and d[0]["retrans"] > 0 and d[0]["seq_naks_rcvd"] + d[0]["timeouts"] > 0'

# Both senders at once: the device entry sums the two processes.
uroce_in "$NS_A" -j stat dev dev "$DEV_A" >"$TMP/both.json"
uroce_in "$NS_A" -j stat qp dev "$DEV_A" >"$TMP/both.qp.json"
jcheck "$TMP/both.json" 'len(d) == 1 and d[0]["processes"] == 2 and d[0]["retrans_pkts"] == q' \
	q="$("$PYTHON" -c 'import json, sys; print(sum(e["retrans_pkts"] for e in json.load(open(sys.argv[1]))))' "$TMP/both.qp.json")"
