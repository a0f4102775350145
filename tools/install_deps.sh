#!/usr/bin/env bash
# Idempotent installer for hetsgd's Debian packages (see docs/TOOLCHAIN in README).
# Installs only what is missing; safe to call from every make target.
set -euo pipefail

PKGS=(cmake g++ make libcaf-dev libtomlplusplus-dev catch2 libtorch-dev libgloo-dev
      dataset-fashion-mnist libopenblas0-pthread libcli11-dev nlohmann-json3-dev zlib1g-dev
      python3-matplotlib libssl-dev openssl)
# Optional extras (PyTorch DDP baseline for benchmarks) are installed with HETSGD_EXTRAS=1.
if [[ "${HETSGD_EXTRAS:-0}" == "1" ]]; then PKGS+=(python3-torch); fi
# The standing checks (make format-check, fuzz, tidy, cppcheck) add these with HETSGD_LINT=1.
if [[ "${HETSGD_LINT:-0}" == "1" ]]; then
  PKGS+=(clang clang-format clang-tidy cppcheck libclang-rt-14-dev)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
