#!/usr/bin/env bash
# Installs every build and test dependency of vhm from Debian 12 packages.
# Idempotent: packages already present are skipped, so a second run is a no-op.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  # FFmpeg's libraries (decode) and the ffmpeg CLI (demo videos, benchmarks)
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  # Still images: the same decoders the reference photo hasher uses
  libjpeg62-turbo-dev libpng-dev
  # Search, CLI, storage, logging, JSON
  libfaiss-dev libopenblas-dev libboost-program-options-dev libsqlite3-dev libxml2-dev
  libspdlog-dev nlohmann-json3-dev
  # HTTP server and client of vhm serve / vhm bench serve (header plus compiled library)
  libcpp-httplib-dev
  # HTTPS client of vhm fetch and vhm feedback (the exchanges' APIs; the system CA store)
  libcurl4-openssl-dev ca-certificates
  # GET /metrics of vhm serve: the Prometheus text format (prometheus-cpp's core)
  prometheus-cpp-dev
  # Redis client of vhm serve --redis (the Streams workers), and the server its tests
  # start (7.0: XAUTOCLAIM)
  libhiredis-dev redis-server
  # Tests and micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # Pictures of the benchmark figures (vhm bench ... --plot DIR)
  gnuplot-nox
  # The sanitizer build and the fuzzers (scripts/sanitize.sh, scripts/fuzz.sh): clang 14,
  # its ASan/UBSan/libFuzzer runtimes, LLVM's OpenMP (clang's -fopenmp), and
  # llvm-symbolizer-14 (file:line in sanitizer reports)
  clang-14 libclang-rt-14-dev libomp-14-dev llvm-14
  # The style checks (scripts/check-style.sh): formatting and naming
  clang-format-14 clang-tidy-14
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
