# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the benchmark scripts of bench/; sourced, never run.

die() {
	echo "bench: $*" >&2
	exit 1
}

# stats VALUES...: "median (min - max)", or "-" for none.
stats() {
	(($#)) || { echo "-"; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.4g (%.4g - %.4g)\n", m, v[1], v[NR] }'
}

# bench_cleanup: an EXIT trap: ends the server $spid if there is one,
# deletes the namespaces $ns_a and $ns_b and the directory $tmp.
# shellcheck disable=SC2154 # ns_a, ns_b and top are the caller's
bench_cleanup() {
	local rc=$?

	set +e
	if [[ -n ${spid:-} ]]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	netns_del "$ns_a" "$ns_b"
	[[ -n ${tmp:-} ]] && rm -rf "$tmp"
	exit "$rc"
}

# bench_start NAME: $tmp, a new /tmp/NAME.XXXXXX, and the build, up to
# date ($top/scripts/build.sh, its log in $tmp).
# shellcheck disable=SC2154 # top is the caller's
bench_start() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	"$top/scripts/build.sh" >"$tmp/build.log" 2>&1 || {
		tail -20 "$tmp/build.log"
		die "build failed"
	}
}
