#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs steer_ns (path in $1) in a network namespace of its own: made by
# unshare -n, it goes with the last of the driver's processes (the members
# die with the driver), so nothing is left behind even on failure.
# Exit status: 0 pass, 1 fail, 77 skip (not root, no unshare).
set -euo pipefail

STEER_NS=${1:?usage: steer.sh STEER_NS}
if [ "$(id -u)" != 0 ]; then
	echo "[steer] SKIP: needs root to make a network namespace"
	exit 77
fi
if ! command -v unshare >/dev/null; then
	echo "[steer] SKIP: no unshare"
	exit 77
fi
# A veth leg to send multicast on, when ip(8) is here; IPv4, then IPv6.
exec timeout -k 5 150 unshare -n bash -c '
	if command -v ip >/dev/null &&
		ip link add st0 type veth peer name st1 2>/dev/null; then
		ip addr add 10.99.77.1/24 dev st0
		ip link set st0 up
		ip link set st1 up
		STEER_MCAST_IF=$(ip -o link show st0 | cut -d: -f1)
		export STEER_MCAST_IF
	fi
	"$0" && "$0" 6' "$STEER_NS"
