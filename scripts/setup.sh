#!/usr/bin/env bash
# Installs what libbeyla needs to build and test on Debian bookworm, then builds it.
# Usage: scripts/setup.sh [build-dir]   (root, or sudo)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

packages=(
  # build
  cmake g++ make pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libfmt-dev
  libcapstone-dev  # x86-64 decoding: the RET instructions of Go functions (Go TLS probes)
  libdw-dev        # DWARF: struct offsets in Go executables (Go HTTP/2 header probes)
  libyaml-cpp-dev  # the configuration file of `beyla run` (the CLI only, not the library)
  catch2 pybind11-dev python3-dev
  # tests: real servers and clients
  python3-pytest curl wrk hey nginx-light nodejs golang-go util-linux procps iproute2 libcap2-bin openssl
  gnutls-bin libssl-dev
  # HTTP/2 and gRPC tests: nghttpd, nghttp and h2load; Go's x/net/http2 (h2c) and gRPC as
  # GOPATH sources under /usr/share/gocode; Python's grpcio
  nghttp2-server nghttp2-client golang-golang-x-net-dev golang-google-grpc-dev python3-grpcio
  prometheus  # promtool and a server for the metrics integration test
  # database and cache tests: real servers, their own clients and Python drivers
  redis-server redis-tools memcached python3-redis python3-pymemcache
  # scripts/second-kernel.sh: Debian's cloud kernel under qemu (TCG), busybox as its user space
  qemu-system-x86 busybox-static
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j"$(nproc)"
