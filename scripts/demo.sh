#!/bin/bash
# The main job: builds uroce, makes two network namespaces joined by a veth
# pair, and shows that each sees exactly its own RDMA devices, with uroce's
# tools and with Debian's unmodified ibverbs-utils.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/deps.sh"
"$top/scripts/build.sh"

a=uroce-demo-a
b=uroce-demo-b
cleanup() {
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$a"
ip netns add "$b"
ip link add veth-a netns "$a" type veth peer name veth-b netns "$b"
ip -n "$a" addr add 10.99.0.1/24 dev veth-a
ip -n "$b" addr add 10.99.0.2/24 dev veth-b
ip -n "$b" link set veth-b mtu 9000
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
done
ip -n "$a" link set veth-a up
ip -n "$b" link set veth-b up
# veth reports carrier a moment after both ends are up.
for i in $(seq 50); do
	ip -n "$b" link show veth-b | grep -q 'state UP' && break
	sleep 0.1
done

export LD_LIBRARY_PATH=$build/lib
run() {
	echo "[$1]\$ ${*:2}"
	ip netns exec "$1" timeout 20 "${@:2}"
	echo
}
for ns in "$a" "$b"; do
	echo "=== namespace $ns ==="
	run "$ns" "$build/bin/uroce" dev
	run "$ns" "$build/bin/uroce" link
	run "$ns" /usr/bin/ibv_devices
	run "$ns" /usr/bin/ibv_devinfo -v -d "uroce_veth-${ns##*-}"
done
