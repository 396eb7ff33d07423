#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# uroce's packets as an outside decoder sees them: Debian's unmodified
# ibv_rc_pingpong, ibv_ud_pingpong, perftest (WRITE, READ of several MTUs,
# atomics), rping (RDMA CM) and wire_ops (a WRITE with immediate, an
# RNR NAK, a remote access NAK) between two namespaces, captured with
# tcpdump on A's end of the veth pair and decoded by tshark as RoCE v2
# (every QP's UDP port declared InfiniBand). check.py asserts the header
# fields against what the tools print (QPNs, PSNs, rkeys, addresses) and
# checks every ICRC with Scapy. Needs root, tcpdump, tshark and
# python3-scapy (else exit 77).
#
# capture.sh roce: the same with UROCE_WIRE=roce at both ends (uroce(7)):
# every packet to UDP port 4791 from the port the kernel's rxe would use
# for its flow, ECN-capable, and every ICRC right over the IP header
# exactly as captured (no assumed IPv4 ID).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

MODE=${1:-direct}
E=()
# The IPv4 GID: index 0, or 1 after the link-local one of a wire roce
# device (its GID 0, as a kernel RoCE device's), once that is usable.
GIDX=0
if [[ $MODE == roce ]]; then
	TEST_NAME=capture_roce
	E=(UROCE_WIRE=roce)
	GIDX=1
fi

PY=/usr/bin/python3
CM_PORT=7174
for t in tcpdump tshark; do
	command -v $t >/dev/null || skip "no $t"
done
$PY -c 'import scapy.contrib.roce' 2>/dev/null || skip "no python3-scapy"
for t in ibv_rc_pingpong ibv_ud_pingpong ib_write_bw ib_read_bw \
	ib_atomic_bw rping; do
	[[ -x /usr/bin/$t ]] || skip "no $t"
done
pair_setup
if [[ $MODE == roce ]]; then
	retry 10 ll_ready "$NS_A" "dpa$$" && retry 10 ll_ready "$NS_B" "dpb$$" ||
		fail "no usable IPv6 link-local address"
fi
capture_start "$NS_A" "dpa$$" "$TMP/wire.pcap" "$NS_B" "dpb$$"

# run NAME SERVER... -- CLIENT...: one exchange; its output is kept as
# $TMP/NAME.server and $TMP/NAME.client for check.py.
run() {
	local name=$1

	shift
	date +%s.%N >"$TMP/$name.time"
	server_client "$@" >/dev/null
	date +%s.%N >>"$TMP/$name.time"
	mv "$TMP/server" "$TMP/$name.server"
	mv "$TMP/client" "$TMP/$name.client"
	log "$name: done"
}

pp=(-g $GIDX -n 5 -s 64 -c)
run rc "${E[@]}" /usr/bin/ibv_rc_pingpong -d "$DEV_A" "${pp[@]}" -- \
	"${E[@]}" /usr/bin/ibv_rc_pingpong -d "$DEV_B" "${pp[@]}" "$ADDR_A"
run ud "${E[@]}" /usr/bin/ibv_ud_pingpong -d "$DEV_A" "${pp[@]}" -- \
	"${E[@]}" /usr/bin/ibv_ud_pingpong -d "$DEV_B" "${pp[@]}" "$ADDR_A"
# perftest: -n 5 exchanges (its least), one port; the READ message is
# larger than the path MTU (FIRST, MIDDLE and LAST responses).
pt=(-x $GIDX -F -n 5)
run rdma_write "${E[@]}" /usr/bin/ib_write_bw -d "$DEV_A" "${pt[@]}" -s 64 -- \
	"${E[@]}" /usr/bin/ib_write_bw -d "$DEV_B" "${pt[@]}" -s 64 "$ADDR_A"
run rdma_read "${E[@]}" /usr/bin/ib_read_bw -d "$DEV_A" "${pt[@]}" -s 3000 -- \
	"${E[@]}" /usr/bin/ib_read_bw -d "$DEV_B" "${pt[@]}" -s 3000 "$ADDR_A"
run faa "${E[@]}" /usr/bin/ib_atomic_bw -d "$DEV_A" "${pt[@]}" \
	-A FETCH_AND_ADD -- "${E[@]}" /usr/bin/ib_atomic_bw -d "$DEV_B" \
	"${pt[@]}" -A FETCH_AND_ADD "$ADDR_A"
run cas "${E[@]}" /usr/bin/ib_atomic_bw -d "$DEV_A" "${pt[@]}" \
	-A CMP_AND_SWAP -- "${E[@]}" /usr/bin/ib_atomic_bw -d "$DEV_B" \
	"${pt[@]}" -A CMP_AND_SWAP "$ADDR_A"
SC_LISTEN="udp $CM_PORT" run rping "${E[@]}" \
	/usr/bin/rping -s -a "$ADDR_A" -p $CM_PORT -C 3 -S 100 -v -- \
	"${E[@]}" /usr/bin/rping -c -a "$ADDR_A" -p $CM_PORT -C 3 -S 100 -v
# A WRITE with immediate, a SEND that finds no receive (RNR NAK), a WRITE
# with a bad rkey (remote access NAK).
prog=${UROCE_TEST_WIRE_OPS:-${BUILD:+$BUILD/tests/wire/wire_ops}}
[[ -x $prog ]] || fail "no wire_ops (set BUILD or UROCE_TEST_WIRE_OPS)"
date +%s.%N >"$TMP/ops.time"
in_ns "$NS_A" "${E[@]}" WIRE_OPS_GID=$GIDX "$prog" "$DEV_A" "/run/netns/$NS_B" "$DEV_B" \
	>"$TMP/ops" ||
	fail "wire_ops: $(cat "$TMP/ops")"
date +%s.%N >>"$TMP/ops.time"
log "ops: done"

sleep 1
kill -INT "${BG_PIDS[0]}"
wait "${BG_PIDS[0]}" || true
BG_PIDS=()
grep -q "packets captured" "$TMP/tcpdump.log" ||
	fail "tcpdump did not end: $(cat "$TMP/tcpdump.log")"
# WIRE_KEEP=DIR keeps the capture and the tools' output there.
[[ -z ${WIRE_KEEP:-} ]] || cp -r "$TMP"/. "$WIRE_KEEP"

check=(env -u PYTHONPATH "$PY" "$(dirname "$0")/check.py")
"${check[@]}" "$TMP" "$CM_PORT" "$ADDR_A" "$ADDR_B" "$MODE" ||
	fail "packets not as expected"
# The check sees a bad ICRC: the first packet's payload changed by a byte
# (24 bytes of file header, 16 of record header, 60 into the frame).
mkdir "$TMP/bad"
cp "$TMP"/{ops,*.server,*.client,*.time} "$TMP/bad/"
cp "$TMP/wire.pcap" "$TMP/bad/wire.pcap"
printf '\x5a' | dd of="$TMP/bad/wire.pcap" bs=1 seek=100 conv=notrunc \
	status=none
if "${check[@]}" "$TMP/bad" "$CM_PORT" "$ADDR_A" "$ADDR_B" "$MODE" \
	>"$TMP/bad.log" 2>&1; then
	fail "a corrupted packet passes the check"
fi
grep -q "^  frame 1 .*: ICRC" "$TMP/bad.log" ||
	fail "the corrupted packet's ICRC not reported: $(cat "$TMP/bad.log")"
