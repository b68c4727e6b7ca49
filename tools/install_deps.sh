#!/usr/bin/env bash
# Installs everything svlrm's build, tests, demo and tools need from Debian (run as root).
set -euo pipefail
if [ "$(id -u)" != 0 ]; then exec sudo "$0" "$@"; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq \
  g++ cmake make clang libclang-rt-14-dev \
  libeigen3-dev xtensor-dev catch2 libbenchmark-dev \
  libdnnl-dev ocl-icd-opencl-dev \
  libopencv-contrib-dev libopencv-dev \
  libpng-dev libjpeg-dev libtiff-dev libopenexr-dev \
  python3-torch python3-numpy python3-pil python3-skimage python3-scipy python3-matplotlib \
  pybind11-dev python3-dev python3-pytest python3-dask python3-distributed python3-tifffile >/dev/null
