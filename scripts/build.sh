#!/bin/bash
# Configures and builds uroce in ./build (or $BUILD_DIR), warnings as errors.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
cmake -S "$top" -B "$build" -DUROCE_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
