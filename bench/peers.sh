#!/usr/bin/env bash
# Run bench/peers.py in a venv holding bench/requirements-peers.txt layered on the service's venv:
# the peers stay out of the service's requirements, the service's packages are not installed twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
service=$(bash "$root/scripts/venv.sh")
hash=$(cat "$root/bench/requirements-peers.txt" "$root/requirements.txt" | sha256sum | cut -c1-16)
venv="$(dirname "$service")/peers-$hash"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  site=$("$service/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  echo "$site" > "$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/service.pth"
  "$venv/bin/pip" install --quiet --no-deps -r "$root/bench/requirements-peers.txt" >&2
  touch "$venv/.complete"
fi
cd "$root"
exec "$venv/bin/python" bench/peers.py "$@"
