#!/bin/bash
# The whole test suite: installs dependencies, builds ./build and runs every
# ctest test there; then builds ./build-asan with AddressSanitizer and
# UndefinedBehaviorSanitizer (where any finding, a leak included, ends the
# program and fails its test) and runs the suite again there, less what
# cannot or need not run under them: the valgrind tests (they skip), the
# ABI tests (headers only, nothing to sanitize), the install and container
# tests (packaging; the packages build their own trees without sanitizers),
# the soft-RoCE guest's smoke test (no uroce code in it) and the LAG tests
# that assert rates and timings, which sanitized code on two cores cannot
# keep.
# Arguments go to the first two ctest runs. UROCE_TEST_ASAN=0 skips the second
# run; BUILD_DIR and ASAN_BUILD_DIR move the builds.
# Third, scripts/tsan.sh builds ./build-tsan with ThreadSanitizer and runs
# the tests of the progress engine there (uroce's own programs: dp.verbs,
# dp.ud, dp.stress_*, obs.*); any report fails. UROCE_TEST_TSAN=0 skips
# it, TSAN_BUILD_DIR moves it.
# Fourth, scripts/fuzz.sh builds ./build-fuzz with clang and runs each
# fuzz target for UROCE_FUZZ_SECONDS (45 here: the seven targets take
# under 6 minutes) on its seed corpus and regression inputs;
# UROCE_TEST_FUZZ=0 skips it, FUZZ_BUILD_DIR moves it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rc=0

"$top/scripts/deps.sh"
"$top/scripts/build.sh"
(cd "${BUILD_DIR:-$top/build}" &&
	ctest --output-on-failure --timeout 600 "$@") || rc=$?

if [[ ${UROCE_TEST_ASAN:-1} != 0 ]]; then
	echo "test.sh: the suite again with ASan and UBSan"
	asan=${ASAN_BUILD_DIR:-$top/build-asan}
	asan_skip='^(abi\.|install\.|container\.|rxe\.(smoke|interop)$|lag\.(scaling|ib_write_bw|failover_blackhole)$)'
	BUILD_DIR=$asan UROCE_SANITIZE=address,undefined "$top/scripts/build.sh"
	(cd "$asan" && ctest --output-on-failure --timeout 600 \
		-E "$asan_skip" "$@") || rc=$?
fi

if [[ ${UROCE_TEST_TSAN:-1} != 0 ]]; then
	echo "test.sh: the progress engine's tests with TSan"
	"$top/scripts/tsan.sh" || rc=$?
fi

if [[ ${UROCE_TEST_FUZZ:-1} != 0 ]]; then
	echo "test.sh: the fuzz targets"
	UROCE_FUZZ_SECONDS=${UROCE_FUZZ_SECONDS:-45} "$top/scripts/fuzz.sh" ||
		rc=$?
fi
exit "$rc"
