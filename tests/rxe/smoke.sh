#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The soft-RoCE guest works (vm.sh): it boots with rxe0 and rxe1 listed by
# ibv_devices and `rdma link`, answers pings from the namespace it is
# joined to, and Debian's ibv_rc_pingpong (data checked) completes on rxe0
# with itself and between rxe0 and rxe1 over the wire. The RoCE v2
# packets of the latter, captured on the tap here, decode in tshark as RC
# SEND and ACK, and their ICRCs match the ones Scapy computes (a corrupted
# copy must not). Needs root and qemu; the first run downloads Debian's
# kernel and packages (about 100 MB) into the cache. Exit 77: skipped.
set -euo pipefail

# shellcheck source=vm.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm.sh"

NS=uroce-t-$$-rxe
HOST=192.0.2.1
G0=192.0.2.2
G1=192.0.2.3
TMP=
TCPDUMP=

smoke_cleanup() {
	[[ -n $TCPDUMP ]] && kill "$TCPDUMP" 2>/dev/null
	[[ -n $TMP ]] && rm -rf "$TMP"
	return 0
}

# pingpong SERVER_DEV SERVER_ADDR CLIENT_DEV CLIENT_ADDR: both ends of
# ibv_rc_pingpong in the guest, the client connecting to SERVER_ADDR.
pingpong() {
	vm_run -t 60 "
		s=\$(rxe-gid $1 $2) && c=\$(rxe-gid $3 $4) || exit 1
		ibv_rc_pingpong -d $1 -g \$s -n 5 -s 64 -c >/tmp/srv 2>&1 &
		for i in \$(seq 40); do
			netstat -ltn | grep -q ':18515 ' && break
			sleep 0.25
		done
		ibv_rc_pingpong -d $3 -g \$c -n 5 -s 64 -c $2
		rc=\$?
		wait \$! || rc=1
		echo '--- server'
		cat /tmp/srv
		exit \$rc"
}

trap smoke_cleanup EXIT
(($(id -u) == 0)) || vm_skip "needs root for the tap and namespace"
TMP=$(mktemp -d /tmp/uroce-rxe-smoke.XXXXXX)

t=$SECONDS
vm_prepare
vm_log "prepare: $((SECONDS - t)) s ($(dirname "$VM_KERNEL"))"
t=$SECONDS
vm_start "$NS" "$HOST/24" "$G0" "$G1"
vm_log "boot: $((SECONDS - t)) s"

for a in $G0 $G1; do
	ip netns exec "$NS" ping -c 1 -W 5 "$a" >/dev/null ||
		vm_fail "no ping reply from the guest's $a"
done

out=$(vm_run ibv_devices) || vm_fail "ibv_devices: $out"
for d in rxe0 rxe1; do
	grep -qw "$d" <<<"$out" || vm_fail "ibv_devices lists no $d: $out"
done
out=$(vm_run rdma link) || vm_fail "rdma link: $out"
grep -q "^link rxe0/1 state ACTIVE .*netdev eth0" <<<"$out" ||
	vm_fail "rxe0 is not active on eth0: $out"
vm_log "$out"

out=$(pingpong rxe0 "$G0" rxe0 "$G0") ||
	vm_fail "ibv_rc_pingpong on rxe0 with itself: $out"
grep -q "5 iters in" <<<"$out" || vm_fail "no pingpong summary: $out"
vm_log "rxe0 with itself: $(grep -m1 iters <<<"$out")"

out=$(vm_run rxe-selfwire) || vm_fail "rxe-selfwire: $out"
if ! command -v tcpdump >/dev/null || ! command -v tshark >/dev/null ||
	! /usr/bin/python3 -c 'import scapy.contrib.roce' 2>/dev/null; then
	vm_log "no tcpdump, tshark or python3-scapy: packets not checked"
	out=$(pingpong rxe0 "$G0" rxe1 "$G1") ||
		vm_fail "ibv_rc_pingpong between rxe0 and rxe1: $out"
	exit 0
fi

ip netns exec "$NS" timeout 120 tcpdump -i tap0 -U -w "$TMP/roce.pcap" \
	udp port 4791 2>"$TMP/tcpdump.log" &
TCPDUMP=$!
for _ in $(seq 100); do
	grep -q "listening on" "$TMP/tcpdump.log" && break
	sleep 0.1
done
out=$(pingpong rxe0 "$G0" rxe1 "$G1") ||
	vm_fail "ibv_rc_pingpong between rxe0 and rxe1: $out"
vm_log "rxe0 with rxe1: $(grep -m1 iters <<<"$out")"
sleep 1
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
TCPDUMP=

# Five pings and five pongs, each a SEND acknowledged.
sum=$(tshark -r "$TMP/roce.pcap" 2>/dev/null)
echo "$sum"
n=$(grep -c "RRoCE .* RC Send Only QP=" <<<"$sum" || true)
((n >= 10)) || vm_fail "$n RC SEND packets decoded, not 10"
n=$(grep -c "RRoCE .* RC Acknowledge QP=" <<<"$sum" || true)
((n >= 10)) || vm_fail "$n RC ACK packets decoded, not 10"
for f in 1 2; do
	tshark -r "$TMP/roce.pcap" -V -Y "frame.number == $f" 2>/dev/null |
		sed -n '/^User Datagram/,$p'
done
# The IP and UDP fields the kernel puts on the wire, which the ICRC covers.
tshark -r "$TMP/roce.pcap" -T fields -E header=y -e frame.number \
	-e ip.id -e ip.flags.df -e ip.ttl -e ip.dsfield -e udp.srcport \
	-e udp.checksum -e infiniband.bth.opcode -e infiniband.bth.destqp \
	-e infiniband.bth.psn -e infiniband.aeth.msn \
	-e infiniband.invariant.crc 2>/dev/null | sed -n 1,5p

/usr/bin/python3 "$VM_SRC/icrc.py" "$TMP/roce.pcap" ||
	vm_fail "ICRCs do not match"
# The check sees a bad ICRC: the first packet's payload changed by a byte
# (24 bytes of file header, 16 of record header, 60 into the frame).
cp "$TMP/roce.pcap" "$TMP/bad.pcap"
printf '\x00' | dd of="$TMP/bad.pcap" bs=1 seek=100 conv=notrunc status=none
if /usr/bin/python3 "$VM_SRC/icrc.py" "$TMP/bad.pcap" >"$TMP/bad.log"; then
	vm_fail "a corrupted packet passes the ICRC check"
fi
grep -q "^1 .* BAD$" "$TMP/bad.log" || vm_fail "no BAD: $(cat "$TMP/bad.log")"
vm_log "PASS"
