#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# run.sh CMD...: runs CMD (a limits program, maybe under valgrind) with
# uroce_lo and no configuration file; as root in a network namespace of
# its own (lo up), so that its thousands of sockets touch nothing else.
set -euo pipefail
export UROCE_CONF='' UROCE_LO=1
unset UROCE_INCLUDE UROCE_EXCLUDE UROCE_RENAME
if ((EUID == 0)) && command -v unshare >/dev/null; then
	exec unshare -n bash -c 'ip link set lo up && exec "$@"' _ "$@"
fi
exec "$@"
