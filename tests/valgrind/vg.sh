# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Sourced by the valgrind tests (run.sh, pair.sh, tests/dp/verbs.sh) after
# the test library (tests/lib/netns.sh); never run. One memcheck setting
# for all: any error, and any leak that is definite, indirect or possible,
# counts; uroce.supp holds the only suppressions.

VG_SUPP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/uroce.supp"
# shellcheck disable=SC2034,SC2054 # used by the sourcing script; commas are valgrind's
VG=(valgrind --leak-check=full
	--show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible
	--num-callers=40 --suppressions="$VG_SUPP")

# Skips (77) unless valgrind can run uroce's libraries here: not with a
# sanitizer runtime in them. Then stretches the time bounds (tests/lib's
# clock.h and scaled): programs run 10 to 50 times slower under valgrind.
vg_usable() {
	[[ -z ${UROCE_TEST_SANITIZE:-} ]] ||
		skip "built with -fsanitize=$UROCE_TEST_SANITIZE: no valgrind"
	[[ -z $(sanitizer_env) ]] || skip "a sanitizer build: no valgrind"
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	UROCE_TEST_TIME_SCALE=$(scaled 12)
	export UROCE_TEST_TIME_SCALE
}

# vg_errors LOG: the error count of valgrind log LOG (leaks included), or
# nothing when valgrind did not finish it (the program was killed).
vg_errors() {
	sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$1" 2>/dev/null |
		tail -1
}

# vg_clean LOG...: true when every LOG is a finished log with no error;
# prints the others.
vg_clean() {
	local f rc=0

	for f in "$@"; do
		if [[ $(vg_errors "$f") == 0 ]]; then
			log "$(basename "$f"): no errors, no leaks"
			continue
		fi
		rc=1
		# Its reports (==PID==), without valgrind's own notes (--PID--).
		echo "[$TEST_NAME] valgrind log $(basename "$f"):" >&2
		grep '^==' "$f" >&2 || true
	done
	return "$rc"
}
