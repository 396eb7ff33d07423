# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Sourced by tests/lib/netns.sh; never run. In a sanitizer build
# (-DUROCE_SANITIZE=address,...), uroce's libibverbs.so.1 in $LIBDIR needs
# the ASan runtime, which must come first in a program's library list:
# uroce's own programs link it, Debian's unmodified binaries get it
# preloaded. Their own leaks are not ours to report, so only they run
# without leak detection; everything of ours runs with ASan's defaults
# (leak detection on).

# sanitizer_env: the VAR=VALUE words a Debian binary needs to run on
# $LIBDIR's libibverbs; nothing when it is not a sanitizer build.
sanitizer_env() {
	local asan

	asan=$(ldd "$LIBDIR/libibverbs.so.1" 2>/dev/null |
		awk '/libasan|libclang_rt\.asan/ { print $3 }')
	if [[ -n $asan ]]; then
		echo "LD_PRELOAD=$asan"
		echo "ASAN_OPTIONS=detect_leaks=0:halt_on_error=1"
		echo "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
	fi
}
