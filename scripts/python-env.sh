#!/usr/bin/env bash
# Prints the path of a Python interpreter that has the modules named as arguments, creating
# the project's virtualenv (.venv) and installing them from PyPI when the system one lacks them.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=("$@")
has_modules() { "$1" - "${modules[@]}" <<'PY' 2>/dev/null
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
PY
}

if has_modules python3; then command -v python3; exit 0; fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv >&2 || { [ "$(id -u)" = 0 ] && apt-get install -y -qq python3-venv >&2 && python3 -m venv .venv >&2; }
fi
if ! has_modules .venv/bin/python; then
  packages=()
  for module in "${modules[@]}"; do
    case "$module" in
      yaml) packages+=(PyYAML) ;;
      osmem_server) packages+=(osmem-server) ;;
      *) packages+=("$module") ;;
    esac
  done
  .venv/bin/python -m pip install -q "${packages[@]}" >&2
fi
echo "$PWD/.venv/bin/python"
