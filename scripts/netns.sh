# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Network namespace helpers shared by the benchmarks and the namespace
# tests; sourced, never run.

# netns_del NS...: deletes each NS, killing first whatever still runs in
# it (a process left there would keep it alive). Quiet about namespaces
# that are already gone; always succeeds, for cleanup on any exit.
netns_del() {
	local ns pid

	for ns in "$@"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
