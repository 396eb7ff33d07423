#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# run.sh FUZZER TARGET: runs a fuzz target for UROCE_FUZZ_SECONDS (default
# 60) on its seed corpus (corpus/TARGET) and regression inputs
# (regress/TARGET), which all run first: any crash fails the test. New
# inputs go to a scratch directory, not into the tree; a crash is left in
# $UROCE_FUZZ_ARTIFACTS (default: a directory the script prints). Ends
# with one line: executions, coverage (cov) and features (ft).
# As root the fuzzer runs in a network namespace of its own, lo up.
set -euo pipefail
fuzzer=$1
target=$2
src=${UROCE_FUZZ_SRC:-$(cd "$(dirname "$0")" && pwd)}
secs=${UROCE_FUZZ_SECONDS:-60}

work=$(mktemp -d "${TMPDIR:-/tmp}/uroce-fuzz-$target.XXXXXX")
log=$work/log
cleanup() {
	local rc=$?
	# Keep the scratch directory only for a crash's artifacts.
	if ((rc == 0)); then
		rm -rf "$work"
	else
		echo "fuzz $target: failed; inputs and log in $work" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
mkdir -p "$work/corpus" "$work/artifacts"
artifacts=${UROCE_FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"

dirs=("$work/corpus" "$src/corpus/$target")
[[ -d $src/regress/$target ]] && dirs+=("$src/regress/$target")

cmd=("$fuzzer" -max_total_time="$secs" -print_final_stats=1
	-artifact_prefix="$artifacts/" -rss_limit_mb=2048 -timeout=20
	"${dirs[@]}")
# Only what the input says: no configuration file, lo a device.
export UROCE_CONF='' UROCE_LO=1
unset UROCE_INCLUDE UROCE_EXCLUDE UROCE_RENAME
if ((EUID == 0)) && command -v unshare >/dev/null; then
	cmd=(unshare -n bash -c 'ip link set lo up && exec "$@"' _ "${cmd[@]}")
fi
rc=0
timeout -k 10 $((secs + 240)) "${cmd[@]}" >"$log" 2>&1 || rc=$?

# "#N DONE cov: X ft: Y ..." is libFuzzer's last status line.
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$done_line")
if ((rc != 0)); then
	tail -n 80 "$log" >&2
	echo "fuzz $target: FAILED (exit $rc) after ${execs:-?} executions" >&2
	exit 1
fi
echo "fuzz $target: ${execs:-?} executions in ${secs}s, cov ${cov:-?}," \
	"ft ${ft:-?}, corpus ${corp:-?}"
