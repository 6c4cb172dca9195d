#!/usr/bin/env bash
# Sets up everything the tests need (Python env, browser, Elasticsearch node) and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/venv.sh)
export PATH="$venv/bin:$PATH" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 SE_OFFLINE=true
bash scripts/system-deps.sh
if [ -x tools/es-node/start.sh ] && command -v java >/dev/null 2>&1; then
  ES_URL=$(bash tools/es-node/start.sh --wipe) || { echo "Elasticsearch node failed to start" >&2; exit 1; }
  export ES_URL
  trap 'bash tools/es-node/stop.sh --wipe >/dev/null 2>&1 || true' EXIT
fi
python -m pytest "$@"
