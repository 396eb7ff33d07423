#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The wire roce mode's ICRC under batching and loss: perftest's RC SENDs
# and WRITEs (64, 100 and 3000 bytes: runs of one-packet messages, and
# FIRST, MIDDLE and a shorter LAST at MTU 1024) between two namespaces
# with UROCE_WIRE=roce, nftables dropping 2% of the port 4791 datagrams
# each namespace receives (retransmissions, often at another place in a
# batch than the first time, duplicate requests and their ACKs), captured
# on A's end of the veth pair, which segments UDP GSO sends as a wire
# has them (capture_start). The runs of a batch leave as GSO sends whose
# segments the kernel numbers 0, 1, 2...: the capture must hold such
# segments (IPv4 IDs other than 0) and datagrams sent again, Scapy must
# find every ICRC right over the IP header exactly as captured
# (tests/rxe/icrc.py), and the receiving uroce must count no bad_icrc
# drop (a check that an error of the IPv4 ID alone would pass: uroce
# accepts any ID). Needs root, tcpdump, nft and python3-scapy (else 77).
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

PY=/usr/bin/python3
LOSS=2
command -v tcpdump >/dev/null || skip "no tcpdump"
command -v nft >/dev/null || skip "no nft"
$PY -c 'import scapy.contrib.roce' 2>/dev/null || skip "no python3-scapy"
for t in ib_send_bw ib_write_bw; do
	[[ -x /usr/bin/$t ]] || skip "no $t"
done
[[ -x $BINDIR/uroce ]] || fail "no uroce tool in '$BINDIR'"
pair_setup
# GID index 1, the IPv4 one, once the link-local GID 0 is usable.
retry 10 ll_ready "$NS_A" "dpa$$" && retry 10 ll_ready "$NS_B" "dpb$$" ||
	fail "no usable IPv6 link-local address"
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" nft -f - <<-NFT || skip "nftables unusable"
		table inet uroce_loss {
			chain in {
				type filter hook input priority 0;
				udp dport 4791 numgen random mod 100 < $LOSS counter drop
			}
		}
	NFT
done

capture_start "$NS_A" "dpa$$" "$TMP/load.pcap" "$NS_B" "dpb$$"

# stat_poll NS OUT: uroce -j stat in NS every 0.2 s into OUT.N, until
# killed: the counters of the live processes (perftest's server in A).
stat_poll() {
	local i=0

	while :; do
		ip netns exec "$1" "$BINDIR/uroce" -j stat >"$2.$i" 2>/dev/null ||
			true
		i=$((i + 1))
		sleep 0.2
	done
}

E=(UROCE_WIRE=roce)
for run in "send_bw 64" "send_bw 3000" "write_bw 100" "write_bw 3000"; do
	tool=/usr/bin/ib_${run% *}
	size=${run#* }
	args=(-x 1 -F -s "$size" -n 500)
	stat_poll "$NS_A" "$TMP/stat" &
	poller=$!
	BG_PIDS+=("$poller")
	SC_LISTEN="tcp 18515" server_client \
		"${E[@]}" "$tool" -d "$DEV_A" "${args[@]}" -- \
		"${E[@]}" "$tool" -d "$DEV_B" "${args[@]}" "$ADDR_A" \
		>"$TMP/perftest"
	kill "$poller"
	wait "$poller" 2>/dev/null || true
	# The last snapshot of the server's counters that has them.
	snap=$(grep -l '"rx_pkts"' "$TMP"/stat.* 2>/dev/null |
		sort -t. -k3 -n | tail -n 1) || true
	[[ -n $snap ]] || fail "${run}: no counters of the server"
	$PY - "$snap" "$run" <<-'EOF' || fail "${run}: the server dropped packets for their ICRC"
		import json, sys
		devs = json.load(open(sys.argv[1]))
		rx = sum(d.get("rx_pkts", 0) for d in devs)
		bad = sum(d.get("drop_bad_icrc", 0) for d in devs)
		print("%s: the server received %d packets, bad_icrc %d" %
		      (sys.argv[2], rx, bad))
		sys.exit(1 if bad or not rx else 0)
	EOF
	rm -f "$TMP"/stat.*
	log "$run: $(grep -E '^ *[0-9]+ +500 ' "$TMP/perftest" | head -n 1)"
done

sleep 0.5
kill -INT "${BG_PIDS[0]}"
wait "${BG_PIDS[0]}" || true
BG_PIDS=()
[[ -z ${WIRE_KEEP:-} ]] || cp -r "$TMP"/. "$WIRE_KEEP"

drops=$( (ip netns exec "$NS_A" nft list ruleset
	ip netns exec "$NS_B" nft list ruleset) |
	grep -o 'counter packets [0-9]*' | awk '{s += $3} END {print s + 0}')
log "datagrams dropped by nftables: $drops"
((drops > 0)) || fail "nftables dropped nothing"

env -u PYTHONPATH "$PY" "$(dirname "$0")/../rxe/icrc.py" "$TMP/load.pcap" \
	>"$TMP/icrc" || fail "ICRC: $(grep -v ' ok$' "$TMP/icrc" | head -n 20)"
# GSO sends were made, and reached the capture as the wire has them: the
# segments after a send's first carry IPv4 IDs other than 0. Retransmitted
# datagrams, the same bytes as an earlier one but for the ICRC.
env -u PYTHONPATH "$PY" - "$TMP/load.pcap" >"$TMP/ids" <<-'EOF' ||
	import sys
	from scapy.all import IP, UDP, raw, rdpcap
	from scapy.contrib.roce import BTH
	pkts = [p for p in rdpcap(sys.argv[1]) if BTH in p and IP in p]
	seen, again, moved = {}, 0, 0
	for p in pkts:
	    key = (p[IP].src, raw(p[UDP].payload)[:-4])
	    if key in seen:
	        again += 1
	        moved += seen[key] != p[IP].id
	    seen[key] = p[IP].id
	ids = sum(p[IP].id != 0 for p in pkts)
	print("%d RoCE datagrams, %d with an IPv4 ID other than 0, "
	      "%d sent again (%d with another ID)" %
	      (len(pkts), ids, again, moved))
	sys.exit(0 if ids and again else 1)
EOF
	fail "no GSO segments or no retransmission: $(cat "$TMP/ids")"
log "$(cat "$TMP/ids")"
log "$(wc -l <"$TMP/icrc") RoCE datagrams, every ICRC right"
