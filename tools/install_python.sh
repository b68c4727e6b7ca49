#!/usr/bin/env bash
# Installs the svlrm Python package from a build folder (default: build) where Debian's
# python3 finds it, <prefix>/lib/python3.X/dist-packages (docs/python.md); run as root.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then exec sudo "$0" "$@"; fi
build=${1:-build}
cmake --install "$build" --component python | grep -v "^-- Up-to-date" || true
cd / && /usr/bin/python3 -c "import svlrm; print('python3: import svlrm', svlrm.__version__, 'from', svlrm.__file__)"
