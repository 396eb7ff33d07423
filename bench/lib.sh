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
