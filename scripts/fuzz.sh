#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Builds the libFuzzer targets with clang in ./build-fuzz (or
# $FUZZ_BUILD_DIR) and runs each for UROCE_FUZZ_SECONDS (default 60) on its
# seed corpus and regression inputs, printing executions and coverage.
# Arguments name the targets to run (default: all of them: pkt deliver
# config cm_msg rx deliver_multi cm). UROCE_FUZZ_GEN=1 writes the seed
# corpora again first; UROCE_FUZZ_EXTRA_FLAGS adds compiler flags (e.g.
# -fno-sanitize=pointer-overflow to fuzz past a known finding).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
jobs=${UROCE_BUILD_JOBS:-$(nproc)}

if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang is needed" >&2
	exit 1
fi
CC=clang cmake -S "$top" -B "$build" -DUROCE_FUZZ=ON -DUROCE_WERROR=ON \
	-DUROCE_SANITIZE= -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DUROCE_FUZZ_EXTRA_FLAGS="${UROCE_FUZZ_EXTRA_FLAGS:-}" >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz fuzz_gen_corpus
if [[ ${UROCE_FUZZ_GEN:-0} == 1 ]]; then
	"$build/tests/fuzz/fuzz_gen_corpus" "$top/tests/fuzz/corpus"
fi

targets=("$@")
((${#targets[@]})) || targets=(pkt deliver config cm_msg rx deliver_multi cm)
rc=0
for t in "${targets[@]}"; do
	if [[ ! -x $build/tests/fuzz/fuzz_$t ]]; then
		echo "fuzz.sh: no target $t" >&2
		rc=1
		continue
	fi
	UROCE_PROVIDER_DIR=$build/tests/fuzz/prov \
		UROCE_FUZZ_SRC=$top/tests/fuzz \
		bash "$top/tests/fuzz/run.sh" "$build/tests/fuzz/fuzz_$t" "$t" ||
		rc=1
done
exit "$rc"
