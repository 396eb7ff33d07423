#!/bin/bash
# Installs, with apt-get, everything uroce's build, demo and tests need on
# Debian 12. Installs only what is missing, so a second run is quick.
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config python3 clang zlib1g-dev
	# libFuzzer and the sanitizer runtimes for clang (only recommended
	# by clang): the fuzz targets (scripts/fuzz.sh).
	libclang-rt-14-dev
	iproute2 nftables procps kmod valgrind pandoc
	# rdma-core's headers, for the ABI test, and Debian's unmodified
	# rdma-core programs, which the conformance tests run on uroce.
	libibverbs-dev librdmacm-dev ibverbs-utils rdmacm-utils perftest
	# The benchmark (scripts/bench.sh): its libfabric tcp RMA peer is
	# built against libfabric-dev; CPU times come from GNU time.
	libfabric-dev time
	# bench/costs.sh counts system calls and switches, and profiles,
	# with perf.
	linux-perf
	# The middleware that the conformance tests run unmodified on uroce:
	# UCX (ucx_info, ucx_perftest), libfabric (fi_info, fi_pingpong) and
	# rdma-core's own Python tests (python3-pyverbs ships them).
	ucx-utils libfabric-bin python3-pyverbs
	# Unmodified socket programs under the rsockets shim, and the plain
	# TCP figures beside rsockets' in scripts/bench.sh rsockets.
	iperf3 netcat-openbsd
	# The install tests: Debian and RPM packages, lintian, man.
	debhelper lintian rpm man-db
	# The container tests (tests/container): podman with runc (crun
	# cannot start containers on hybrid cgroups), netavark for its
	# networks (aardvark-dns its DNS, iptables its NAT), and
	# debootstrap for the containers' root file system.
	podman runc netavark aardvark-dns iptables debootstrap
	# The soft-RoCE guest (tests/rxe): qemu to boot Debian's kernel,
	# cpio for its initramfs, ping; tcpdump, tshark and Scapy to
	# capture and check its RoCE v2 packets, and uroce's (tests/wire).
	qemu-system-x86 cpio iputils-ping tcpdump tshark python3-scapy
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
