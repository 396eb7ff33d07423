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
exec timeout -k 5 150 unshare -n "$STEER_NS"
