#!/usr/bin/env bash
# Installs every build and test dependency from Debian's archive. Idempotent:
# it only calls apt-get when a package is missing, so repeated runs are fast.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git curl openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libyaml-cpp-dev libssl-dev libabsl-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev libhiredis-dev redis-server
  libhyperscan-dev
  python3-grpcio python3-protobuf python3-prometheus-client python3-jwt python3-cryptography
  clang-format-14
)
if [[ ${1:-} == --bench ]]; then
  packages+=(nghttp2-client wrk nginx)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi
