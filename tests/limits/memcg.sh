#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# memcg.sh LIMITS: the memory cgroup bounds uroce's objects, which are the
# process's memory (the kernel's rdma cgroup bounds an adapter's, which
# the memory cgroup cannot see). "LIMITS memory" runs in a memory cgroup
# of its own whose limit is 96 MiB: cgroup v2's memory.max where the
# memory controller is on the unified hierarchy, else v1's
# memory.limit_in_bytes, with the OOM killer as it comes. Its CQs and QPs
# must end in ENOMEM from the verbs (uroce commits a large queue at its
# creation and refuses it there when the cgroup has no room: memcg.c),
# its MRs at max_mr (UROCE_MAX_MR=20000), and it must exit by itself.
# Outside the cgroup nothing may be disturbed, and inside it nothing is
# killed: no OOM kill on the machine (/proc/vmstat oom_kill) or in the
# cgroup, a process started beside it still alive.
set -euo pipefail
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"

LIMITS=${1:?usage: memcg.sh LIMITS-PROGRAM}
LIMIT=$((96 << 20))
((EUID == 0)) || skip "needs root for a cgroup of its own"
test_init

CG=
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	CG=/sys/fs/cgroup/uroce-t-$$
	mkdir "$CG" || skip "cannot make a cgroup v2 group here"
	CLEAN_CMDS+=("rmdir '$CG'")
	echo "$LIMIT" >"$CG/memory.max"
	[[ -e $CG/memory.swap.max ]] && echo 0 >"$CG/memory.swap.max"
	VER="v2 memory.max"
elif [[ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]]; then
	CG=/sys/fs/cgroup/memory/uroce-t-$$
	mkdir "$CG" || skip "cannot make a cgroup v1 memory group here"
	CLEAN_CMDS+=("rmdir '$CG'")
	echo "$LIMIT" >"$CG/memory.limit_in_bytes"
	[[ -e $CG/memory.memsw.limit_in_bytes ]] &&
		echo "$LIMIT" >"$CG/memory.memsw.limit_in_bytes"
	VER="v1 memory.limit_in_bytes"
else
	skip "no memory cgroup controller mounted"
fi
log "cgroup $CG: $VER = $LIMIT"

oom_kills() {
	awk '$1 == "oom_kill" { print $2 }' /proc/vmstat
}
kills0=$(oom_kills)
sleep 300 &
BESIDE=$!
BG_PIDS+=("$BESIDE")

# In the cgroup, in a network namespace of its own (run.sh).
rc=0
timeout 120 bash -c 'echo $$ >"$1/cgroup.procs" || exit
	shift && exec "$@"' _ "$CG" env UROCE_MAX_MR=20000 \
	bash "$(dirname "$0")/run.sh" "$LIMITS" memory >"$TMP/out" 2>&1 || rc=$?
sed 's/^/    /' "$TMP/out"
((rc != 124)) || fail "the program did not end in 120 s (stalled at the limit?)"
((rc == 0)) || fail "the program exited with $rc"

if [[ -e $CG/memory.events ]]; then
	ev=$(tr '\n' ' ' <"$CG/memory.events")
	log "memory.events: $ev"
	[[ $ev =~ oom_kill\ 0 ]] || fail "an OOM kill in the cgroup"
else
	log "memory.failcnt $(cat "$CG/memory.failcnt"), max_usage_in_bytes $(cat "$CG/memory.max_usage_in_bytes"), $(tr '\n' ' ' <"$CG/memory.oom_control")"
	grep -q '^oom_kill 0$' "$CG/memory.oom_control" ||
		fail "an OOM kill in the cgroup"
fi
expect_eq "OOM kills on the machine" "$(oom_kills)" "$kills0"
kill -0 "$BESIDE" 2>/dev/null || fail "the process beside the cgroup died"
log "no OOM kill on the machine (oom_kill $kills0), the process beside it lives"
