#!/bin/bash
# The whole test suite: installs dependencies, builds, runs every ctest test.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh"
cd "${BUILD_DIR:-$top/build}"
ctest --output-on-failure --timeout 600 "$@"
