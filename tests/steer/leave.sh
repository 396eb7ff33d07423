#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs steer_leave (path in $1) in a network namespace of its own (made by
# unshare -n, gone with its last process): how long a member's datagrams
# go astray after another member leaves, then after one is killed.
# Exit status: 0 pass, 1 fail, 77 skip (not root, no unshare).
set -euo pipefail

STEER_LEAVE=${1:?usage: leave.sh STEER_LEAVE}
if [ "$(id -u)" != 0 ]; then
	echo "[steer.leave] SKIP: needs root to make a network namespace"
	exit 77
fi
if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
	echo "[steer.leave] SKIP: no unshare or ip"
	exit 77
fi
exec timeout -k 5 100 unshare -n bash -c '
	ip link set lo up
	"$0" leave 20 4791 && "$0" kill 20 4791' "$STEER_LEAVE"
