#!/bin/bash
# The main job: builds uroce, makes two network namespaces joined by a veth
# pair, shows that each sees exactly its own RDMA devices (with uroce's
# tools and with Debian's unmodified ibverbs-utils), then moves data
# between them with Debian's unmodified rping and perftest, showing each
# side's QPs and counters while the traffic runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/deps.sh"
"$top/scripts/build.sh"
# shellcheck source=../tests/lib/netns.sh
source "$top/tests/lib/netns.sh"

a="uroce-demo-a"
b="uroce-demo-b"
addr_a=10.99.0.1
dev_a=uroce_veth-a
dev_b=uroce_veth-b
tmp=$(mktemp -d /tmp/uroce-demo.XXXXXX)
cleanup() {
	netns_del "$a" "$b"
}
trap 'cleanup; rm -rf "$tmp"' EXIT
cleanup
netns_pair "$a" "$b" veth-a veth-b "$addr_a" 10.99.0.2 9000

export LD_LIBRARY_PATH=$build/lib
uroce=$build/bin/uroce

# show NS CMD...: the command line, as typed in NS (a or b).
show() {
	echo "[${1##*-}]\$ ${*:2}"
}

# run NS CMD...: shows and runs CMD in NS, bounded in time.
run() {
	show "$@"
	ip netns exec "$1" timeout 20 "${@:2}"
}

# serve NS PROTO PORT OUT CMD...: shows CMD, starts it in NS in the
# background with its output in OUT, and waits until it listens on PORT.
serve() {
	local ns=$1 proto=$2 port=$3 out=$4

	shift 4
	show "$ns" "$@" "&"
	ip netns exec "$ns" timeout 20 "$@" >"$out" 2>&1 &
	server=$!
	for _ in $(seq 100); do
		netns_listening "$ns" "$proto" "$port" && return
		sleep 0.1
	done
	cat "$out"
	echo "the server did not listen on $proto port $port" >&2
	exit 1
}

# finish OUT: waits for the server; shows its output if it failed.
finish() {
	wait "$server" || {
		cat "$1"
		echo "the server failed" >&2
		exit 1
	}
}

for ns in "$a" "$b"; do
	echo "=== namespace $ns ==="
	run "$ns" "$uroce" dev
	run "$ns" "$uroce" link
	run "$ns" /usr/bin/ibv_devices
	run "$ns" /usr/bin/ibv_devinfo -v -d "uroce_veth-${ns##*-}"
	echo
done

echo "=== RDMA from b to a ==="
echo "--- rping: 10 round trips through RDMA CM; b checks the data (-V)"
serve "$a" udp 7174 "$tmp/rping.s" /usr/bin/rping -s -a "$addr_a" \
	-p 7174 -C 10 -V
show "$b" /usr/bin/rping -c -a "$addr_a" -p 7174 -C 10 -V -v
ip netns exec "$b" timeout 20 /usr/bin/rping -c -a "$addr_a" -p 7174 \
	-C 10 -V -v >"$tmp/rping.c" 2>&1 || {
	cat "$tmp/rping.c"
	exit 1
}
finish "$tmp/rping.s"
grep '^ping data:' "$tmp/rping.c" | sed -n '1p;$p'
pings=$(grep -c '^ping data:' "$tmp/rping.c")
echo "rping: $pings pings, every one's data as sent"
echo

echo "--- ib_write_bw: 64 KiB RDMA WRITEs for 3 seconds"
bw_args=(-x 0 -F -s 65536 -D 3 --report_gbits)
serve "$a" tcp 18515 "$tmp/bw.s" /usr/bin/ib_write_bw -d "$dev_a" \
	"${bw_args[@]}"
show "$b" /usr/bin/ib_write_bw -d "$dev_b" "${bw_args[@]}" "$addr_a" "&"
ip netns exec "$b" timeout 20 /usr/bin/ib_write_bw -d "$dev_b" \
	"${bw_args[@]}" "$addr_a" >"$tmp/bw.c" 2>&1 &
client=$!
for _ in $(seq 50); do
	ip netns exec "$b" "$uroce" res qp | grep -q 'state RTS' && break
	sleep 0.1
done
echo "while it runs:"
run "$a" "$uroce" res qp
run "$b" "$uroce" res qp
run "$a" "$uroce" stat
run "$b" "$uroce" stat
wait "$client" || {
	cat "$tmp/bw.c"
	exit 1
}
finish "$tmp/bw.s"
bw=$(grep -E '^ *65536 ' "$tmp/bw.c")
grep -E '^ *#bytes' "$tmp/bw.c"
echo "$bw"
echo

echo "--- ib_write_lat: 8-byte RDMA WRITE ping-pong, 1000 iterations"
lat_args=(-x 0 -F -s 8 -n 1000)
serve "$a" tcp 18515 "$tmp/lat.s" /usr/bin/ib_write_lat -d "$dev_a" \
	"${lat_args[@]}"
show "$b" /usr/bin/ib_write_lat -d "$dev_b" "${lat_args[@]}" "$addr_a"
ip netns exec "$b" timeout 20 /usr/bin/ib_write_lat -d "$dev_b" \
	"${lat_args[@]}" "$addr_a" >"$tmp/lat.c" 2>&1 || {
	cat "$tmp/lat.c"
	exit 1
}
finish "$tmp/lat.s"
lat=$(grep -E '^ *8 +1000 ' "$tmp/lat.c")
grep -E '^ *#bytes' "$tmp/lat.c"
echo "$lat"
echo

echo "=== What was shown ==="
cat <<EOF
- Two network namespaces joined by a veth pair, each seeing only its own
  RDMA devices (uroce_lo and its veth's) with uroce's tools and Debian's
  ibv_devices and ibv_devinfo, no RDMA hardware, module or daemon.
- rping (Debian's rdmacm-utils) connected through RDMA CM and made $pings
  round trips of RDMA READ and WRITE, the client checking every byte.
- perftest's ib_write_bw over RC: $(awk '{ print $4 }' <<<"$bw") Gbit/s of 64 KiB WRITEs;
  ib_write_lat: $(awk '{ print $5 }' <<<"$lat") us typical for 8 bytes.
- While ib_write_bw ran, uroce res qp and uroce stat in each namespace
  listed that namespace's QP (RC, its peer's GID) and counters only.
EOF
