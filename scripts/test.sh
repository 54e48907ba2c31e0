#!/usr/bin/env bash
# Sets up (Debian packages), builds, and runs every test with CTest. Tests that need
# ../shared/corpus say so and skip when it is absent; GPU tests skip without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 600
