#!/bin/bash
# Configures and builds uroce in ./build (or $BUILD_DIR), warnings as errors.
# UROCE_SANITIZE=address,undefined (or another -fsanitize= list) makes a
# sanitizer build instead, by default in ./build-asan (./build-tsan for
# thread). Arguments go to cmake's configure step.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
san=${UROCE_SANITIZE:-}
case $san in
'') dir=build ;;
*address*) dir='build-asan' ;;
*thread*) dir='build-tsan' ;;
*) dir='build-san' ;;
esac
build=${BUILD_DIR:-$top/$dir}
cmake -S "$top" -B "$build" -DUROCE_WERROR=ON -DUROCE_SANITIZE="$san" "$@" \
	>/dev/null
cmake --build "$build" -j"$(nproc)"
