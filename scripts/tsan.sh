#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Builds ./build-tsan (or $TSAN_BUILD_DIR) with ThreadSanitizer and runs the
# tests whose programs are uroce's own and exercise the progress engine:
# dp.verbs, dp.ud, dp.stress_* (dp_verbs) and obs.* (obs_holder, uroce).
# Tests that run Debian's binaries are left out (they are not
# instrumented, so TSan sees nothing there), and so is dp.big (2 GiB at
# TSan's pace does not finish in its time). Every TSan report goes to a
# log file; any report fails the run, whatever the tests' own verdict
# (a killed holder process cannot fail its test). Arguments go to ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TSAN_BUILD_DIR:-$top/build-tsan}
logs=$(mktemp -d "${TMPDIR:-/tmp}/uroce-tsan.XXXXXX")
cleanup() {
	local rc=$?
	if ((rc == 0)); then
		rm -rf "$logs"
	else
		echo "tsan.sh: reports in $logs" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT

BUILD_DIR=$build UROCE_SANITIZE=thread "$top/scripts/build.sh"
rc=0
# CMD_TIMEOUT: the dp scripts' per-command bound, for TSan's pace.
(cd "$build" &&
	TSAN_OPTIONS="log_path=$logs/tsan second_deadlock_stack=1" \
		CMD_TIMEOUT=${CMD_TIMEOUT:-300} \
		ctest --output-on-failure --timeout 900 \
		-R '^(dp\.(verbs|ud|stress_.*)|obs\..*)$' "$@") || rc=$?
n=$(cat "$logs"/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' ||
	true)
echo "tsan.sh: $n ThreadSanitizer reports"
if ((n)); then
	cat "$logs"/tsan.* | grep '^SUMMARY: ThreadSanitizer' | sort |
		uniq -c >&2
	rc=1
fi
exit "$rc"
